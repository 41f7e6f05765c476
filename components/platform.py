"""The platform: one environment's analytics plane and serving plane, composed from the stack
configuration. Mode switches (AWS or an existing cluster, S3, an external or in-cluster store,
RDS or in-cluster PostgreSQL) come from config values; nothing here branches on the environment's name."""

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.argocd import SERVER_SERVICE as ARGO_CD_SERVER
from components.argocd import ArgoCd, ArgoCdArgs
from components.artifact_store import ArtifactStore
from components.cluster import EksCluster, EksClusterArgs
from components.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.database import POSTGRES_PORT, Database, DatabaseArgs, database_operator_values
from components.database_connection import DatabaseConnection
from components.edge import GATEWAY, Backend, Edge, EdgeArgs
from components.evidence_collector import EvidenceCollector, EvidenceCollectorArgs
from components.gateway_api import GatewayApi, GatewayApiArgs
from components.governance import NAME as GOVERNANCE_SERVICE
from components.governance import PORT as GOVERNANCE_PORT
from components.governance import GovernanceService, GovernanceServiceArgs
from components.gpu import GpuStack, GpuStackArgs
from components.helm import pinned_release
from components.kserve import KOURIER_SERVICE, KServe, KServeArgs
from components.kubeflow_pipelines import STORE_ACCOUNTS, KubeflowPipelines, KubeflowPipelinesArgs
from components.kubeflow_pipelines import UI_SERVICE as KFP_UI_SERVICE
from components.mlflow import PORT as MLFLOW_PORT
from components.mlflow import RELEASE as MLFLOW_SERVICE_ACCOUNT
from components.mlflow import MlflowServer, MlflowServerArgs
from components.model_transfer import ModelTransferRoles, ModelTransferRolesArgs
from components.monitoring import GRAFANA_SERVICE, Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.node_pool import POOL_LABEL
from components.notebooks import NOTEBOOK_ACCOUNT, PUBLIC_SERVICE, Notebooks, NotebooksArgs
from components.object_storage import ObjectStorage, ObjectStorageArgs
from components.registry import ContainerRegistry, RegistryArgs
from components.tenancy import Tenancy, TenancyArgs
from components.workload_identity import ServiceAccountRole, ServiceAccountRoleArgs
from mlops.config.model import REQUEST_LOG_BUCKET, RouteName, StackConfig, exposed_routes
from mlops.config.namespaces import (
    COLLECTOR_ACCOUNT,
    MODEL_READER_ACCOUNT,
    NAMESPACES,
    NODE_METRICS_PORTS,
    ExternalFlow,
)
from mlops.config.object_store import (
    STORE_GRANTS,
    TRANSFER_GRANT,
    TRANSFER_IDENTITY,
    TRANSFER_SIDES,
    Grant,
)
from mlops.edge.policy import Identity
from mlops.edge.routes import route_hostname
from mlops.gitops.bootstrap import bootstrap_objects
from mlops.gitops.environment import environment_from_stack

# The service-account issuer of a cluster the platform does not create (kind, k3d, minikube):
# the Kubernetes default; its keys need anonymous access to the discovery endpoints.
IN_CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local"
# The service accounts that may reach the store on S3 (IRSA), per consumer.
CONSUMER_ACCOUNTS: dict[str, tuple[str, ...]] = {
    "mlflow": (MLFLOW_SERVICE_ACCOUNT,),
    "kubeflow": STORE_ACCOUNTS,
    "notebooks": (NOTEBOOK_ACCOUNT,),
    "models": (MODEL_READER_ACCOUNT,),
    "collector": (COLLECTOR_ACCOUNT,),
}


@dataclass(frozen=True)
class PlatformSecrets:
    """Values a stack sets with `pulumi config set --secret`; never in the repository."""

    oidc_client_secret: pulumi.Input[str]


def installed_namespaces(config: StackConfig) -> tuple[str, ...]:
    """The catalog keys this stack installs: optional parts follow their config switches."""
    wanted = {
        "notebooks": config.notebooks.enabled,
        "storage": config.storage.mode == "in_cluster",
        "registry": config.registry.mode == "in_cluster",
        "database": config.database.mode == "in_cluster",
        "knative_serving": config.serving.deployment_mode == "Serverless",
    }
    return tuple(key for key in NAMESPACES if wanted.get(key, True))


