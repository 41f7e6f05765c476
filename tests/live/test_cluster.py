"""A live cluster, through the Kubernetes API: one test per check of `mlops verify --target
cluster` (nodes, GPU pools, platform pods, endpoints, health, Argo CD, Pod Security,
NetworkPolicies). Each fails listing every object that failed; skips say why."""

from __future__ import annotations

import pytest

from mlops.verify.cluster import CHECKS

pytestmark = pytest.mark.live


@pytest.mark.parametrize("name", list(CHECKS))
def test_cluster(cluster, name: str) -> None:
    results = list(CHECKS[name](cluster))
    failures = [f"{r.name}: {r.detail}" for r in results if r.status == "failed"]
    assert not failures, "\n".join(failures)
    if results and all(r.status == "skipped" for r in results):
        pytest.skip("; ".join(sorted({r.detail for r in results})))
