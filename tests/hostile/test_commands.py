"""Every command that takes a file, on every file of the hostile corpus and on files
hypothesis writes: exit 2 (or 0 for a file it accepts), never a traceback, and nothing written
on refusal: no output, database, key or log appears in the work directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile.conftest import tree
from tests.hostile.corpus import CORPUS, Setup, commands

KINDS = (".yaml", ".json", ".jsonl", ".csv", ".zip")


@pytest.fixture
def in_workdir(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> Setup:
    """The commands run in an empty work directory, MLOPS_*/MLflow settings cleared."""
    for key in [k for k in os.environ if k.startswith(("MLOPS_", "MLFLOW_"))]:
        monkeypatch.delenv(key)
    shutil.rmtree(setup.workdir)
    setup.workdir.mkdir()
    monkeypatch.chdir(setup.workdir)
    return setup


def run_refused(mlops, argv: list[str], workdir: Path, allowed: set[int]) -> int:
    """Run once; a refusal (2) must leave the work directory as it was."""
    before = tree(workdir)
    code, _, err = mlops(*argv)
    assert code in allowed, (argv, code, err[-2000:])
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("error:") and err.count("\n") == 1, err[-2000:]
        assert tree(workdir) == before, f"{argv} wrote {set(tree(workdir)) - set(before)}"
    return code


@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.name)
def test_hostile_corpus(mlops, in_workdir, corpus, tmp_path, item):
    path = corpus[item.name]
    found = commands(path, in_workdir, tmp_path)
    assert found, f"no command reads {path.suffix} files"
    for argv in found.values():
        run_refused(mlops, argv, in_workdir.workdir, {2})


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_file_content(mlops, in_workdir, tmp_path_factory, kind, data):
    scratch = tmp_path_factory.mktemp("h")
    path = scratch / f"input{kind}"
    path.write_bytes(data)
    for argv in commands(path, in_workdir, scratch).values():
        # 1 is a check that ran and failed (a bundle or certificate that does not verify)
        run_refused(mlops, argv, in_workdir.workdir, {0, 1, 2})
