"""Verify a live cluster with the Kubernetes API: nodes Ready; GPU pools advertise
`nvidia.com/gpu` and carry its taint; the platform's pods are healthy and its Services have
ready endpoints and answer through the API server's proxy; Argo CD applications are Synced and
Healthy; every platform namespace carries Pod Security labels; and a probe pod in the
experimentation namespace cannot open connections the NetworkPolicies do not allow.

Namespaces come from `mlops.config.namespaces.NAMESPACES`, the same catalog the components
install into. Each environment (dev, int, prod) is its own cluster, so "dev cannot reach prod"
is the network boundary between clusters; inside one cluster the probe checks that every flow
outside `ALLOWED_FLOWS` is denied where the stack enables default-deny policies (int, prod).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.config.namespaces import NAMESPACES, PSA_ORDER, flows_between
from mlops.verify.report import Result, expect, failed, passed, skipped

POOL_LABEL = "mlops.platform/pool"
GPU = "nvidia.com/gpu"
# The platform: MLflow, KFP, the in-cluster S3 store, KServe, Prometheus, Argo CD, governance.
PLATFORM_KEYS = ("mlflow", "kubeflow", "storage", "kserve", "monitoring", "argocd", "governance")
# Health endpoints reached through the API server's service proxy: (namespace key, service
# name contains, path). The in-cluster store is not among them: its NetworkPolicy admits only
# its consumers, so the endpoints check (ready: its /status readiness probe answers) stands for it.
HEALTH = (
    ("mlflow", "mlflow", "/health"),
    ("governance", "governance", "/healthz"),
    ("argocd", "argocd-server", "/healthz"),
    ("monitoring", "prometheus", "/-/ready"),
    ("kubeflow", "ml-pipeline", "/apis/v2beta1/healthz"),
)
PROBE_SOURCE = "notebooks"
PROBE_IMAGE = "busybox:1.36"


@dataclass
class Cluster:
    """API clients of one kubeconfig context."""

    core: Any
    custom: Any
    context: str
    probe_image: str = PROBE_IMAGE
    probe_source: str = PROBE_SOURCE

    def namespaces(self) -> dict[str, Any]:
        return {ns.metadata.name: ns for ns in self.core.list_namespace().items}


def connect(kubeconfig: Path, context: str | None) -> Cluster:
    """Clients for `context` (else the kubeconfig's current one)."""
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kubeconfig), context=context)
    _, active = config.list_kube_config_contexts(config_file=str(kubeconfig))
    name = context or (active or {}).get("name", "")
    return Cluster(client.CoreV1Api(api), client.CustomObjectsApi(api), name)


CheckFn = Callable[[Cluster], Iterator[Result]]


def nodes_ready(cluster: Cluster) -> Iterator[Result]:
    nodes = cluster.core.list_node().items
    if not nodes:
        yield failed("nodes-ready", "nodes", "the cluster has no nodes")
    for node in nodes:
        ready = next((c for c in node.status.conditions or [] if c.type == "Ready"), None)
        status = ready.status if ready else "unknown"
        yield expect("nodes-ready", node.metadata.name, status == "True", f"Ready={status}")


def gpu_nodes(cluster: Cluster) -> Iterator[Result]:
    """Nodes of a GPU pool (pool label ending in -gpu, or a GPU in capacity) advertise
    allocatable GPUs and carry the NoSchedule taint that keeps other pods away."""
    found = False
    for node in cluster.core.list_node().items:
        labels = node.metadata.labels or {}
        pool = labels.get(POOL_LABEL, "")
        capacity = (node.status.capacity or {}).get(GPU)
        if not pool.endswith("-gpu") and capacity is None:
            continue
        found = True
        allocatable = int((node.status.allocatable or {}).get(GPU, "0") or 0)
        yield expect("gpu-nodes", f"{node.metadata.name} allocatable", allocatable > 0,
                     f"pool {pool or '?'}: allocatable {GPU} = {allocatable}")  # fmt: skip
        tainted = any(t.key == GPU and t.effect == "NoSchedule" for t in node.spec.taints or [])
        yield expect("gpu-nodes", f"{node.metadata.name} taint", tainted,
                     f"taint {GPU}:NoSchedule {'present' if tainted else 'missing'}")  # fmt: skip
    if not found:
        yield skipped("gpu-nodes", "gpu", f"no GPU node (label {POOL_LABEL}=*-gpu); pools "
                      "may be scaled to zero")  # fmt: skip


