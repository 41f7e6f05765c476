"""Shared helpers: run `mlops` in-process (fast) with its real exit-code mapping."""

import pytest


@pytest.fixture
def mlops(mlops, monkeypatch):
    """The shared runner, with no signing key or database taken from the environment."""
    monkeypatch.delenv("MLOPS_AUDIT_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("MLOPS_AUDIT", raising=False)
    return mlops
