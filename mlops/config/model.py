"""The typed model of everything a stack may set: the single home of platform configuration.

Environments differ by these values only; component code never branches on the environment
name. Every model forbids unknown keys, so a typo in a stack file is an error, not a default.
"""

from ipaddress import IPv4Network
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlops.config.namespaces import NAMESPACES

EnvironmentName = Literal["local", "dev", "int", "prod"]
GPU_RESOURCE = "nvidia.com/gpu"
REQUEST_LOG_BUCKET = "request-logs"  # the logical bucket predictors append request logs to
# The logical bucket a serving environment's predictors load models from: promotions copy each
# released model there (mlops.promotion.transfer), so it holds exactly what the environment serves.
RELEASED_MODELS_BUCKET = "released-models"

Name = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)]
HostName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)]
Cidr = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]


class Strict(BaseModel):
    """Base of every configuration model: unknown keys are rejected, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CloudConfig(Strict):
    """Where the platform runs: an AWS account (EKS) or an existing kubeconfig context."""

    mode: Literal["aws", "existing"]
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    kube_context: str | None = None

    @model_validator(mode="after")
    def _mode_needs_its_settings(self) -> Self:
        if self.mode == "aws" and self.region is None:
            raise ValueError("mode 'aws' needs 'region' (for example eu-central-1)")
        if self.mode == "existing" and not self.kube_context:
            raise ValueError("mode 'existing' needs 'kube_context' (a context in your kubeconfig)")
        return self


class NetworkConfig(Strict):
    """The VPC of an AWS stack; ignored in `existing` mode."""

    vpc_cidr: Cidr = "10.0.0.0/16"
    availability_zones: int = Field(default=2, ge=2, le=6)
    nat_gateways: Literal["single", "one_per_az"] = "single"

    @model_validator(mode="after")
    def _cidr_is_valid(self) -> Self:
        network = IPv4Network(self.vpc_cidr, strict=True)
        if network.prefixlen > 20:
            raise ValueError(f"vpc_cidr {self.vpc_cidr} is too small; use a /20 or larger")
        return self


class Taint(Strict):
    key: str
    value: str = "present"
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodePool(Strict):
    """One managed node group. GPU pools scale to zero and must repel non-GPU pods."""

    instance_types: list[str] = Field(min_length=1)
    min_size: int = Field(ge=0)
    max_size: int = Field(ge=1)
    desired_size: int = Field(ge=0)
    disk_size_gb: int = Field(default=100, ge=20, le=16384)
    gpu_count: int = Field(default=0, ge=0, le=16)
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sizes_and_gpu_taint(self) -> Self:
        if self.max_size < self.min_size:
            raise ValueError(f"max_size ({self.max_size}) is below min_size ({self.min_size})")
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"desired_size ({self.desired_size}) must lie between min_size "
                f"({self.min_size}) and max_size ({self.max_size})"
            )
        if self.gpu_count and not any(
            taint.key == GPU_RESOURCE and taint.effect == "NoSchedule" for taint in self.taints
        ):
            raise ValueError(
                f"a GPU pool (gpu_count {self.gpu_count}) needs the taint "
                f"'{GPU_RESOURCE}' with effect NoSchedule"
            )
        return self


class NodePools(Strict):
    system: NodePool
    training_gpu: NodePool
    inference_gpu: NodePool

    @model_validator(mode="after")
    def _gpu_pools_have_gpus(self) -> Self:
        for name in ("training_gpu", "inference_gpu"):
            if getattr(self, name).gpu_count < 1:
                raise ValueError(f"{name} must have gpu_count of at least 1")
        return self


class ChartPin(Strict):
    """A Helm chart (or a kustomize tree for `kubeflow_pipelines`) pinned to one exact version,
    with the reason for that version: this model is the one place where pins are explained."""

    repository: str = Field(pattern=r"^(https://|oci://)\S+$")
    chart: str
    version: str = Field(pattern=r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    reason: str = Field(min_length=1)
    # Where the images the pinned release runs come from (a host, or a host and a repository
    # prefix): they move with the pin, so a stack that restricts registries allows them through
    # the pin rather than by a list of its own (`mlops preflight` finds any the pin misses).
    images: tuple[str, ...] = ()


def _pin(
    repository: str, chart: str, version: str, reason: str, images: tuple[str, ...] = ()
) -> ChartPin:
    return ChartPin(
        repository=repository, chart=chart, version=version, reason=reason, images=images
    )


class ChartVersions(Strict):
    """Every chart the platform installs, pinned to one version; a stack overrides deliberately.
    Each pin is the newest release that supports the stacks' Kubernetes (1.35) unless its reason
    says otherwise (checked 2026-12-07; `mlops preflight` renders them with the real Helm).

    `kubeflow_pipelines` has no upstream Helm chart: it names the upstream kustomize folder and
    the Git tag it is taken from.
    """

    cert_manager: ChartPin = _pin(
        "https://charts.jetstack.io",
        "cert-manager",
        "v1.21.1",
        "newest release; 1.18 left support and later lines fix a DoS; no upgrade steps since 1.19",
        images=("quay.io/jetstack",),
    )
    cluster_autoscaler: ChartPin = _pin(
        "https://kubernetes.github.io/autoscaler",
        "cluster-autoscaler",
        "9.59.0",
        "Cluster Autoscaler 1.35, the stacks' Kubernetes minor",
        images=("registry.k8s.io/autoscaling/cluster-autoscaler",),
    )
    nvidia_device_plugin: ChartPin = _pin(
        "https://nvidia.github.io/k8s-device-plugin",
        "nvidia-device-plugin",
        "0.20.0",
        "newest release (GPU feature discovery, which 0.19 moved to the NodeFeature API, is off)",
        images=(
            "nvcr.io/nvidia",
            "registry.k8s.io/nfd",
        ),
    )
    dcgm_exporter: ChartPin = _pin(
        "https://nvidia.github.io/dcgm-exporter/helm-charts",
        "dcgm-exporter",
        "4.8.2",
        "newest release (DCGM 4.5.3, exporter 4.8.2)",
        images=("nvcr.io/nvidia",),
    )
    cloudnative_pg: ChartPin = _pin(
        "https://cloudnative-pg.github.io/charts",
        "cloudnative-pg",
        "0.29.0",
        "the in-cluster PostgreSQL: the CloudNativePG operator 1.30 (CNCF, maintained images on "
        "ghcr.io), replacing the Bitnami chart whose versioned images left Docker Hub in 2025",
        images=("ghcr.io/cloudnative-pg",),
    )
    mlflow: ChartPin = _pin(
        "https://community-charts.github.io/helm-charts",
        "mlflow",
        "1.11.5",
        "newest release (MLflow 3.15 server; the platform's client is 3.17, which talks to it)",
        images=("docker.io/burakince/mlflow",),
    )
    kubeflow_pipelines: ChartPin = _pin(
        "https://github.com/kubeflow/pipelines",
        "manifests/kustomize",
        "2.17.0",
        "newest release; Kubeflow 26.03 lists Kubernetes 1.35; SeaweedFS is upstream's store "
        "since 2.15 (replaced by the platform's store). Two trees are applied, as upstream "
        "installs: cluster-scoped-resources, then env/platform-agnostic",
        images=(
            "ghcr.io/kubeflow",
            "gcr.io/tfx-oss-public/ml_metadata_store_server",
            "docker.io/library/mysql",
            "docker.io/library/alpine",
            "quay.io/argoproj",
        ),
    )
    kserve_crd: ChartPin = _pin(
        "oci://ghcr.io/kserve/charts",
        "kserve-crd",
        "v0.21.0",
        "the KServe release of the `kserve` SDK the predictor uses (0.21, pyproject.toml); "
        "newest release",
    )
    kserve: ChartPin = _pin(
        "oci://ghcr.io/kserve/charts",
        "kserve-resources",
        "v0.21.0",
        "as kserve_crd; v0.17 renamed the chart from `kserve` to `kserve-resources`",
        images=(
            "docker.io/kserve",
            "quay.io/brancz/kube-rbac-proxy",
        ),
    )
    knative_operator: ChartPin = _pin(
        "https://knative.github.io/operator",
        "knative-operator",
        "v1.23.0",
        "newest release; 1.18 left support; it installs Knative Serving 1.23 (KNATIVE_SERVING_"
        "VERSION in components/kserve.py), which KServe 0.21 supports",
        images=("gcr.io/knative-releases",),
    )
    kube_prometheus_stack: ChartPin = _pin(
        "https://prometheus-community.github.io/helm-charts",
        "kube-prometheus-stack",
        "88.5.3",
        "newest release; 88.2 fixes critical CVEs; its CRDs come in the chart's crds/ folder",
        images=(
            "quay.io/prometheus",
            "quay.io/prometheus-operator",
            "registry.k8s.io/kube-state-metrics",
            "ghcr.io/jkroepke/kube-webhook-certgen",
            "docker.io/grafana/grafana",
            "quay.io/kiwigrid/k8s-sidecar",
        ),
    )
    # The edge: Envoy Gateway (a maintained Gateway API implementation that authenticates at the
    # gateway). Its CRD chart carries the standard-channel Gateway API CRDs it is built against
    # (v1.6.1 for v1.9.0) and its own policy CRDs; the controller chart installs no CRDs.
    gateway_crds: ChartPin = _pin(
        "oci://docker.io/envoyproxy",
        "gateway-crds-helm",
        "v1.9.0",
        "newest Envoy Gateway release; the Gateway API CRDs (v1.6.1) it is built against",
    )
    envoy_gateway: ChartPin = _pin(
        "oci://docker.io/envoyproxy",
        "gateway-helm",
        "v1.9.0",
        "newest Envoy Gateway release: the platform's edge (replaces the retired ingress-nginx)",
        images=("docker.io/envoyproxy",),
    )
    argo_cd: ChartPin = _pin(
        "https://argoproj.github.io/argo-helm",
        "argo-cd",
        "10.1.1",
        "Argo CD 3.4; the newest argo-cd chart whose source was at hand (argo-helm's tags end at "
        "10.1.1, 2026-07-02). Upstream has moved on (argo-cd 10.9.6 with Argo CD 3.5.3 in its "
        "index, Argo CD 3.6.2 released): move once `mlops preflight` has rendered the newer chart "
        "with these values (9.0 changed argocd-cmd-params-cm defaults)",
        images=(
            "quay.io/argoproj",
            "ecr-public.aws.com/docker/library/redis",
        ),
    )
    docker_registry: ChartPin = _pin(
        "https://twuni.github.io/docker-registry.helm",
        "docker-registry",
        "3.0.0",
        "newest release (Registry v3), from the chart's new URL: helm.twun.io stopped resolving "
        "in 2025 and could be taken over",
        images=("docker.io/library/registry",),
    )
    jupyterhub: ChartPin = _pin(
        "https://hub.jupyter.org/helm-chart",
        "jupyterhub",
        "4.4.0",
        "newest release (JupyterHub 5.5); 4.3.3 was a security release",
        images=(
            "quay.io/jupyterhub",
            "registry.k8s.io/kube-scheduler",
            "registry.k8s.io/pause",
        ),
    )


ARCHIVED_STORE_MODE = "minio"
IMAGE_PATTERN = r"^[a-z0-9./:-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$"
# SeaweedFS tags its releases `4.53`, not semver. The cluster's image runs this release, and the
# tests build the same one from the Go module proxy (mlops.toolchain's `weed` entry, where the
# reason for the pin is written).
SEAWEEDFS_RELEASE = "4.53"
SEAWEEDFS_IMAGE = f"docker.io/chrislusf/seaweedfs:{SEAWEEDFS_RELEASE}"


class ExternalStoreConfig(Strict):
    """An S3-compatible service the platform does not install (an existing MinIO, Ceph RGW, ...).

    Each consumer namespace holds a Secret named `credentials_secret` with the keys `access_key`
    and `secret_key` of that consumer's own identity on the service (the operator creates them;
    docs/object-store.md lists what each identity may do). The buckets must exist.
    """

    endpoint_url: str = Field(pattern=r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?/?$")
    credentials_secret: Name
    region: str = "us-east-1"


class TransferConfig(Strict):
    """The promoter's model-transfer roles on S3 (mlops.config.object_store.TRANSFER_SIDES): a
    role per side whose bucket this stack holds, assumable only with an OIDC token of the
    `edge.machines` identity named here (its issuer and subjects, audience `sts.amazonaws.com`).
    `oidc_provider_arn` names the account's IAM OIDC provider of that issuer when one exists
    (an account holds one per issuer); unset, the stack creates it."""

    machine: Name
    oidc_provider_arn: str | None = Field(
        default=None, pattern=r"^arn:aws:iam::\d{12}:oidc-provider/\S+$"
    )


class StorageConfig(Strict):
    """Object storage for MLflow artifacts, datasets and pipeline artifacts: SeaweedFS in the
    cluster (`in_cluster`), an S3-compatible service outside it (`external`) or S3 (`s3`)."""

    mode: Literal["in_cluster", "external", "s3"]
    buckets: list[Name] = Field(
        default_factory=lambda: [
            "mlflow-artifacts",
            "datasets",
            "pipeline-artifacts",
            REQUEST_LOG_BUCKET,
            RELEASED_MODELS_BUCKET,
        ],
        min_length=1,
    )
    volume_size_gb: int = Field(default=50, ge=1)  # the in-cluster store's persistent volume
    image: str = Field(default=SEAWEEDFS_IMAGE, pattern=IMAGE_PATTERN)  # the in-cluster server
    external: ExternalStoreConfig | None = None
    transfer: TransferConfig | None = None  # S3 only: the in-cluster store always has the identity
    force_destroy: bool = False

    @field_validator("mode", mode="before")
    @classmethod
    def _archived_mode_is_renamed(cls, value: object) -> object:
        if value == ARCHIVED_STORE_MODE:
            raise ValueError(
                "'minio' is no longer a storage mode (MinIO's server is archived and gets no "
                "fixes); allowed: 'in_cluster' (SeaweedFS in the cluster; 'minio_volume_size_gb' "
                "becomes 'volume_size_gb'), 'external' (an S3-compatible service you run, such as "
                "an existing MinIO: set external.endpoint_url and external.credentials_secret) or "
                "'s3'; see docs/object-store.md"
            )
        return value

    @model_validator(mode="after")
    def _external_mode_needs_its_endpoint(self) -> Self:
        if (self.mode == "external") != (self.external is not None):
            raise ValueError(
                "'external' (endpoint_url, credentials_secret) is set exactly when mode is "
                f"'external' (mode is '{self.mode}')"
            )
        if self.transfer is not None and self.mode != "s3":
            raise ValueError(
                f"'transfer' is set only with mode 's3' (mode is '{self.mode}'): the in-cluster "
                "store always holds the model-transfer identity, and an external store's "
                "operator creates it (docs/object-store.md)"
            )
        return self


class DatabaseConfig(Strict):
    """MLflow's PostgreSQL backend: in the cluster (local/dev) or RDS (encrypted and private)."""

    mode: Literal["in_cluster", "rds"]
    engine_version: str = "16.4"
    instance_class: str = "db.t4g.medium"
    allocated_storage_gb: int = Field(default=20, ge=20)
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    multi_az: bool = False
    deletion_protection: bool = True


