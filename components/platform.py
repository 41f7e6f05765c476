"""The platform: one environment's analytics plane and serving plane, composed from the stack
configuration. Mode switches (AWS or an existing cluster, S3 or MinIO, RDS or in-cluster
PostgreSQL) come from config values; nothing here branches on the environment's name."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster import EksCluster, EksClusterArgs
from components.database import Database, DatabaseArgs
from components.network import Network, NetworkArgs
from components.object_storage import ObjectStorage, ObjectStorageArgs
from components.registry import ContainerRegistry, RegistryArgs
from components.tenancy import Tenancy, TenancyArgs
from mlops.config.model import StackConfig
from mlops.config.namespaces import NAMESPACES

STORAGE_CONSUMERS = ("mlflow", "kubeflow", "models", "notebooks")


@dataclass(frozen=True)
class PlatformSecrets:
    """Values a stack sets with `pulumi config set --secret`; never in the repository."""

    oidc_client_secret: pulumi.Input[str]


def installed_namespaces(config: StackConfig) -> tuple[str, ...]:
    """The catalog keys this stack installs: optional parts follow their config switches."""
    wanted = {
        "notebooks": config.notebooks.enabled,
        "storage": config.storage.mode == "minio",
        "registry": config.registry.mode == "in_cluster",
        "knative_serving": config.serving.deployment_mode == "Serverless",
    }
    return tuple(key for key in NAMESPACES if wanted.get(key, True))


class Platform(pulumi.ComponentResource):
    endpoints: dict[str, str]
    buckets: dict[str, pulumi.Output[str]]
    namespaces: dict[str, str]
    kubeconfig: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        config: StackConfig,
        secrets: PlatformSecrets,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:platform:Platform", name, None, opts)
        self._config = config
        self._secrets = secrets
        self.cluster_name = f"mlops-{config.environment}"
        self.tags = {
            "mlops.platform/environment": config.environment,
            "mlops.platform/cluster": self.cluster_name,
            "managed-by": "pulumi",
        }
        self.installed = installed_namespaces(config)
        self.network: Network | None = None
        self.cluster: EksCluster | None = None
        if config.cloud.mode == "aws":
            kubernetes = self._aws_cluster()
            self.kubeconfig = self.cluster.kubeconfig if self.cluster else None
        else:
            kubernetes = k8s.Provider(
                "kubernetes",
                context=config.cloud.kube_context,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.kubeconfig = None
        self._kubernetes = kubernetes
        self.tenancy = Tenancy(
            "tenancy",
            TenancyArgs(
                environment=config.environment,
                namespaces=self.installed,
                security=config.security,
                tenancy=config.tenancy,
                gpu=config.gpu,
                access=config.access,
            ),
            opts=self._in_cluster(),
        )
        self.storage = ObjectStorage(
            "object-storage",
            ObjectStorageArgs(
                cluster_name=self.cluster_name,
                settings=config.storage,
                namespace=NAMESPACES["storage"].name,
                consumer_namespaces=tuple(
                    NAMESPACES[key].name for key in STORAGE_CONSUMERS if key in self.installed
                ),
                minio_chart=config.charts.minio,
                tags=self.tags,
            ),
            opts=self._on_cluster(),
        )
        self.registry = ContainerRegistry(
            "registry",
            RegistryArgs(
                cluster_name=self.cluster_name,
                settings=config.registry,
                namespace=NAMESPACES["registry"].name,
                docker_registry_chart=config.charts.docker_registry,
                tags=self.tags,
            ),
            opts=self._on_cluster(),
        )
        self.mlflow_database = self._database("mlflow")
        self.buckets = self.storage.buckets
        self.namespaces = self.tenancy.namespace_names
        self.endpoints = {
            "mlflow": config.exposure.hosts.mlflow,
            "kubeflow_pipelines": config.exposure.hosts.kubeflow_pipelines,
            "grafana": config.exposure.hosts.grafana,
            "argo_cd": config.exposure.hosts.argo_cd,
            "governance": config.exposure.hosts.governance,
        }
        if config.notebooks.enabled:
            self.endpoints["notebooks"] = config.exposure.hosts.notebooks
        self.register_outputs({"endpoints": self.endpoints, "namespaces": self.namespaces})

    def _aws_cluster(self) -> k8s.Provider:
        config = self._config
        aws_provider = aws.Provider(
            "aws",
            region=config.cloud.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=self.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_aws = pulumi.ResourceOptions(parent=self, providers={"aws": aws_provider})
        self._aws_provider = aws_provider
        self.network = Network(
            "network",
            NetworkArgs(cluster_name=self.cluster_name, settings=config.network, tags=self.tags),
            opts=on_aws,
        )
        self.cluster = EksCluster(
            "cluster",
            EksClusterArgs(
                cluster_name=self.cluster_name,
                kubernetes_version=config.kubernetes_version,
                node_pools=config.node_pools,
                exposure=config.exposure,
                private_subnet_ids=self.network.private_subnet_ids,
                public_subnet_ids=self.network.public_subnet_ids,
                tags=self.tags,
            ),
            opts=on_aws,
        )
        return k8s.Provider(
            "kubernetes",
            kubeconfig=self.cluster.kubeconfig,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=list(self.cluster.node_pools.values())
            ),
        )

    def _provider_map(self) -> dict[str, pulumi.ProviderResource]:
        providers: dict[str, pulumi.ProviderResource] = {"kubernetes": self._kubernetes}
        if self.cluster is not None:
            providers["aws"] = self._aws_provider
        return providers

    def _in_cluster(self) -> pulumi.ResourceOptions:
        """Options for resources that need only the cluster."""
        return pulumi.ResourceOptions(parent=self, providers=self._provider_map())

    def _on_cluster(self) -> pulumi.ResourceOptions:
        """Options for resources that go into the platform's namespaces (after tenancy)."""
        return pulumi.ResourceOptions(
            parent=self, providers=self._provider_map(), depends_on=[self.tenancy]
        )

    def _database(self, purpose: str) -> Database:
        config = self._config
        return Database(
            f"{purpose}-database",
            DatabaseArgs(
                purpose=purpose,
                settings=config.database,
                namespace=NAMESPACES[purpose].name,
                postgresql_chart=config.charts.postgresql,
                cluster_name=self.cluster_name,
                vpc_id=self.network.vpc_id if self.network else None,
                vpc_cidr=self.network.vpc_cidr if self.network else None,
                private_subnet_ids=self.network.private_subnet_ids if self.network else None,
                tags=self.tags,
            ),
            opts=self._on_cluster(),
        )
