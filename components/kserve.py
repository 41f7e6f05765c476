"""KServe for the serving plane: cert-manager, the pinned KServe charts, Knative Serving (with
Kourier) only in Serverless mode, and the platform's one serving runtime (its predictor).

InferenceServices are reached through the platform's Gateway (components/edge.py): in
RawDeployment KServe writes an HTTPRoute per InferenceService onto it (KServe's Gateway API
mode); in Serverless the gateway routes every InferenceService host to Kourier."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.disruption_budget import disruption_budget
from components.helm import pinned_release
from mlops.config.model import (
    GPU_RESOURCE,
    REQUEST_LOG_BUCKET,
    ChartPin,
    ExposureConfig,
    NodePool,
    ServingConfig,
)
from mlops.config.namespaces import NAMESPACES
from mlops.config.object_store import StoreEndpoint, client_env
from mlops.serving.runtime import PORT, RUNTIME_NAME, predictor_container, request_log_settings

KSERVE_CONTROLLER = "kserve-controller-manager"
CONTROLLER_SELECTOR = {"control-plane": KSERVE_CONTROLLER, "controller-tools.k8s.io": "1.0"}
KOURIER_CLASS = "kourier.ingress.networking.knative.dev"
KOURIER_SERVICE = "kourier"  # Kourier's gateway Service in the Knative Serving namespace, port 80
# The newest Knative Serving the pinned operator (knative-v1.23.0) bundles.
KNATIVE_SERVING_VERSION = "1.23.0"
RUNTIME_PRIORITY = 10  # above the chart's built-in runtimes (1-2), so auto-selection picks ours
RUNTIME_RESOURCES = {
    "requests": {"cpu": "1", "memory": "2Gi"},
    "limits": {"cpu": "1", "memory": "2Gi"},
}
SMALL = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
# KServe 0.17 renamed the deployment modes; the stacks keep the names users know.
CHART_DEPLOYMENT_MODES = {"RawDeployment": "Standard", "Serverless": "Knative"}
GPU_ANNOTATION = "mlops.platform/accelerator"
TOLERATION_ANNOTATION = "mlops.platform/tolerates"


@dataclass(frozen=True)
class KServeArgs:
    cert_manager_chart: ChartPin  # charts.cert_manager
    crd_chart: ChartPin  # charts.kserve_crd
    chart: ChartPin  # charts.kserve
    knative_operator_chart: ChartPin  # charts.knative_operator (installed only for Serverless)
    serving: ServingConfig  # serving
    controller_replicas: int  # replicas.kserve_controller
    exposure: ExposureConfig  # exposure: TLS (URL scheme)
    gateway: str  # <namespace>/<name> of the platform's Gateway, KServe's HTTPRoutes' parent
    inference_pool: NodePool  # node_pools.inference_gpu: its taints become runtime tolerations
    ingress_domain: str  # InferenceService hosts are <name>-<namespace>.<ingress_domain>
    knative_namespace: str = "knative-serving"  # where Knative Serving runs (Serverless only)
    # where predictors append request logs: the request-logs bucket's real name, and how the
    # pods reach the store (None on S3: IRSA and the regional endpoint)
    request_log_bucket: pulumi.Input[str] = REQUEST_LOG_BUCKET
    store: StoreEndpoint | None = None
    region: str | None = None  # S3's region (the SDK needs one even with IRSA)


class KServe(pulumi.ComponentResource):
    """Model serving: RawDeployment by default, Serverless (Knative + Kourier) where configured."""

    ingress_domain: pulumi.Output[str]
    url_scheme: pulumi.Output[str]
    deployment_mode: pulumi.Output[str]
    runtimes: pulumi.Output[list[str]]
    cert_manager: k8s.helm.v3.Release  # ClusterIssuers (platform-issuer) depend on it

    def __init__(
        self, name: str, args: KServeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:kserve:KServe", name, None, opts)
        namespace = NAMESPACES["kserve"].name
        child = pulumi.ResourceOptions(parent=self)
        serverless = args.serving.deployment_mode == "Serverless"
        self.cert_manager = pinned_release(
            "cert-manager",
            args.cert_manager_chart,
            NAMESPACES["cert_manager"].name,
            cert_manager_values(),
            child,
        )
        crds = pinned_release("kserve-crd", args.crd_chart, namespace, {}, child)
        needs: list[pulumi.Resource] = [self.cert_manager, crds]
        if serverless:
            needs.append(self._knative(args, namespace))
        kserve = pinned_release(
            "kserve",
            args.chart,
            namespace,
            kserve_values(args),
            pulumi.ResourceOptions(parent=self, depends_on=needs),
        )
        after_kserve = pulumi.ResourceOptions(parent=self, depends_on=[kserve])
        k8s.apps.v1.DeploymentPatch(
            "kserve-controller-replicas",
            metadata=k8s.meta.v1.ObjectMetaPatchArgs(name=KSERVE_CONTROLLER, namespace=namespace),
            # the chart has no replica value; leader election makes extra replicas safe
            spec=k8s.apps.v1.DeploymentSpecPatchArgs(replicas=args.controller_replicas),
            opts=after_kserve,
        )
        if args.controller_replicas >= 2:
            disruption_budget(
                KSERVE_CONTROLLER,
                namespace=namespace,
                match_labels=CONTROLLER_SELECTOR,
                opts=after_kserve,
            )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[crds])
        runtimes = pulumi.Output.from_input(args.request_log_bucket).apply(
            lambda bucket: serving_runtimes(args, bucket)
        )
        static = serving_runtimes(args)  # names and tolerations do not depend on the bucket
        names = list(static)
        for runtime_name, known in static.items():
            spec = runtimes.apply(lambda r, n=runtime_name: r[n])
            _runtime(runtime_name, known["tolerations"], spec, after_crds)
        self.ingress_domain = pulumi.Output.from_input(args.ingress_domain)
        self.url_scheme = pulumi.Output.from_input(_scheme(args.exposure))
        self.deployment_mode = pulumi.Output.from_input(args.serving.deployment_mode)
        self.runtimes = pulumi.Output.from_input(names)
        self.register_outputs(
            {
                "ingress_domain": self.ingress_domain,
                "url_scheme": self.url_scheme,
                "deployment_mode": self.deployment_mode,
                "runtimes": self.runtimes,
            }
        )

    def _knative(self, args: KServeArgs, namespace: str) -> pulumi.Resource:
        """The Knative operator and one KnativeServing with Kourier (cluster-internal service:
        external traffic reaches it through the platform's gateway)."""
        operator = pinned_release(
            "knative-operator",
            args.knative_operator_chart,
            namespace,
            knative_operator_values(),
            pulumi.ResourceOptions(parent=self),
        )
        return k8s.apiextensions.CustomResource(
            "knative-serving",
            api_version="operator.knative.dev/v1beta1",
            kind="KnativeServing",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="knative-serving", namespace=args.knative_namespace
            ),
            spec=knative_serving_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator]),
        )