def _platform_namespaces(cluster: Cluster) -> Iterator[tuple[str, str, bool]]:
    present = cluster.namespaces()
    for key in PLATFORM_KEYS:
        name = NAMESPACES[key].name
        yield key, name, name in present


def platform_pods(cluster: Cluster) -> Iterator[Result]:
    """Every pod of the platform namespaces is Running with all containers ready (or Succeeded)."""
    for key, name, present in _platform_namespaces(cluster):
        if not present:
            if key == "storage":
                yield skipped(
                    "platform-pods",
                    name,
                    "no in-cluster store namespace (stacks on S3 or an external store)",
                )
            else:
                yield failed("platform-pods", name, f"namespace {name} ({key}) is missing")
            continue
        pods = cluster.core.list_namespaced_pod(name).items
        if not pods:
            yield failed("platform-pods", name, "no pods")
        for pod in pods:
            phase = pod.status.phase
            statuses = pod.status.container_statuses or []
            ready = all(s.ready for s in statuses) and bool(statuses)
            healthy = phase == "Succeeded" or (phase == "Running" and ready)
            yield expect("platform-pods", f"{name}/{pod.metadata.name}", healthy,
                         f"phase {phase}, ready {sum(s.ready for s in statuses)}/{len(statuses)}")  # fmt: skip


def endpoints(cluster: Cluster) -> Iterator[Result]:
    """Every selector Service of the platform namespaces has at least one ready address."""
    for _key, name, present in _platform_namespaces(cluster):
        if not present:
            continue
        for service in cluster.core.list_namespaced_service(name).items:
            if not service.spec.selector:
                continue
            ep = cluster.core.read_namespaced_endpoints(service.metadata.name, name)
            ready = sum(len(s.addresses or []) for s in ep.subsets or [])
            yield expect("endpoints", f"{name}/{service.metadata.name}", ready > 0,
                         f"{ready} ready addresses")  # fmt: skip


def service_health(cluster: Cluster) -> Iterator[Result]:
    """The platform's health endpoints answer through the API server's service proxy."""
    from kubernetes.client.exceptions import ApiException

    present = cluster.namespaces()
    for key, contains, path in HEALTH:
        namespace = NAMESPACES[key].name
        if namespace not in present:
            continue
        services = [s for s in cluster.core.list_namespaced_service(namespace).items
                    if contains in s.metadata.name and s.spec.ports]  # fmt: skip
        if not services:
            yield failed("service-health", f"{namespace}/*{contains}*", "no such Service")
            continue
        service = sorted(services, key=lambda s: len(s.metadata.name))[0]
        port = service.spec.ports[0].port
        proxy = f"{service.metadata.name}:{port}"
        try:
            cluster.core.connect_get_namespaced_service_proxy_with_path(
                proxy, namespace, path.lstrip("/"), _request_timeout=15
            )
        except ApiException as error:
            yield failed("service-health", f"{namespace}/{proxy}", f"GET {path}: {error.status}")
            continue
        yield passed("service-health", f"{namespace}/{proxy}", f"GET {path}: 200")


def argocd_apps(cluster: Cluster) -> Iterator[Result]:
    """Every Argo CD Application is Synced and Healthy."""
    from kubernetes.client.exceptions import ApiException

    namespace = NAMESPACES["argocd"].name
    try:
        apps = cluster.custom.list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", namespace, "applications"
        )["items"]
    except ApiException as error:
        yield failed("argocd-apps", namespace, f"cannot list Applications: {error.status}")
        return
    if not apps:
        yield failed("argocd-apps", namespace, "no Argo CD Application")
    for app in apps:
        status = app.get("status", {})
        sync = status.get("sync", {}).get("status")
        health = status.get("health", {}).get("status")
        yield expect("argocd-apps", app["metadata"]["name"], sync == "Synced" and health == "Healthy",
                     f"sync {sync}, health {health}")  # fmt: skip


def pod_security(cluster: Cluster) -> Iterator[Result]:
    """Every platform namespace present enforces a Pod Security level, and audits and warns at
    a level at least as strict."""
    present = cluster.namespaces()
    for namespace in NAMESPACES.values():
        ns = present.get(namespace.name)
        if ns is None:
            continue
        labels = ns.metadata.labels or {}
        levels = {
            m: labels.get(f"pod-security.kubernetes.io/{m}") for m in ("enforce", "audit", "warn")
        }
        valid = all(v in PSA_ORDER for v in levels.values())
        ordered = valid and all(PSA_ORDER.index(levels[m]) >= PSA_ORDER.index(levels["enforce"])  # type: ignore[arg-type]
                                for m in ("audit", "warn"))  # fmt: skip
        yield expect("pod-security", namespace.name, ordered,
                     ", ".join(f"{m}={v}" for m, v in levels.items()))  # fmt: skip