class Replicas(Strict):
    """Replica counts of the platform's own services (HA is two or more)."""

    mlflow: int = Field(default=1, ge=1)
    governance: int = Field(default=1, ge=1)
    gateway: int = Field(default=1, ge=1)  # Envoy proxies and Envoy Gateway controllers
    argo_cd_server: int = Field(default=1, ge=1)
    kserve_controller: int = Field(default=1, ge=1)


class IngressHosts(Strict):
    mlflow: HostName
    kubeflow_pipelines: HostName
    grafana: HostName
    argo_cd: HostName
    governance: HostName
    notebooks: HostName


class ExposureConfig(Strict):
    """How endpoints are reached: the Kubernetes API and the gateway's load balancer.

    `load_balancer: none` is for clusters without a cloud load balancer (kind): the gateway's
    Service is a NodePort, reached with `kubectl port-forward` or kind's port mappings."""

    api_endpoint: Literal["public", "private"]
    public_access_cidrs: list[Cidr] = Field(default_factory=list)
    load_balancer: Literal["internet-facing", "internal", "none"]
    gateway_class: Name = "platform"
    hosts: IngressHosts
    tls: bool = True

    @model_validator(mode="after")
    def _public_endpoint_is_restricted(self) -> Self:
        if self.api_endpoint == "public" and not self.public_access_cidrs:
            raise ValueError(
                "api_endpoint 'public' needs public_access_cidrs (never 0.0.0.0/0 by accident)"
            )
        if "0.0.0.0/0" in self.public_access_cidrs:
            raise ValueError("public_access_cidrs must not contain 0.0.0.0/0")
        return self


