"""Shared fixtures: the committed sample descriptors, environments, a scratch copy of the tree,
and `mlops` run in-process with its real exit-code mapping."""

import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops.gitops.environment import Environment, load_environment
from mlops.yamlio import load_yaml

REPO = Path(__file__).resolve().parents[2]
ENVS = ("dev", "int", "prod")
STACKS = (*ENVS, "local")


@pytest.fixture(scope="session")
def environments() -> dict[str, Environment]:
    return {name: load_environment(REPO, name) for name in STACKS}


@pytest.fixture
def sample() -> dict[str, Any]:
    """The prod descriptor as a plain dict without its batch job, with int's incumbent (prod's
    canary finished, so it has none) for the strategies that need one, to vary per test."""
    descriptor = load_yaml(REPO / "gitops/envs/prod/models/credit-risk.yaml")
    incumbent = load_yaml(REPO / "gitops/envs/int/models/credit-risk.yaml")
    sample = {key: value for key, value in descriptor.items() if not key.startswith("batch_")}
    return sample | {k: v for k, v in incumbent.items() if k.startswith("incumbent_")}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what `mlops render` reads and writes, so tests never touch the real tree."""
    for part in ("gitops", "stacks"):
        shutil.copytree(REPO / part, tmp_path / part)
    return tmp_path


def edit(path: Path, *pairs: tuple[str, str]) -> None:
    """Replace text in a file, failing loudly when the text is not there (a silent no-op
    would let a test pass for the wrong reason)."""
    text = path.read_text()
    for old, new in pairs:
        assert old in text, f"{path}: {old!r} not found"
        text = text.replace(old, new)
    path.write_text(text)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted((root / "gitops").rglob("*"))
        if path.is_file()
    }