def _scheme(exposure: ExposureConfig) -> str:
    return "https" if exposure.tls else "http"


def cert_manager_values() -> dict[str, Any]:
    """cert-manager with its CRDs (kept on uninstall, so certificates survive), restricted pods,
    and its Gateway API support: it issues the certificate of every HTTPS listener of a Gateway
    annotated with an issuer (the Gateway API CRDs are installed before it starts)."""
    component = {"resources": SMALL, "containerSecurityContext": RESTRICTED_CONTAINER}
    return {
        "crds": {"enabled": True, "keep": True},
        "config": {
            "apiVersion": "controller.config.cert-manager.io/v1alpha1",
            "kind": "ControllerConfiguration",
            "enableGatewayAPI": True,
        },
        "global": {"leaderElection": {"namespace": NAMESPACES["cert_manager"].name}},
        "securityContext": RESTRICTED_POD,
        **component,
        "webhook": {**component, "securityContext": RESTRICTED_POD},
        "cainjector": {**component, "securityContext": RESTRICTED_POD},
        "startupapicheck": {**component, "securityContext": RESTRICTED_POD},
    }


def kserve_values(args: KServeArgs) -> dict[str, Any]:
    """Values of the `kserve-resources` chart: mode, Gateway API routes, restricted controller."""
    return {
        "kserve": {
            "controller": {
                "deploymentMode": CHART_DEPLOYMENT_MODES[args.serving.deployment_mode],
                "gateway": {
                    "domain": args.ingress_domain,
                    "urlScheme": _scheme(args.exposure),
                    "disableIstioVirtualHost": True,  # no Istio: Kourier or the Gateway API
                    # HTTPRoutes on the platform's Gateway instead of Ingress objects
                    "ingressGateway": {
                        "enableGatewayApi": True,
                        "kserveGateway": args.gateway,
                        "createGateway": False,
                    },
                },
                "securityContext": RESTRICTED_POD,
                "containerSecurityContext": RESTRICTED_CONTAINER,
                "resources": {
                    "requests": {"cpu": "100m", "memory": "300Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                },
            },
            # predictor pods do not talk to the API server
            "security": {"autoMountServiceAccountToken": False},
        }
    }


def knative_operator_values() -> dict[str, Any]:
    """Restricted pods for the operator and its webhook. The chart reads three keys of
    `containerSecurityContext` (it always drops every capability) and takes the seccomp profile
    only at pod level, from `securityContext`."""
    container = {
        key: RESTRICTED_CONTAINER[key]
        for key in ("allowPrivilegeEscalation", "readOnlyRootFilesystem", "runAsNonRoot")
    }
    component = {"securityContext": RESTRICTED_POD, "containerSecurityContext": container}
    return {"knative_operator": {"knative_operator": component, "operator_webhook": component}}


def knative_serving_spec(args: KServeArgs) -> dict[str, Any]:
    return {
        "version": KNATIVE_SERVING_VERSION,
        "high-availability": {"replicas": args.controller_replicas},
        "ingress": {"kourier": {"enabled": True, "service-type": "ClusterIP"}},
        "config": {
            "network": {"ingress-class": KOURIER_CLASS},
            "domain": {args.ingress_domain: ""},
            # GPU requests and the inference pool's taint are allowed on Knative revisions
            "features": {
                "kubernetes.podspec-tolerations": "enabled",
                "kubernetes.podspec-nodeselector": "enabled",
                "kubernetes.podspec-affinity": "enabled",
                "secure-pod-defaults": "enabled",
            },
        },
    }


def serving_runtimes(args: KServeArgs, request_log_bucket: str = "") -> dict[str, dict[str, Any]]:
    """The platform's one serving runtime, `platform-predictor` (mlops.serving.runtime): the
    container the demo and the tests run, with the stack's request log.

    It is GPU-capable: it tolerates the inference pool's taints, so an InferenceService that
    requests `nvidia.com/gpu` is scheduled there; a CPU-only one stays on the system pool (the
    taint repels it only if it does not ask for a GPU, because tolerations never force a node).
    """
    tolerations = [
        {"key": taint.key, "operator": "Exists", "effect": taint.effect}
        for taint in args.inference_pool.taints
    ]
    request_log = request_log_settings(args.serving, request_log_bucket)
    container = predictor_container(
        args.serving.predictor_image,
        request_log,
        client_env(args.store) if args.store is not None else _region_env(args.region),
    )
    return {
        RUNTIME_NAME: {
            "annotations": {
                "prometheus.kserve.io/port": str(PORT),
                "prometheus.kserve.io/path": "/metrics",
            },
            "tolerations": tolerations,
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
            "supportedModelFormats": [
                {
                    "name": "mlflow",
                    "version": version,
                    "autoSelect": True,
                    "priority": RUNTIME_PRIORITY,
                }
                for version in ("1", "2")
            ],
            "protocolVersions": ["v1", "v2"],
            "containers": [
                {
                    **container,
                    "resources": RUNTIME_RESOURCES,
                    "securityContext": RESTRICTED_CONTAINER,  # writes only to /tmp
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
                }
            ],
        }
    }


def _region_env(region: str | None) -> list[dict[str, str]]:
    return [{"name": "AWS_DEFAULT_REGION", "value": region}] if region else []


def _runtime(
    name: str,
    tolerations: list[dict[str, str]],
    spec: pulumi.Output[dict[str, Any]],
    opts: pulumi.ResourceOptions,
) -> None:
    tolerated = ",".join(sorted({t["key"] for t in tolerations}))
    k8s.apiextensions.CustomResource(
        name,
        api_version="serving.kserve.io/v1alpha1",
        kind="ClusterServingRuntime",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            annotations={GPU_ANNOTATION: GPU_RESOURCE, TOLERATION_ANNOTATION: tolerated},
        ),
        spec=spec,
        opts=opts,
    )
