"""The operator's live checks (`mlops verify --target cluster`, `tests/live`) against the local
control plane with prod applied: what needs a kubelet skips and says so; what needs the Helm
releases (the platform's own pods, their endpoints, Argo CD's Applications) cannot pass here."""

import pytest

from mlops.verify.cluster import CHECKS, NO_KUBELET, connect

pytestmark = pytest.mark.cluster

NEED_HELM_RELEASES = {"platform-pods", "endpoints", "argocd-apps"}
NEED_KUBELET = {"service-health"}


def test_live_checks_pass_or_skip_for_the_kubelet(control_plane, plans) -> None:
    control_plane.on(plans["prod"])
    cluster = connect(control_plane.layout.kubeconfig, None)
    assert cluster.simulated()
    for name, check in CHECKS.items():
        results = list(check(cluster))
        print(f"\n{name}: " + ", ".join(f"{r.status} {r.name}" for r in results))
        if name in NEED_HELM_RELEASES:
            continue
        failures = [f"{r.name}: {r.detail}" for r in results if r.status == "failed"]
        assert not failures, f"{name}: {failures}"
        if name in NEED_KUBELET:
            assert [r.detail for r in results] == [NO_KUBELET]
