"""What rendering needs to know about one environment, taken from its stack file (data only).

KServe's two deployment modes differ in what they can do; those facts live in MODE_FACTS, keyed
by the mode the stack selects, so an environment gets canary splits because its stack says
`Serverless`, never because its name is `prod`.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mlops.config.loader import load_stack, stack_file
from mlops.config.model import CollectorConfig, GitOpsConfig, StackConfig, Taint
from mlops.config.namespaces import NAMESPACES
from mlops.config.object_store import StoreEndpoint, store_endpoint

DeploymentMode = Literal["RawDeployment", "Serverless"]
IN_CLUSTER = "https://kubernetes.default.svc"


@dataclass(frozen=True)
class ModeFacts:
    """What one KServe deployment mode supports (KServe docs: rollout strategies, autoscaling)."""

    canary: bool  # canaryTrafficPercent is honoured (Knative revisions) only in Serverless mode
    scale_to_zero: bool  # RawDeployment uses an HPA, which cannot scale to zero
    scale_metrics: tuple[str, ...]  # HPA: cpu/memory; Knative KPA adds concurrency and rps
    pod_http_port: int  # where a plain Service must send traffic to reach a predictor pod
    pod_ports: tuple[int, ...]  # every port the serving data plane opens on a predictor pod
    dataplane_namespaces: tuple[str, ...]  # where requests to a predictor come from


MODE_FACTS: dict[str, ModeFacts] = {
    "RawDeployment": ModeFacts(
        canary=False,
        scale_to_zero=False,
        scale_metrics=("cpu", "memory"),
        pod_http_port=8080,  # the model server container itself
        pod_ports=(8080,),
        dataplane_namespaces=(NAMESPACES["gateway"].name,),
    ),
    "Serverless": ModeFacts(
        canary=True,
        scale_to_zero=True,
        scale_metrics=("cpu", "memory", "concurrency", "rps"),
        pod_http_port=8012,  # Knative's queue-proxy, so request accounting stays intact
        pod_ports=(8012, 9090),  # queue-proxy: requests, and the metrics its autoscaler scrapes
        dataplane_namespaces=(NAMESPACES["gateway"].name, NAMESPACES["knative_serving"].name),
    ),
}


@dataclass(frozen=True)
class Environment:
    """One stack's view of the GitOps tree and of model serving."""

    name: str
    stack_path: Path
    gitops: GitOpsConfig
    deployment_mode: DeploymentMode
    namespace: str
    monitoring_namespace: str
    argocd_namespace: str
    gpu_node_labels: dict[str, str]
    gpu_taints: tuple[Taint, ...]
    gpu_quota: int | None
    predictor_image: str = ""
    image_registry: str = "docker.io"
    store: StoreEndpoint | None = None  # None on S3: the model reader's IAM role
    collector: CollectorConfig = field(default_factory=CollectorConfig)  # its evidence collector
    collector_drift: bool = False  # ... reads the predictors' request log (StackConfig's answer)

    @property
    def mode(self) -> ModeFacts:
        return MODE_FACTS[self.deployment_mode]

    @property
    def release_dir(self) -> str:
        """The environment directory (relative to the root) this stack's Argo CD syncs from."""
        return self.gitops.path

    @property
    def owns_releases(self) -> bool:
        """A stack renders the releases of the directory named after it; `local` reuses dev's."""
        return Path(self.gitops.path).name == self.name


def environment_from_stack(name: str, config: StackConfig, stack_path: Path) -> Environment:
    pool = config.node_pools.inference_gpu
    return Environment(
        name=name,
        stack_path=stack_path,
        gitops=config.gitops,
        deployment_mode=config.serving.deployment_mode,
        namespace=NAMESPACES["models"].name,
        monitoring_namespace=NAMESPACES["monitoring"].name,
        argocd_namespace=NAMESPACES["argocd"].name,
        gpu_node_labels=dict(pool.labels),
        gpu_taints=tuple(pool.taints),
        gpu_quota=config.gpu.namespace_quotas.get("models"),
        predictor_image=config.serving.predictor_image,
        image_registry=config.serving.image_registry,
        store=store_endpoint(config.storage),
        collector=config.monitoring.collector,
        collector_drift=config.collector_drift,
    )


def load_environment(root: Path, name: str) -> Environment:
    """Read `stacks/Pulumi.<name>.yaml` under `root` (BadInputError when missing or invalid)."""
    stacks = root / "stacks"
    return environment_from_stack(name, load_stack(stacks, name), stack_file(stacks, name))