class SecurityConfig(Strict):
    """Policy strictness: Pod Security level and default-deny network policies."""

    pod_security_level: Literal["privileged", "baseline", "restricted"]
    default_deny_network_policies: bool
    allowed_registries: list[str] = Field(default_factory=list)


class GitOpsConfig(Strict):
    """What Argo CD syncs: this repository's `gitops/` tree for the environment."""

    repo_url: str = Field(pattern=r"^(https://|git@|ssh://)\S+$")
    target_revision: str = "main"
    path: str = Field(pattern=r"^gitops(/[A-Za-z0-9._-]+)*$")
    automated_sync: bool
    prune: bool
    self_heal: bool


class GovernanceConfig(Strict):
    """The governance (Audit API) service the platform deploys and every step reports to."""

    url: str = Field(pattern=r"^https?://\S+$")
    image: str = Field(pattern=IMAGE_PATTERN)
    database: Literal["sqlite", "postgresql"] = "sqlite"
    storage_size_gb: int = Field(default=10, ge=1)


class RegistryConfig(Strict):
    """Container registry for the platform's own images: ECR, or a registry in the cluster."""

    mode: Literal["ecr", "in_cluster"]
    repositories: list[Name] = Field(
        default_factory=lambda: ["governance", "predictor", "pipeline-components"], min_length=1
    )


