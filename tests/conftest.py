"""Shared fixtures: the repository's stack configs, loaded once per test session."""

import io
import sys
from collections.abc import Callable
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


CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def mlops(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """Call the `mlops` entry point in-process (fast) with its real exit-code mapping;
    `run(*args, stdin=None)` returns (exit code, stdout, stderr)."""

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        from mlops.cli.app import main

        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setattr(sys, "argv", ["mlops", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
