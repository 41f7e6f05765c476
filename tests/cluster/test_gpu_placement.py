"""GPU pools take GPU work only, on the real kube-scheduler: a pod that asks for a GPU lands on a
GPU pool (the training pool when it selects it, as the pipeline's training task does; the GPU
taint's toleration is added by the ExtendedResourceToleration admission plugin, as on EKS); one
asking for more GPUs than a node has fits nowhere; ordinary pods never land on a GPU pool."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from mlops.cluster.nodes import POOL_LABEL
from pipelines.credit_risk.pipeline import GPU_POOL_LABEL, GPU_RESOURCE

pytestmark = pytest.mark.cluster

NAMESPACE = "gpu-placement"
TIMEOUT = 60.0
GPU_TOLERATION = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
GPU_POOLS = {"training-gpu", "inference-gpu"}


def _pod(name: str, gpus: int = 0, tolerate: bool = False, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "work",
        "image": "registry.example.com/work:1",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if gpus:
        container["resources"] = {"limits": {GPU_RESOURCE: str(gpus)}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "containers": [container],
            "tolerations": [GPU_TOLERATION] if tolerate else [],
            **spec,
        },
    }


@pytest.fixture
def core(control_plane) -> Iterator[client.CoreV1Api]:
    api = client.CoreV1Api(control_plane.api)
    api.create_namespace({"metadata": {"name": NAMESPACE}})
    try:
        yield api
    finally:
        api.delete_namespace(NAMESPACE)


def _pool_of_node(core: client.CoreV1Api, node: str) -> str:
    return core.read_node(node).metadata.labels[POOL_LABEL]


def _scheduled_pool(core: client.CoreV1Api, name: str) -> str:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        pod = core.read_namespaced_pod(name, NAMESPACE)
        if pod.spec.node_name:
            return _pool_of_node(core, pod.spec.node_name)
        time.sleep(0.25)
    pytest.fail(f"{name}: not scheduled within {TIMEOUT:.0f} s")


def _unschedulable(core: client.CoreV1Api, name: str) -> str:
    """The scheduler's reason, once it has said the pod fits no node."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        pod = core.read_namespaced_pod(name, NAMESPACE)
        assert not pod.spec.node_name, f"{name}: scheduled on {pod.spec.node_name}"
        for condition in pod.status.conditions or []:
            if condition.type == "PodScheduled" and condition.reason == "Unschedulable":
                return condition.message
        time.sleep(0.25)
    pytest.fail(f"{name}: the scheduler gave no verdict within {TIMEOUT:.0f} s")


def test_gpu_work_lands_on_gpu_pools_and_nothing_else_does(core) -> None:
    gpu_nodes = [
        node.metadata.name
        for node in core.list_node().items
        if node.metadata.labels.get(POOL_LABEL) in GPU_POOLS
    ]
    assert gpu_nodes, "the control plane has no GPU pool nodes"

    training = _pod("training", gpus=1, tolerate=True, nodeSelector=dict([GPU_POOL_LABEL]))
    core.create_namespaced_pod(NAMESPACE, training)
    assert _scheduled_pool(core, "training") == GPU_POOL_LABEL[1]

    admitted = core.create_namespaced_pod(NAMESPACE, _pod("inference", gpus=1))
    assert any(t.key == GPU_RESOURCE for t in admitted.spec.tolerations or [])
    assert _scheduled_pool(core, "inference") in GPU_POOLS

    core.create_namespaced_pod(NAMESPACE, _pod("too-many", gpus=64, tolerate=True))
    assert f"Insufficient {GPU_RESOURCE}" in _unschedulable(core, "too-many")

    for index in range(6):  # more pods than there are system nodes: spreading would reach a GPU
        core.create_namespaced_pod(NAMESPACE, _pod(f"ordinary-{index}"))
    pools = {_scheduled_pool(core, f"ordinary-{index}") for index in range(6)}
    assert not pools & GPU_POOLS, f"ordinary pods scheduled on {sorted(pools & GPU_POOLS)}"
