"""Every command shown in the tutorials under docs/ runs: each ```bash block, in order, in a
fresh clone of this repository beside the running embedded platform (`.mlops/demo` is the
session's `mlops demo --hold`). A block may instead be marked, on the line before it:
`<!-- docs-test: cluster -->` or `<!-- docs-test: cloud -->` (needs a real cluster or cloud:
not run), `<!-- docs-test: demo -->` (starts the demo: only `uv run mlops demo [--hold]`, which
the session fixture runs) or `<!-- docs-test: ci -->` (what `.ci/run` itself runs: setup, lint,
the test suite; every command of the block must be in `.ci/run`). The README takes part once it
carries these marks."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from mlops.repository import REPO_ROOT
from tests.demo.conftest import DemoProcess

DOCS = REPO_ROOT / "docs"
BLOCK = re.compile(
    r"(?:<!--\s*docs-test:\s*(?P<mark>[a-z, ]+?)\s*-->\s*\n)?```bash\n(?P<body>.*?)```", re.S
)
MARKS = {None, "cluster", "cloud", "demo", "ci"}
DEMO_COMMAND = re.compile(r"^uv run mlops demo( --hold)?$")


def blocks(path: Path) -> list[tuple[str | None, str]]:
    return [(m["mark"], m["body"]) for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


README = REPO_ROOT / "README.md"
TUTORIALS = sorted(p for p in DOCS.glob("*.md") if blocks(p))
if README.is_file() and "<!-- docs-test:" in README.read_text(encoding="utf-8"):
    TUTORIALS.append(README)


def test_there_are_tutorials_for_every_user():
    names = {p.stem for p in DOCS.glob("*.md")}
    assert {"platform-engineer", "ml-engineer", "ci-reviewer", "auditor", "operator"} <= names


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_blocks_are_marked_with_known_marks(path: Path):
    """`cluster` and `cloud` stand alone; `ci` and `demo` may be combined (`ci, demo`, as in the
    README's first block): then each command is the demo's or one `.ci/run` runs."""
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for mark, body in blocks(path):
        marks = set(re.split(r"[,\s]+", mark.strip())) if mark else {None}
        assert marks <= MARKS, f"{path.name}: unknown docs-test mark {mark!r}"
        if not marks & {"ci", "demo"}:
            continue
        for line in body.splitlines():
            command = line.split(" #")[0].strip()
            if not command:
                continue
            allowed = ("demo" in marks and DEMO_COMMAND.match(command)) or (
                "ci" in marks and command in ci
            )
            assert allowed, f"{path.name}: {command!r} is neither {' nor '.join(sorted(marks))}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory, held_demo: DemoProcess) -> Path:
    """A fresh clone (what a reader has), with the running platform at `.mlops/demo`."""
    target = tmp_path_factory.mktemp("docs") / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", str(REPO_ROOT), str(target)], check=True, timeout=120
    )
    (target / ".mlops").mkdir()
    (target / ".mlops" / "demo").symlink_to(held_demo.workdir)
    return target


@pytest.mark.demo
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_commands_run(path: Path, clone: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "VIRTUAL_ENV")}
    env["UV_PROJECT"] = str(REPO_ROOT)  # the environment `./scripts/setup` made
    for number, (mark, body) in enumerate(blocks(path), start=1):
        if mark is not None:
            continue
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        assert done.returncode == 0, (
            f"{path.name} block {number} exited {done.returncode}:\n{body}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
