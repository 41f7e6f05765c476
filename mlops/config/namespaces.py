"""The catalog of namespaces the platform uses, and the traffic allowed between them.

This is data, not code paths: tenancy turns it into Namespaces, Pod Security labels and
NetworkPolicies, and every other component installs into the namespace named here.
"""

from dataclasses import dataclass
from typing import Literal

Plane = Literal["platform", "analytics", "serving"]
PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
PSA_ORDER: tuple[PodSecurityLevel, ...] = ("privileged", "baseline", "restricted")


@dataclass(frozen=True)
class PlatformNamespace:
    """One namespace; `needs` is the least strict Pod Security level its workloads require."""

    name: str
    plane: Plane
    needs: PodSecurityLevel = "restricted"
    workloads: bool = False  # runs user workloads: gets quotas and LimitRange defaults
    web_ui: bool = False  # reached from the gateway's Envoy proxies
    public_ports: tuple[int, ...] = ()  # reached from outside the cluster (the load balancer)
    webhooks: bool = False  # runs admission webhooks, which the Kubernetes API server calls


GATEWAY_PORTS = (10080, 10443)

NAMESPACES: dict[str, PlatformNamespace] = {
    "cert_manager": PlatformNamespace("cert-manager", "platform", webhooks=True),
    # Envoy Gateway's controller and the Envoy proxies it runs (container ports: the Gateway's
    # listener ports 80 and 443 shifted by 10000, so that the proxies need no privilege); its
    # topology-injector webhook labels proxy pods with their zone.
    "gateway": PlatformNamespace(
        "envoy-gateway-system", "platform", public_ports=GATEWAY_PORTS, webhooks=True
    ),
    "argocd": PlatformNamespace("argocd", "platform", web_ui=True),
    "gpu": PlatformNamespace("gpu-operator", "platform", needs="privileged"),
    "registry": PlatformNamespace("registry", "platform"),
    # the CloudNativePG operator, which runs the in-cluster PostgreSQL databases
    "database": PlatformNamespace("cnpg-system", "platform", webhooks=True),
    "governance": PlatformNamespace("governance", "platform", web_ui=True),
    "storage": PlatformNamespace("object-storage", "analytics"),
    "mlflow": PlatformNamespace("mlflow", "analytics", web_ui=True),
    "kubeflow": PlatformNamespace(
        "kubeflow", "analytics", needs="baseline", workloads=True, web_ui=True
    ),
    "notebooks": PlatformNamespace(
        "notebooks", "analytics", needs="baseline", workloads=True, web_ui=True
    ),
    "kserve": PlatformNamespace("kserve", "serving", webhooks=True),
    "knative_serving": PlatformNamespace(
        "knative-serving", "serving", needs="baseline", webhooks=True
    ),
    "models": PlatformNamespace("models", "serving", workloads=True),
    # the evidence collector's CronJob, apart from the predictors: its identity reads the request
    # logs they may only append to, and asks Kubeflow Pipelines for retraining runs
    "collector": PlatformNamespace("evidence-collector", "serving"),
    "monitoring": PlatformNamespace(
        "monitoring", "serving", needs="privileged", web_ui=True, webhooks=True
    ),
}


@dataclass(frozen=True)
class Flow:
    """Pods in `source` may open connections to pods in `destination` on `ports`."""

    source: str
    destination: str
    ports: tuple[int, ...]


@dataclass(frozen=True)
class ExternalFlow:
    """Pods in `source` may open connections to addresses in `cidr` on `ports`: a service
    outside the cluster, such as the RDS database in the VPC's private subnets. `name` names the
    NetworkPolicy (`allow-to-<name>`)."""

    source: str
    name: str
    cidr: str
    ports: tuple[int, ...]


OBJECT_STORE_PORTS = (8333,)  # the in-cluster store's S3 API (SeaweedFS)
MLFLOW_PORTS = (5000,)
GOVERNANCE_PORTS = (8080,)
PROMETHEUS_PORTS = (9090,)  # kube-prometheus-stack's Prometheus API
KFP_API_PORTS = (8888,)  # Kubeflow Pipelines' ml-pipeline API

