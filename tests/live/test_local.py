"""The embedded platform of `mlops demo --hold`, with pytest-testinfra's `host` fixture (local
backend): the checks of `mlops verify --target local`, one test each."""

from __future__ import annotations

import pytest

from mlops.verify.local import CHECKS

pytestmark = pytest.mark.live


@pytest.mark.parametrize("name", list(CHECKS))
def test_local(host, local_platform, name: str) -> None:
    results = list(CHECKS[name](host, local_platform))
    failures = [f"{r.name}: {r.detail}" for r in results if r.status == "failed"]
    assert not failures, "\n".join(failures)
    if results and all(r.status == "skipped" for r in results):
        pytest.skip("; ".join(sorted({r.detail for r in results})))
