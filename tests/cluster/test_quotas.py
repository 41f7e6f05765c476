"""NetworkPolicies, ResourceQuotas and LimitRanges are admitted; a workload within a quota is
admitted while one over it is refused, and a LimitRange fills in a container's defaults."""

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.utils import parse_quantity

pytestmark = pytest.mark.cluster

GPU = "nvidia.com/gpu"


def restricted_pod(name: str, resources: dict | None) -> dict:
    container = {
        "name": "app", "image": "registry.example.com/app:1",
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                            "runAsUser": 10001, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
    }  # fmt: skip
    if resources is not None:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container],
                     "tolerations": [{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}]}}  # fmt: skip


@pytest.mark.parametrize("stack", ("int", "prod"))
def test_quota_admits_within_and_refuses_over(control_plane, plans, stack: str) -> None:
    objects, _ = control_plane.on(plans[stack])
    kinds = {o["kind"] for o in objects.accepted}
    assert {"NetworkPolicy", "ResourceQuota", "LimitRange"} <= kinds
    core = client.CoreV1Api(control_plane.api)
    quotas = [o for o in objects.accepted if o["kind"] == "ResourceQuota"]
    for quota in quotas:
        namespace = quota["metadata"]["namespace"]
        hard = quota["spec"]["hard"]
        gpus = int(parse_quantity(hard[f"requests.{GPU}"]))
        within = {"requests": {"cpu": "250m", "memory": "256Mi", GPU: "1"}, "limits": {GPU: "1"}}
        admitted = core.create_namespaced_pod(
            namespace, restricted_pod("within", within), dry_run="All"
        )
        assert admitted.metadata.name == "within"
        over = {"requests": {"cpu": "250m", "memory": "256Mi", GPU: str(gpus + 1)},
                "limits": {GPU: str(gpus + 1)}}  # fmt: skip
        with pytest.raises(ApiException) as refused:
            core.create_namespaced_pod(namespace, restricted_pod("over", over), dry_run="All")
        assert refused.value.status == 403 and "exceeded quota" in refused.value.body, (
            refused.value.body
        )


@pytest.mark.parametrize("stack", ("int", "prod"))
def test_limit_range_fills_in_defaults(control_plane, plans, stack: str) -> None:
    objects, _ = control_plane.on(plans[stack])
    core = client.CoreV1Api(control_plane.api)
    for limit_range in (o for o in objects.accepted if o["kind"] == "LimitRange"):
        namespace = limit_range["metadata"]["namespace"]
        (limits,) = limit_range["spec"]["limits"]
        pod = core.create_namespaced_pod(namespace, restricted_pod("defaults", None), dry_run="All")
        resources = pod.spec.containers[0].resources
        assert resources.requests == limits["defaultRequest"]
        assert resources.limits == limits["default"]
