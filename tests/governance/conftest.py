"""Shared helpers: run `mlops` in-process (fast) with its real exit-code mapping."""

import sys

import pytest


@pytest.fixture
def mlops(capsys, monkeypatch):
    """Call the `mlops` entry point; returns (exit code, stdout, stderr)."""
    monkeypatch.delenv("MLOPS_AUDIT_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("MLOPS_AUDIT_DB_URL", raising=False)

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        from mlops.cli.app import main

        if stdin is not None:
            import io

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
