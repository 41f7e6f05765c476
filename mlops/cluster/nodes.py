"""kwok nodes shaped like a stack's node pools: the pool's labels (and the pool label the
components set), its taints, and `nvidia.com/gpu` capacity on GPU pools. A pool scaled to zero
still gets one node, so what targets it can be scheduled. CPU and memory are not the instance
type's: they are generous, so a quota, not the node, is what refuses a workload here."""

from __future__ import annotations

from typing import Any

from mlops.cluster.programs import KWOK_ANNOTATION
from mlops.config.model import GPU_RESOURCE, NodePool, StackConfig

POOL_LABEL = "mlops.platform/pool"  # components/node_pool.py sets it on every managed node group
CAPACITY = {"cpu": "32", "memory": "128Gi", "pods": "110", "ephemeral-storage": "200Gi"}


def pool_nodes(name: str, pool: NodePool, zones: list[str]) -> list[dict[str, Any]]:
    pool_name = name.replace("_", "-")
    capacity = dict(CAPACITY)
    if pool.gpu_count:
        capacity[GPU_RESOURCE] = str(pool.gpu_count)
    nodes = []
    for index in range(max(pool.desired_size, 1)):
        node = f"{pool_name}-{index}"
        labels = {
            **pool.labels,
            POOL_LABEL: pool_name,
            "kubernetes.io/hostname": node,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": pool.instance_types[0],
            "eks.amazonaws.com/nodegroup": pool_name,
            "type": "kwok",
        }
        labels["topology.kubernetes.io/zone"] = zones[index % len(zones)]
        nodes.append({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node, "labels": labels, "annotations": {KWOK_ANNOTATION: "fake"}},
            "spec": {"taints": [t.model_dump() for t in pool.taints]},
            "status": {"capacity": capacity, "allocatable": capacity},
        })  # fmt: skip
    return nodes


def stack_nodes(config: StackConfig) -> list[dict[str, Any]]:
    region = config.cloud.region or "local"
    zones = [f"{region}{chr(ord('a') + i)}" for i in range(config.network.availability_zones)]
    pools = config.node_pools
    return [node for name in type(pools).model_fields for node in
            pool_nodes(name, getattr(pools, name), zones)]  # fmt: skip