class Platform(pulumi.ComponentResource):
    endpoints: dict[str, str]
    buckets: dict[str, pulumi.Output[str]]
    namespaces: dict[str, str]
    kubeconfig: pulumi.Output[str] | None
    model_transfer: dict[str, pulumi.Input[str]]  # how CI's promotions reach the store

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
                external_flows=self._external_flows(),
                control_plane_cidr=(
                    config.network.vpc_cidr if config.cloud.mode == "aws" else None
                ),
            ),
            opts=self._in_cluster(),
        )
        self.storage = ObjectStorage(
            "object-storage",
            ObjectStorageArgs(
                cluster_name=self.cluster_name,
                settings=config.storage,
                namespace=NAMESPACES["storage"].name,
                grants={
                    NAMESPACES[key].name: grant for key, grant in self._store_consumers().items()
                },
                transfer=TRANSFER_GRANT,
                monitoring_namespace=NAMESPACES["monitoring"].name,
                tags=self.tags,
            ),
            opts=self._on_cluster(),
        )
        self.database_operator = (
            pinned_release(
                "cloudnative-pg",
                config.charts.cloudnative_pg,
                NAMESPACES["database"].name,
                database_operator_values(),
                self._on_cluster(),
            )
            if config.database.mode == "in_cluster"
            else None
        )
        self.model_transfer = self._model_transfer()
        self.mlflow_database = self._database("mlflow")
        self._analytics_and_serving()
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

    def _analytics_and_serving(self) -> None:
        """The Kubernetes side: the Gateway API, serving stack, monitoring, GPUs, MLflow, KFP,
        Argo CD, governance, notebooks, and the edge in front of them."""
        config = self._config
        gateway_namespace = NAMESPACES["gateway"].name
        self.gateway_api = GatewayApi(
            "gateway-api",
            GatewayApiArgs(charts=config.charts, replicas=config.replicas.gateway),
            opts=self._on_cluster(),
        )
        self.kserve = KServe(
            "kserve",
            KServeArgs(
                cert_manager_chart=config.charts.cert_manager,
                crd_chart=config.charts.kserve_crd,
                chart=config.charts.kserve,
                knative_operator_chart=config.charts.knative_operator,
                serving=config.serving,
                controller_replicas=config.replicas.kserve_controller,
                exposure=config.exposure,
                gateway=f"{gateway_namespace}/{GATEWAY}",
                inference_pool=config.node_pools.inference_gpu,
                ingress_domain=config.serving.ingress_domain,
                knative_namespace=NAMESPACES["knative_serving"].name,
                request_log_bucket=self.storage.buckets.get(REQUEST_LOG_BUCKET, ""),
                store=self.storage.endpoint,
                region=config.cloud.region,
            ),
            opts=self._on_cluster(self.gateway_api),
        )
        self.monitoring = Monitoring(
            "monitoring",
            MonitoringArgs(
                monitoring=config.monitoring,
                charts=config.charts,
                exposure=config.exposure,
                auth=config.auth,
                oidc_client_secret=self._secrets.oidc_client_secret,
                editor_group=config.access.groups.get("ml-engineer"),
            ),
            opts=self._on_cluster(),
        )
        after_monitoring = self._on_cluster(self.monitoring)
        self.registry = ContainerRegistry(
            "registry",
            RegistryArgs(
                cluster_name=self.cluster_name,
                settings=config.registry,
                namespace=NAMESPACES["registry"].name,
                docker_registry_chart=config.charts.docker_registry,
                tags=self.tags,
            ),
            opts=after_monitoring,  # its ServiceMonitor needs the Prometheus operator's CRDs
        )
        self.gpu = GpuStack(
            "gpu",
            GpuStackArgs(
                node_pools=config.node_pools,
                gpu=config.gpu,
                charts=config.charts,
                monitoring_depends_on=(self.monitoring,),
            ),
            opts=self._on_cluster(),
        )
        self.mlflow = MlflowServer(
            "mlflow",
            MlflowServerArgs(
                chart=config.charts.mlflow,
                replicas=config.replicas.mlflow,
                database=DatabaseConnection(
                    host=self.mlflow_database.host,
                    port=self.mlflow_database.port,
                    name=self.mlflow_database.database_name,
                    user=self.mlflow_database.user,
                    password_secret=self.mlflow_database.password_secret,
                ),
                artifacts=self._artifact_store("mlflow"),
            ),
            opts=self._on_cluster(self.mlflow_database, self.storage),
        )
        self.kubeflow_pipelines = KubeflowPipelines(
            "kubeflow-pipelines",
            KubeflowPipelinesArgs(
                manifests=config.charts.kubeflow_pipelines,
                exposure=config.exposure,
                artifacts=self._artifact_store("kubeflow"),
                mlflow_tracking_url=self.mlflow.tracking_url,
            ),
            opts=self._on_cluster(self.storage),
        )
        self._model_reader()
        self._evidence_collector()
        self.argocd = ArgoCd(
            "argocd",
            ArgoCdArgs(
                bootstrap=self._argocd_bootstrap(),
                replicas=config.replicas,
                charts=config.charts,
                exposure=config.exposure,
                auth=config.auth,
                access=config.access,
                oidc_client_secret=self._secrets.oidc_client_secret,
            ),
            opts=self._on_cluster(self.monitoring),
        )
        governance_database = (
            self._database("governance") if config.governance.database == "postgresql" else None
        )
        self.governance = GovernanceService(
            "governance",
            GovernanceServiceArgs(
                governance=config.governance,
                replicas=config.replicas,
                database_url_secret=governance_database.url_secret if governance_database else None,
            ),
            opts=self._on_cluster(*([governance_database] if governance_database else [])),
        )
        if config.notebooks.enabled:
            self.notebooks = Notebooks(
                "notebooks",
                NotebooksArgs(
                    chart=config.charts.jupyterhub,
                    notebooks=config.notebooks,
                    auth=config.auth,
                    oidc_client_secret=self._secrets.oidc_client_secret,
                    exposure=config.exposure,
                    mlflow_tracking_url=self.mlflow.tracking_url,
                    artifacts=self._artifact_store("notebooks"),
                ),
                opts=self._on_cluster(self.storage),
            )
        self.edge = Edge(
            "edge",
            EdgeArgs(
                exposure=config.exposure,
                auth=config.auth,
                edge=config.edge,
                groups=config.access.groups,
                hosts={route: route_hostname(config, route) for route in exposed_routes(config)},
                backends=self._backends(),
                identities=self._identities(),
                replicas=config.replicas.gateway,
                oidc_client_secret=self._secrets.oidc_client_secret,
                gateway_depends_on=(self.gateway_api,),
                issuer_depends_on=(self.kserve.cert_manager,),
                monitoring_depends_on=(self.monitoring,),
            ),
            opts=self._on_cluster(),
        )

    def _backends(self) -> dict[RouteName, Backend]:
        """The Service behind each route the platform writes. InferenceServices: Kourier in
        Serverless; in RawDeployment KServe writes one route per InferenceService itself."""
        backends: dict[RouteName, Backend] = {
            "mlflow": Backend("mlflow", MLFLOW_SERVICE_ACCOUNT, MLFLOW_PORT),
            "kubeflow_pipelines": Backend("kubeflow", KFP_UI_SERVICE, 80),
            "grafana": Backend("monitoring", GRAFANA_SERVICE, 80),
            "argo_cd": Backend("argocd", ARGO_CD_SERVER, 80),
            "governance": Backend("governance", GOVERNANCE_SERVICE, GOVERNANCE_PORT),
        }
        if self._config.notebooks.enabled:
            backends["notebooks"] = Backend("notebooks", PUBLIC_SERVICE, 80)
        if self._config.serving.deployment_mode == "Serverless":
            backends["inference"] = Backend("knative_serving", KOURIER_SERVICE, 80)
        return backends

    def _identities(self) -> dict[str, Identity]:
        """The stack's machine identities with their keys; `issuer: cluster` is this cluster's
        service-account issuer (EKS: its OIDC issuer, keys at `/keys`)."""
        identities: dict[str, Identity] = {}
        for name, machine in self._config.edge.machines.items():
            issuer: pulumi.Input[str] = machine.issuer
            jwks: pulumi.Input[str] | None = machine.jwks_uri
            if machine.issuer == "cluster":
                if self.cluster is not None:
                    issuer = self.cluster.oidc_issuer
                    jwks = self.cluster.oidc_issuer.apply(lambda url: f"{url}/keys")
                else:
                    issuer = IN_CLUSTER_ISSUER
                    jwks = f"{IN_CLUSTER_ISSUER}/openid/v1/jwks"
            identities[name] = Identity(
                name, issuer, jwks or "", machine.audiences, machine.subjects
            )
        return identities

    def _argocd_bootstrap(self) -> list[dict[str, object]]:
        """The AppProject and root ApplicationSet, rendered from this stack's config exactly as
        `mlops render` commits them under gitops/argocd/<stack>/ (CI checks those files)."""
        stack = pulumi.get_stack()
        environment = environment_from_stack(
            stack, self._config, Path(f"stacks/Pulumi.{stack}.yaml")
        )
        return list(bootstrap_objects(environment).values())

    def _artifact_store(self, consumer: str) -> ArtifactStore:
        """How `consumer` reaches its bucket: its own keys in its namespace, or an IRSA role
        whose policy allows only what its grant says."""
        storage = self.storage
        namespace = NAMESPACES[consumer].name
        role_arn = None
        if namespace in storage.access_policies and self.cluster is not None:
            role_arn = ServiceAccountRole(
                f"{consumer}-object-storage",
                ServiceAccountRoleArgs(
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_issuer=self.cluster.oidc_issuer,
                    namespace=namespace,
                    service_accounts=CONSUMER_ACCOUNTS[consumer],
                    policy=storage.access_policies[namespace],
                    tags=self.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=self._provider_map()),
            ).arn
        endpoint = storage.endpoint
        return ArtifactStore(
            endpoint_url=endpoint.url if endpoint else None,
            bucket=storage.buckets[STORE_GRANTS[consumer].bucket],
            credentials_secret=endpoint.credentials_secret if endpoint else None,
            irsa_role_arn=role_arn,
            region=endpoint.region if endpoint else self._config.cloud.region,
        )

    def _model_transfer(self) -> dict[str, pulumi.Input[str]]:
        """The promoter's identity on this stack's store, as CI's AWS profiles need it: on S3 a
        role per side (the ARNs), in the cluster the Secret with its keys; nothing for an
        external store (its operator creates the identity) or S3 without `storage.transfer`."""
        storage = self._config.storage
        if self.storage.transfer_secret is not None:
            return {"credentials_secret": self.storage.transfer_secret}
        if storage.transfer is None or self.cluster is None:
            return {}
        machine = self._config.edge.machines[storage.transfer.machine]
        own_cluster = machine.issuer == "cluster"
        roles = ModelTransferRoles(
            TRANSFER_IDENTITY,
            ModelTransferRolesArgs(
                issuer=self.cluster.oidc_issuer if own_cluster else machine.issuer,
                subjects=tuple(machine.subjects),
                oidc_provider_arn=(
                    self.cluster.oidc_provider_arn
                    if own_cluster
                    else storage.transfer.oidc_provider_arn
                ),
                policies={
                    side: self.storage.access_policy(grant)
                    for side, grant in TRANSFER_SIDES.items()
                    if grant.bucket in storage.buckets
                },
                tags=self.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=self._provider_map()),
        )
        return {f"{side}_role_arn": arn for side, arn in roles.arns.items()}

    def _model_reader(self) -> None:
        """The service account InferenceServices use to pull models from the object store."""
        store = self._artifact_store("models")
        k8s.core.v1.ServiceAccount(
            "model-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=MODEL_READER_ACCOUNT,
                namespace=NAMESPACES["models"].name,
                annotations=store.service_account_annotations() or None,
            ),
            secrets=[k8s.core.v1.ObjectReferenceArgs(name=store.credentials_secret)]
            if store.credentials_secret
            else None,
            automount_service_account_token=False,
            opts=self._on_cluster(self.storage),
        )

    def _store_consumers(self) -> dict[str, Grant]:
        """The installed consumers whose bucket the stack has; the collector only where it
        reads the request logs."""
        buckets = set(self._config.storage.buckets)
        wanted = {"collector": self._config.collector_drift}
        return {
            key: grant
            for key, grant in STORE_GRANTS.items()
            if key in self.installed and grant.bucket in buckets and wanted.get(key, True)
        }

    def _evidence_collector(self) -> None:
        """The collector CronJob's identity: store reader of the request logs, KFP run creator."""
        config = self._config
        reads_logs = "collector" in self._store_consumers()
        EvidenceCollector(
            "evidence-collector",
            EvidenceCollectorArgs(
                namespace=NAMESPACES["collector"].name,
                collector=config.monitoring.collector,
                drift=config.collector_drift,
                serving=config.serving,
                store=self._artifact_store("collector") if reads_logs else None,
                kfp_namespace=NAMESPACES["kubeflow"].name,
            ),
            opts=self._on_cluster(self.storage),
        )

    def _aws_cluster(self) -> k8s.Provider:
        config = self._config
        region = config.cloud.region
        if region is None:  # CloudConfig refuses mode aws without one; this narrows the type
            raise ValueError("cloud.region: mode aws needs a region")
        aws_provider = aws.Provider(
            "aws",
            region=region,
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
        kubernetes = k8s.Provider(
            "kubernetes",
            kubeconfig=self.cluster.kubeconfig,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=list(self.cluster.node_pools.values())
            ),
        )
        ClusterAutoscaler(
            "cluster-autoscaler",
            ClusterAutoscalerArgs(
                cluster_name=self.cluster_name,
                region=region,
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_issuer=self.cluster.oidc_issuer,
                chart=config.charts.cluster_autoscaler,
                system_node_labels={POOL_LABEL: "system"},
                tags=self.tags,
            ),
            opts=pulumi.ResourceOptions(
                parent=self, providers={"aws": aws_provider, "kubernetes": kubernetes}
            ),
        )
        return kubernetes

    def _provider_map(self) -> dict[str, pulumi.ProviderResource]:
        providers: dict[str, pulumi.ProviderResource] = {"kubernetes": self._kubernetes}
        if self.cluster is not None:
            providers["aws"] = self._aws_provider
        return providers

    def _in_cluster(self) -> pulumi.ResourceOptions:
        """Options for resources that need only the cluster."""
        return pulumi.ResourceOptions(parent=self, providers=self._provider_map())

    def _on_cluster(self, *after: pulumi.Resource) -> pulumi.ResourceOptions:
        """Options for resources that go into the platform's namespaces (after tenancy)."""
        return pulumi.ResourceOptions(
            parent=self, providers=self._provider_map(), depends_on=[self.tenancy, *after]
        )

    def _external_flows(self) -> tuple[ExternalFlow, ...]:
        """What namespaces reach outside the cluster, inside the VPC: RDS in the private subnets
        (a default-deny namespace could not reach its own database otherwise) and the nodes,
        whose kubelet and node-exporter Prometheus scrapes."""
        config = self._config
        if config.cloud.mode != "aws":
            return ()
        cidr = config.network.vpc_cidr
        flows = [ExternalFlow("monitoring", "nodes", cidr, NODE_METRICS_PORTS)]
        if config.database.mode == "rds":
            consumers = ["mlflow"]
            if config.governance.database == "postgresql":
                consumers.append("governance")
            flows += [ExternalFlow(key, "database", cidr, (POSTGRES_PORT,)) for key in consumers]
        return tuple(flow for flow in flows if flow.source in self.installed)

    def _database(self, purpose: str) -> Database:
        config = self._config
        return Database(
            f"{purpose}-database",
            DatabaseArgs(
                purpose=purpose,
                settings=config.database,
                namespace=NAMESPACES[purpose].name,
                operator=self.database_operator,
                cluster_name=self.cluster_name,
                vpc_id=self.network.vpc_id if self.network else None,
                vpc_cidr=self.network.vpc_cidr if self.network else None,
                private_subnet_ids=self.network.private_subnet_ids if self.network else None,
                tags=self.tags,
            ),
            opts=self._on_cluster(),
        )
