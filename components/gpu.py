"""GPU enablement: the NVIDIA device plugin (advertises `nvidia.com/gpu` to the scheduler) and
the DCGM exporter (GPU metrics for Prometheus), on the GPU pools only, plus the `nvidia`
RuntimeClass. GPU quotas per namespace are tenancy's.

Both DaemonSets run as root: the device plugin writes its socket into the kubelet's host
directory, DCGM reads the GPUs through the driver (with SYS_ADMIN for profiling counters). That is
why the `gpu` namespace needs the privileged Pod Security level; everything else is dropped.

The GPU nodes' containerd registers an `nvidia` runtime handler (EKS accelerated AMIs, k3s with
the NVIDIA toolkit; the GPU operator does the same). Pods that name the `nvidia` RuntimeClass get
the GPU taints' tolerations and, where the pools share labels, their node selector from it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.helm import pinned_release
from mlops.config.model import GPU_RESOURCE, ChartVersions, GpuConfig, NodePool, NodePools
from mlops.config.namespaces import NAMESPACES

RUNTIME_CLASS = "nvidia"
DCGM = "dcgm-exporter"
DCGM_PORT = 9400
DCGM_LABELS = {
    "app.kubernetes.io/name": DCGM,
    "app.kubernetes.io/instance": DCGM,
    "app.kubernetes.io/component": DCGM,
}
RESTRICTED_ROOT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class GpuStackArgs:
    node_pools: NodePools  # training_gpu and inference_gpu: labels and taints
    gpu: GpuConfig  # dcgm_exporter
    charts: ChartVersions  # nvidia_device_plugin, dcgm_exporter
    monitoring_depends_on: Sequence[pulumi.Resource] = ()  # installs the ServiceMonitor CRD


class GpuStack(pulumi.ComponentResource):
    """Device plugin and DCGM exporter on the GPU pools; their node selectors for workloads."""

    gpu_node_selector_labels: dict[str, dict[str, str]]
    gpu_tolerations: list[k8s.core.v1.TolerationArgsDict]

    def __init__(
        self, name: str, args: GpuStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:gpu:GpuStack", name, None, opts)
        self._args = args
        pools = {
            "training": args.node_pools.training_gpu,
            "inference": args.node_pools.inference_gpu,
        }
        for key, pool in pools.items():
            if not pool.labels:
                raise ValueError(
                    f"node_pools.{key}_gpu.labels: empty; GPU workloads and the device plugin "
                    "select the pool by its labels"
                )
        self.gpu_node_selector_labels = {key: dict(pool.labels) for key, pool in pools.items()}
        self.gpu_tolerations = _tolerations(list(pools.values()))
        namespace = NAMESPACES["gpu"].name
        placement = {"affinity": self._affinity(), "tolerations": self.gpu_tolerations}
        child = pulumi.ResourceOptions(parent=self)

        self._runtime_class(list(pools.values()))
        pinned_release(
            "nvidia-device-plugin",
            args.charts.nvidia_device_plugin,
            namespace,
            placement
            | {
                "gfd": {"enabled": False},
                "nfd": {"enabled": False},
                "priorityClassName": "system-node-critical",
                "securityContext": RESTRICTED_ROOT,
                "resources": {
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"cpu": "200m", "memory": "256Mi"},
                },
            },
            child,
        )
        if args.gpu.dcgm_exporter:
            exporter = pinned_release(
                DCGM,
                args.charts.dcgm_exporter,
                namespace,
                placement
                | {
                    "fullnameOverride": DCGM,
                    "serviceMonitor": {"enabled": False},  # declared below, schema-checked
                    "service": {"type": "ClusterIP", "port": DCGM_PORT},
                    "serviceAccount": {"create": True},
                    "securityContext": RESTRICTED_ROOT
                    | {
                        "runAsNonRoot": False,
                        "runAsUser": 0,
                        "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
                    },
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "256Mi"},
                        "limits": {"cpu": "500m", "memory": "1Gi"},
                    },
                },
                child,
            )
            self._service_monitor(namespace, exporter)
        self.register_outputs(
            {
                "gpu_node_selector_labels": self.gpu_node_selector_labels,
                "gpu_tolerations": self.gpu_tolerations,
            }
        )

    def _affinity(self) -> dict[str, Any]:
        """Required node affinity: any GPU pool (one selector term per pool, terms are ORed)."""
        terms = [
            {
                "matchExpressions": [
                    {"key": key, "operator": "In", "values": [value]}
                    for key, value in sorted(labels.items())
                ]
            }
            for labels in self.gpu_node_selector_labels.values()
        ]
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
            }
        }

    def _runtime_class(self, pools: list[NodePool]) -> k8s.node.v1.RuntimeClass:
        shared = dict(set.intersection(*(set(pool.labels.items()) for pool in pools)))
        return k8s.node.v1.RuntimeClass(
            RUNTIME_CLASS,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=RUNTIME_CLASS),
            handler=RUNTIME_CLASS,
            scheduling=k8s.node.v1.SchedulingArgs(
                node_selector=shared or None,
                tolerations=[k8s.core.v1.TolerationArgs(**t) for t in self.gpu_tolerations],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _service_monitor(
        self, namespace: str, exporter: k8s.helm.v3.Release
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{DCGM}-servicemonitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DCGM, namespace=namespace, labels=DCGM_LABELS),
            spec={
                "selector": {"matchLabels": DCGM_LABELS},
                "namespaceSelector": {"matchNames": [namespace]},
                # keep DCGM's namespace/pod labels: they name the workload using the GPU
                "endpoints": [
                    {"port": "metrics", "path": "/metrics", "interval": "15s", "honorLabels": True}
                ],
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[exporter, *self._args.monitoring_depends_on]
            ),
        )


def _tolerations(pools: list[NodePool]) -> list[k8s.core.v1.TolerationArgsDict]:
    """Tolerate every taint of the GPU pools (whatever its value), the GPU taint first."""
    seen: dict[tuple[str, str], k8s.core.v1.TolerationArgsDict] = {}
    for taint in sorted(
        (taint for pool in pools for taint in pool.taints),
        key=lambda taint: (taint.key != GPU_RESOURCE, taint.key, taint.effect),
    ):
        seen.setdefault(
            (taint.key, taint.effect),
            {"key": taint.key, "operator": "Exists", "effect": taint.effect},
        )
    return list(seen.values())