class NotebooksConfig(Strict):
    enabled: bool
    default_cpu: str = "1"
    default_memory: str = "4Gi"


class GpuConfig(Strict):
    """GPU enablement and how many GPUs each namespace may request."""

    dcgm_exporter: bool = True
    namespace_quotas: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _quotas_name_known_namespaces(self) -> Self:
        unknown = sorted(set(self.namespace_quotas) - set(NAMESPACES))
        if unknown:
            raise ValueError(
                f"namespace_quotas: unknown namespace '{unknown[0]}'; allowed: "
                + ", ".join(sorted(NAMESPACES))
            )
        if any(count < 0 for count in self.namespace_quotas.values()):
            raise ValueError("namespace_quotas: GPU counts must be 0 or more")
        return self


class TenancyConfig(Strict):
    """Per-namespace CPU and memory quotas (the LimitRange defaults come from the same data)."""

    cpu_quota: str = "16"
    memory_quota: str = "64Gi"
    default_cpu_request: str = "100m"
    default_memory_request: str = "128Mi"
    default_cpu_limit: str = "1"
    default_memory_limit: str = "1Gi"


class RequestLogConfig(Strict):
    """Every predictor's request log (Zwiesler 2.4): objects of JSON lines under
    `s3://<request-logs bucket>/<prefix>/<model>/<date>/`, written in batches off the request
    path. Predictors may only put objects there (no read, no delete)."""

    enabled: bool = True
    prefix: str = Field(default="serving", pattern=r"^[a-z0-9][a-z0-9._/-]{0,200}[a-z0-9]$")
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    mask: list[str] = Field(default_factory=list)  # input fields redacted before writing
    # `auto`: coefficients for a linear model, reference perturbation for any other one
    explain: Literal["none", "linear", "reference", "auto"] = "auto"
    flush_seconds: float = Field(default=5.0, gt=0.0, le=300.0)  # one object per flush


