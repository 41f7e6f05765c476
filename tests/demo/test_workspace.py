"""The scratch work directory and the clone: a rerun starts from empty stores, a directory the
demo did not make is never emptied, the soak waiver touches only the soak rule of the clone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlops.demo import workspace
from mlops.errors import BadInputError
from mlops.gates.spec import load_gate
from mlops.promotion.git import git
from mlops.repository import REPO_ROOT


def test_prepare_refuses_a_directory_it_did_not_make(tmp_path: Path):
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(BadInputError, match="not made by `mlops demo`"):
        workspace.prepare(tmp_path)
    assert (tmp_path / "thesis.tex").read_text() == "years of work"


def test_a_second_prepare_empties_what_the_first_run_left(tmp_path: Path):
    first = workspace.prepare(tmp_path / "demo")
    first.audit_db.write_text("old log")
    (first.gate_reports / "old.md").write_text("old report")
    (tmp_path / "demo" / "notes.txt").write_text("the user's own file")
    second = workspace.prepare(tmp_path / "demo")
    assert not second.audit_db.exists()
    assert list(second.gate_reports.iterdir()) == []
    assert (tmp_path / "demo" / "notes.txt").exists()  # not one of the demo's own paths


def test_clone_waive_and_merge(tmp_path: Path):
    ws = workspace.prepare(tmp_path / "demo")
    cloned = workspace.clone(ws)
    assert cloned == subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
                                    capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    waiver = workspace.waive_soak_time(ws)
    changed = git(ws.repo, "diff", "--name-only", cloned, waiver).split()
    assert changed == [workspace.PROD_GATE]
    original = load_gate(REPO_ROOT / workspace.PROD_GATE)
    waived = load_gate(ws.repo / workspace.PROD_GATE)
    assert [r.hours for r in waived.rules if r.kind == "soak_time"] == [0]
    # every other rule is unchanged
    others = [r for r in waived.rules if r.kind != "soak_time"]
    assert others == [r for r in original.rules if r.kind != "soak_time"]
    branch = git(ws.repo, "symbolic-ref", "--short", "HEAD").strip()
    git(ws.repo, "checkout", "--quiet", "-b", "promote/x/dev/v1")
    (ws.repo / "change.txt").write_text("x")
    git(ws.repo, "add", "change.txt")
    git(ws.repo, "commit", "--quiet", "-m", "change")
    merged = workspace.merge(ws, "promote/x/dev/v1", branch)
    parents = git(ws.repo, "rev-list", "--parents", "-n", "1", merged).split()
    assert len(parents) == 3  # a merge commit, as the Git host makes
    assert git(ws.repo, "symbolic-ref", "--short", "HEAD").strip() == branch


def test_cli_refuses_a_foreign_directory_with_exit_2(tmp_path: Path):
    (tmp_path / "data.csv").write_text("a,b\n")
    done = subprocess.run(
        [sys.executable, "-m", "mlops", "demo", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "not made by `mlops demo`" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]