def _default_deny(cluster: Cluster, namespace: str) -> bool:
    from kubernetes import client

    api = client.NetworkingV1Api(cluster.core.api_client)
    for policy in api.list_namespaced_network_policy(namespace).items:
        selector = policy.spec.pod_selector
        empty = not (selector.match_labels or selector.match_expressions)
        if empty and "Ingress" in (policy.spec.policy_types or []) and not policy.spec.ingress:
            return True
    return False


def network_policies(cluster: Cluster) -> Iterator[Result]:
    """A probe pod in the experimentation namespace tries each platform Service it has no
    allowed flow to; every attempt must time out or be refused."""
    present = cluster.namespaces()
    source = NAMESPACES[cluster.probe_source].name
    if source not in present:
        yield skipped("network-policies", source, f"no {source} namespace to probe from")
        return
    installed = tuple(k for k, ns in NAMESPACES.items() if ns.name in present)
    allowed = {f.destination for f in flows_between(installed) if f.source == cluster.probe_source}
    targets = []
    for key in installed:
        namespace = NAMESPACES[key].name
        if key == cluster.probe_source or key in allowed:
            continue
        if not _default_deny(cluster, namespace):
            yield skipped("network-policies", namespace,
                          "no default-deny policy (stacks local and dev do not enable it)")  # fmt: skip
            continue
        for service in cluster.core.list_namespaced_service(namespace).items:
            if service.spec.selector and service.spec.ports:
                port = service.spec.ports[0].port
                targets.append(f"{service.metadata.name}.{namespace}.svc:{port}")
                break
    if targets:
        yield from _probe(cluster, source, targets)


def _probe_line(target: str) -> str:
    """Shell for one attempt with busybox wget: an HTTP answer of any status, or any failure
    after connecting, means the connection opened; refused, timed out, unreachable or an
    unresolvable name means it did not."""
    return (
        f"out=$(wget -T 3 -O /dev/null http://{target}/ 2>&1) && echo OPEN {target} || "
        f"{{ echo \"$out\" | grep -qiE 'timed out|refused|unreachable|bad address' "
        f"&& echo BLOCKED {target} || echo OPEN {target}; }}"
    )


def _probe(cluster: Cluster, namespace: str, targets: list[str]) -> Iterator[Result]:
    """One short-lived pod (restricted Pod Security) that tries each target; deleted after."""
    script = "\n".join(_probe_line(target) for target in targets)
    name = f"mlops-verify-probe-{uuid.uuid4().hex[:8]}"
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "mlops-verify-probe"}},
        "spec": {
            "restartPolicy": "Never", "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe", "image": cluster.probe_image, "command": ["sh", "-c", script],
                "securityContext": {"allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]}},
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                              "limits": {"cpu": "100m", "memory": "32Mi"}},
            }],
        },
    }  # fmt: skip
    cluster.core.create_namespaced_pod(namespace, pod)
    try:
        deadline = time.monotonic() + 120 + 5 * len(targets)
        phase = "Pending"
        while time.monotonic() < deadline:
            phase = cluster.core.read_namespaced_pod(name, namespace).status.phase
            if phase in ("Succeeded", "Failed"):
                break
            time.sleep(2)
        if phase not in ("Succeeded", "Failed"):
            yield failed("network-policies", namespace, f"probe pod {name} still {phase}")
            return
        log = cluster.core.read_namespaced_pod_log(name, namespace)
    finally:
        cluster.core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    for target in targets:
        if f"OPEN {target}" in log:
            yield failed("network-policies", f"{namespace} -> {target}", "connection opened")
        elif f"BLOCKED {target}" in log:
            yield passed("network-policies", f"{namespace} -> {target}", "blocked")
        else:
            yield failed("network-policies", f"{namespace} -> {target}", f"no result: {log[:200]}")


CHECKS: dict[str, CheckFn] = {
    "nodes-ready": nodes_ready,
    "gpu-nodes": gpu_nodes,
    "platform-pods": platform_pods,
    "endpoints": endpoints,
    "service-health": service_health,
    "argocd-apps": argocd_apps,
    "pod-security": pod_security,
    "network-policies": network_policies,
}