class ServingConfig(Strict):
    """KServe: RawDeployment by default (no Knative); Serverless enables canary traffic splits."""

    deployment_mode: Literal["RawDeployment", "Serverless"] = "RawDeployment"
    ingress_domain: HostName  # InferenceService hosts are <name>-<namespace>.<ingress_domain>
    # The platform's own predictor image (images/Dockerfile, target predictor), from the platform's registry.
    predictor_image: str = Field(pattern=r"^[a-z0-9./:-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$")
    # Where upstream serving images (KServe's storage initializer) are pulled from: Docker Hub
    # by default, the environment's own mirror where `security.allowed_registries` is enforced.
    image_registry: str = Field(
        default="docker.io", pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)*$"
    )
    request_log: RequestLogConfig = Field(default_factory=RequestLogConfig)


class RetrainingConfig(Strict):
    """The Kubeflow Pipelines pipeline version a drift breach asks to run (the KFP API of the
    stack's own analytics plane)."""

    pipeline_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")
    pipeline_version_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")
    experiment_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")


class CollectorConfig(Strict):
    """The evidence collector (`mlops evidence collect`, IML4E's CABC mapper): when it runs
    and the live quality goals a certificate over its verdict is re-tested against."""

    schedule: str = Field(default="*/30 * * * *", pattern=r"^(\S+ ){4}\S+$")
    window: str = Field(default="1h", pattern=r"^[1-9][0-9]*[smhd]$")
    max_p95_latency_ms: float = Field(default=300.0, gt=0)
    max_error_rate: float = Field(default=0.005, ge=0, le=1)
    max_drifted_features: int = Field(default=0, ge=0)
    # Drift of the predictors' request log (`serving.request_log`, read from the store with the
    # collector's own read-only identity). Unset: whenever the predictors log requests; false:
    # serving figures only.
    drift: bool | None = None
    retraining: RetrainingConfig | None = None


