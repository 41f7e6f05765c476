"""The hostile corpus and the commands' setup, built once per session; hypothesis bounded in
time (examples per test from HYPOTHESIS_EXAMPLES, no example database written into the tree)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.hostile.corpus import Setup, build_corpus, make_setup

settings.register_profile(
    "hostile",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "20")),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("hostile")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    return make_setup(tmp_path_factory.mktemp("setup"))


def tree(directory: Path) -> dict[str, tuple[int, int]]:
    """What a directory holds: relative path -> (size, mode)."""
    return {
        str(p.relative_to(directory)): (p.lstat().st_size, p.lstat().st_mode)
        for p in sorted(directory.rglob("*"))
    }
