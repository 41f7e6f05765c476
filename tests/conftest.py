"""Shared fixtures: the repository's stack configs, loaded once per test session."""

from pathlib import Path

import pytest

from mlops.config.loader import load_stack
from mlops.config.model import StackConfig

REPO = Path(__file__).resolve().parents[1]
STACKS_DIR = REPO / "stacks"
STACK_NAMES = ("local", "dev", "int", "prod")


@pytest.fixture(scope="session")
def stack_configs() -> dict[str, StackConfig]:
    return {name: load_stack(STACKS_DIR, name) for name in STACK_NAMES}