Severity = Literal["critical", "warning", "info"]


class AlertReceiver(Strict):
    """One Alertmanager receiver: where alerts of the given severities go (a webhook, e.g. a
    chat or paging integration, or an e-mail address)."""

    name: Name
    severities: list[Severity] = Field(min_length=1)
    webhook_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.webhook_url is None) == (self.email is None):
            raise ValueError(f"receiver {self.name}: exactly one of webhook_url, email")
        return self


class MonitoringConfig(Strict):
    retention_days: int = Field(default=15, ge=1, le=400)
    prometheus_storage_gb: int = Field(default=50, ge=1)
    alertmanager_replicas: int = Field(default=1, ge=1)
    collector: CollectorConfig = CollectorConfig()
    receivers: list[AlertReceiver] = Field(default_factory=list)
    smtp_smarthost: str | None = Field(default=None, pattern=r"^[a-z0-9.-]+:[0-9]+$")
    smtp_from: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")

    @model_validator(mode="after")
    def _receivers(self) -> Self:
        names = [r.name for r in self.receivers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"receivers: duplicate name {', '.join(duplicates)}")
        if any(r.email for r in self.receivers) and not (self.smtp_smarthost and self.smtp_from):
            raise ValueError("receivers: an email receiver needs smtp_smarthost and smtp_from")
        return self


class AuthConfig(Strict):
    """Single sign-on at the gateway for every web UI (the organisation's OIDC provider; its
    `groups` claim decides what each person may reach, see `edge`). The client secret is a
    Pulumi secret (`oidc_client_secret`), never in this file."""

    oidc_issuer_url: str = Field(pattern=r"^https://\S+$")
    oidc_client_id: str = Field(min_length=1)
    allowed_email_domains: list[str] = Field(min_length=1)

    # The OIDC endpoints below the issuer, in the Keycloak layout, for the web UIs that sign
    # users in themselves (JupyterHub, Grafana) and cannot read the issuer's discovery document.
    @property
    def authorize_url(self) -> str:
        return f"{self.oidc_issuer_url.rstrip('/')}/protocol/openid-connect/auth"

    @property
    def token_url(self) -> str:
        return f"{self.oidc_issuer_url.rstrip('/')}/protocol/openid-connect/token"

    @property
    def userinfo_url(self) -> str:
        return f"{self.oidc_issuer_url.rstrip('/')}/protocol/openid-connect/userinfo"

    @property
    def jwks_url(self) -> str:
        return f"{self.oidc_issuer_url.rstrip('/')}/protocol/openid-connect/certs"


Role = Literal["data-scientist", "ml-engineer", "auditor", "ci"]