ALLOWED_FLOWS: tuple[Flow, ...] = (
    Flow("mlflow", "storage", OBJECT_STORE_PORTS),
    Flow("kubeflow", "storage", OBJECT_STORE_PORTS),
    Flow("kubeflow", "mlflow", MLFLOW_PORTS),
    Flow("kubeflow", "governance", GOVERNANCE_PORTS),
    Flow("notebooks", "storage", OBJECT_STORE_PORTS),
    Flow("notebooks", "mlflow", MLFLOW_PORTS),
    Flow("models", "storage", OBJECT_STORE_PORTS),
    Flow("models", "governance", GOVERNANCE_PORTS),
    Flow("monitoring", "governance", GOVERNANCE_PORTS),
    # the evidence collector reads Prometheus (never the predictors' metrics endpoints, which
    # share the port that answers predictions), reads the request logs in the store, appends
    # evidence, and asks KFP for retraining runs
    Flow("collector", "monitoring", PROMETHEUS_PORTS),
    Flow("collector", "storage", OBJECT_STORE_PORTS),
    Flow("collector", "governance", GOVERNANCE_PORTS),
    Flow("collector", "kubeflow", KFP_API_PORTS),
    Flow("gateway", "models", ()),  # InferenceServices behind the gateway (RawDeployment)
    Flow("gateway", "knative_serving", ()),  # Kourier, in front of them (Serverless)
    Flow("knative_serving", "models", ()),  # the activator and Kourier in front (Serverless)
)
# Where Prometheus scrapes the nodes themselves: the kubelet and node-exporter (host network).
NODE_METRICS_PORTS = (9100, 10250)


def effective_pod_security(
    namespace: PlatformNamespace, configured: PodSecurityLevel
) -> PodSecurityLevel:
    """What the stack asks for, relaxed only as far as the namespace's own tools require."""
    levels: tuple[PodSecurityLevel, ...] = (configured, namespace.needs)
    return min(levels, key=PSA_ORDER.index)


def flows_between(installed: tuple[str, ...]) -> list[Flow]:
    """Every allowed flow among the installed namespaces: the catalog's flows, Prometheus
    scraping every namespace, and the gateway reaching the web UIs."""
    flows = list(ALLOWED_FLOWS)
    flows += [Flow("monitoring", key, ()) for key in installed]
    flows += [Flow("gateway", key, ()) for key in installed if NAMESPACES[key].web_ui]
    merged: dict[tuple[str, str], tuple[int, ...]] = {}
    for flow in flows:
        pair = (flow.source, flow.destination)
        if flow.source == flow.destination or not set(pair) <= set(installed):
            continue
        # one policy per pair (it is named after the pair); () is every port and covers any other
        known = merged.setdefault(pair, flow.ports)
        if known and flow.ports:
            merged[pair] = tuple(sorted({*known, *flow.ports}))
        elif not flow.ports:
            merged[pair] = ()
    return [Flow(source, destination, ports) for (source, destination), ports in merged.items()]


# The service account InferenceServices pull models with: the platform binds it to the object
# store (keys of its read-only identity, or an IRSA role); the rendered releases name it.
MODEL_READER_ACCOUNT = "model-reader"

# The evidence collector's CronJob (`gitops/envs/<env>/rendered/evidence-collector/`) runs in
# the collector namespace as this service account (components/evidence_collector.py: its store
# identity, request-log location and the one KFP permission, creating runs). It reads and
# appends evidence with the Audit API's auditor token, which the governance component puts in
# this Secret of the collector namespace.
COLLECTOR_ACCOUNT = "evidence-collector"
COLLECTOR_AUDIT_SECRET = "evidence-collector-audit"
COLLECTOR_AUDIT_KEY = "token"
# What the platform writes for the CronJob: where the request log is (its bucket's real name is
# known only once the store exists), in this ConfigMap of the collector namespace.
COLLECTOR_SETTINGS = "evidence-collector"
COLLECTOR_REQUEST_LOG_KEY = "request-log"