class AccessConfig(Strict):
    """Who may do what: identity-provider groups bound to the platform roles, per namespace.

    Access narrows by data: dev binds data scientists to the analytics namespaces, int binds
    only CI, prod binds CI and read-only auditors.
    """

    groups: dict[Role, str]
    bindings: dict[Role, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bindings_name_known_things(self) -> Self:
        for role, namespaces in self.bindings.items():
            if role not in self.groups:
                raise ValueError(f"bindings.{role}: no group configured for role '{role}'")
            unknown = sorted(set(namespaces) - set(NAMESPACES))
            if unknown:
                raise ValueError(
                    f"bindings.{role}: unknown namespace '{unknown[0]}'; allowed: "
                    + ", ".join(sorted(NAMESPACES))
                )
        return self


# Every service the gateway exposes: the web UIs and APIs of `exposure.hosts`, and the
# InferenceServices (hosts below `serving.ingress_domain`).
RouteName = Literal[
    "mlflow", "kubeflow_pipelines", "grafana", "argo_cd", "governance", "notebooks", "inference"
]
# Where every route must be authenticated at the gateway: a stack of these environments that
# leaves a route open is refused before anything is declared.
AUTHENTICATED_ENVIRONMENTS = ("int", "prod")


class Principals(Strict):
    """Who may do something on a route: people by platform role (the identity-provider group
    `access.groups` names for it, read from the token's `groups` claim) and machine clients by
    the identities `edge.machines` defines."""

    roles: list[Role] = Field(default_factory=list)
    machines: list[Name] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.roles and not self.machines


class RouteAccess(Strict):
    """One route's authorization at the gateway. `read` is GET and HEAD (and the POST queries
    a service only reads with, listed in mlops.edge.routes); `write` is every method.
    `authentication: none` puts the route on the gateway with no policy: local and dev only."""

    authentication: Literal["required", "none"] = "required"
    read: Principals = Principals()
    write: Principals = Principals()


class MachineIdentity(Strict):
    """A machine client that presents a JWT: CI's OIDC token (GitHub Actions, GitLab), an OIDC
    client-credentials token, or a workload's projected service-account token. The gateway
    checks its signature against `jwks_uri`, its issuer and audience, and its `sub` claim.
    `issuer: cluster` is this cluster's own service-account issuer (EKS: its OIDC issuer)."""

    issuer: str = Field(pattern=r"^(https://\S+|cluster)$")
    jwks_uri: str | None = Field(default=None, pattern=r"^https://\S+$")
    audiences: list[str] = Field(min_length=1)
    subjects: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _keys_are_known(self) -> Self:
        if self.issuer == "cluster" and self.jwks_uri is not None:
            raise ValueError("issuer 'cluster' takes its keys from the cluster; drop jwks_uri")
        if self.issuer != "cluster" and self.jwks_uri is None:
            raise ValueError(f"issuer {self.issuer} needs jwks_uri (its signing keys)")
        return self


class EdgeConfig(Strict):
    """Per-route authorization at the gateway: which roles and machine identities may read or
    write which service in this environment."""

    machines: dict[Name, MachineIdentity] = Field(default_factory=dict)
    routes: dict[RouteName, RouteAccess]


class StackConfig(Strict):
    """Everything one stack (local, dev, int, prod) sets."""

    environment: EnvironmentName
    cloud: CloudConfig
    kubernetes_version: str = Field(pattern=r"^1\.\d{2}$")
    network: NetworkConfig = NetworkConfig()
    node_pools: NodePools
    storage: StorageConfig
    database: DatabaseConfig
    charts: ChartVersions = ChartVersions()
    replicas: Replicas = Replicas()
    exposure: ExposureConfig
    security: SecurityConfig
    gitops: GitOpsConfig
    governance: GovernanceConfig
    registry: RegistryConfig
    notebooks: NotebooksConfig
    gpu: GpuConfig = GpuConfig()
    tenancy: TenancyConfig = TenancyConfig()
    access: AccessConfig
    serving: ServingConfig
    monitoring: MonitoringConfig = MonitoringConfig()
    auth: AuthConfig
    edge: EdgeConfig

    @property
    def collector_drift(self) -> bool:
        """Whether the evidence collector assesses drift from the predictors' request log."""
        drift = self.monitoring.collector.drift
        return self.serving.request_log.enabled if drift is None else drift

    @property
    def allowed_registries(self) -> list[str]:
        """Where images may come from: anywhere when the stack lists no registry; otherwise the
        stack's own registries and those of the pinned charts' images (ChartPin.images)."""
        own = self.security.allowed_registries
        if not own:
            return []
        pins = [getattr(self.charts, name) for name in ChartVersions.model_fields]
        return list(dict.fromkeys([*own, *(image for pin in pins for image in pin.images)]))

    @model_validator(mode="after")
    def _request_logs_are_written_and_read_consistently(self) -> Self:
        if self.serving.request_log.enabled and REQUEST_LOG_BUCKET not in self.storage.buckets:
            raise ValueError(
                f"storage.buckets: no '{REQUEST_LOG_BUCKET}' bucket for serving.request_log; "
                f"add it, or set serving.request_log.enabled: false"
            )
        if self.monitoring.collector.drift is True and not self.serving.request_log.enabled:
            raise ValueError(
                "monitoring.collector.drift: reads the predictors' request log, which "
                "serving.request_log.enabled: false switches off; set drift: false or log requests"
            )
        return self

    @model_validator(mode="after")
    def _the_model_reader_has_its_bucket(self) -> Self:
        if RELEASED_MODELS_BUCKET not in self.storage.buckets:
            raise ValueError(
                f"storage.buckets: no '{RELEASED_MODELS_BUCKET}' bucket; the model reader loads "
                "released models only from there (promotions copy them in); add it"
            )
        return self

    @model_validator(mode="after")
    def _every_route_is_governed(self) -> Self:
        for route in exposed_routes(self):
            access = self.edge.routes.get(route)
            where = f"edge.routes.{route}"
            if access is None:
                raise ValueError(
                    f"edge.routes: no entry for the exposed route '{route}'; every route the "
                    "gateway exposes needs its access rules (read and write principals)"
                )
            if access.authentication == "none":
                if self.environment in AUTHENTICATED_ENVIRONMENTS:
                    raise ValueError(
                        f"{where}: authentication 'none' leaves the {self.environment} route "
                        f"'{route}' unauthenticated; allowed in {self.environment}: 'required' "
                        "('none' only in local and dev)"
                    )
                if not (access.read.empty and access.write.empty):
                    raise ValueError(
                        f"{where}: read and write principals need authentication 'required'"
                    )
            for mode in ("read", "write"):
                principals: Principals = getattr(access, mode)
                for role in principals.roles:
                    if role not in self.access.groups:
                        raise ValueError(
                            f"{where}.{mode}.roles: no group configured for role '{role}' "
                            f"(access.groups has: {', '.join(sorted(self.access.groups))})"
                        )
                for machine in principals.machines:
                    if machine not in self.edge.machines:
                        raise ValueError(
                            f"{where}.{mode}.machines: unknown machine identity '{machine}'; "
                            f"allowed: {', '.join(sorted(self.edge.machines)) or 'none defined'}"
                        )
        return self

    @model_validator(mode="after")
    def _the_transfer_trusts_a_known_machine(self) -> Self:
        transfer = self.storage.transfer
        if transfer is None:
            return self
        machine = self.edge.machines.get(transfer.machine)
        if machine is None:
            raise ValueError(
                f"storage.transfer.machine: unknown machine identity '{transfer.machine}'; "
                f"allowed: {', '.join(sorted(self.edge.machines)) or 'none defined'}"
            )
        if machine.issuer == "cluster" and transfer.oidc_provider_arn is not None:
            raise ValueError(
                f"storage.transfer.oidc_provider_arn: machine '{transfer.machine}' has issuer "
                "'cluster', whose provider is the cluster's own; remove oidc_provider_arn"
            )
        return self

    @model_validator(mode="after")
    def _cloud_resources_need_aws(self) -> Self:
        if self.cloud.mode == "existing":
            for what, value, aws_value in (
                ("storage.mode", self.storage.mode, "s3"),
                ("database.mode", self.database.mode, "rds"),
                ("registry.mode", self.registry.mode, "ecr"),
            ):
                if value == aws_value:
                    raise ValueError(f"{what} '{aws_value}' needs cloud.mode 'aws'")
        return self


def exposed_routes(config: StackConfig) -> list[RouteName]:
    """The routes this stack puts on the gateway (notebooks only where they are enabled)."""
    routes: list[RouteName] = [
        "mlflow",
        "kubeflow_pipelines",
        "grafana",
        "argo_cd",
        "governance",
        "inference",
    ]
    if config.notebooks.enabled:
        routes.insert(5, "notebooks")
    return routes
