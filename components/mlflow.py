"""MLflow tracking server and model registry: PostgreSQL backend, artifacts proxied to the object
store, behind the platform's gateway (components/edge.py)."""

from dataclasses import dataclass
from typing import Any

import pulumi

from components.artifact_store import ACCESS_KEY, SECRET_KEY, ArtifactStore
from components.database_connection import DatabaseConnection
from components.disruption_budget import disruption_budget
from components.helm import pinned_release
from mlops.config.model import ChartPin
from mlops.config.namespaces import MLFLOW_PORTS, NAMESPACES

RELEASE = "mlflow"
PORT = MLFLOW_PORTS[0]
UID = 1001  # the user the community image runs as
RESOURCES = {
    "requests": {"cpu": "250m", "memory": "512Mi"},
    "limits": {"cpu": "1", "memory": "2Gi"},
}
SELECTOR = {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/instance": RELEASE}


@dataclass(frozen=True)
class MlflowServerArgs:
    chart: ChartPin  # charts.mlflow
    replicas: int  # replicas.mlflow
    database: DatabaseConnection  # from the database component
    artifacts: ArtifactStore  # the MLflow artifacts bucket, from the object storage component


class MlflowServer(pulumi.ComponentResource):
    """One MLflow server; clients log artifacts through it (`--serve-artifacts`), so only the
    server holds object-store credentials."""

    tracking_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: MlflowServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:mlflow:MlflowServer", name, None, opts)
        namespace = NAMESPACES["mlflow"].name
        child = pulumi.ResourceOptions(parent=self)
        release = pinned_release(RELEASE, args.chart, namespace, chart_values(args), child)
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[release])
        if args.replicas >= 2:
            disruption_budget(
                "mlflow", namespace=namespace, match_labels=SELECTOR, opts=after_release
            )
        self.tracking_url = pulumi.Output.from_input(
            f"http://{RELEASE}.{namespace}.svc.cluster.local:{PORT}"
        )
        self.register_outputs({"tracking_url": self.tracking_url})


def chart_values(args: MlflowServerArgs) -> dict[str, Any]:
    """Values of the community-charts `mlflow` chart (1.4.x keys; checked against its
    values.schema.json)."""
    store = args.artifacts
    env: dict[str, Any] = {}
    if store.endpoint_url is not None:
        env["MLFLOW_S3_ENDPOINT_URL"] = store.endpoint_url
    if store.region is not None:
        env["AWS_DEFAULT_REGION"] = store.region
    s3: dict[str, Any] = {"enabled": True, "bucket": store.bucket, "path": ""}
    if store.credentials_secret is not None:
        s3["existingSecret"] = {
            "name": store.credentials_secret,
            "keyOfAccessKeyId": ACCESS_KEY,
            "keyOfSecretAccessKey": SECRET_KEY,
        }
    database = args.database
    return {
        "replicaCount": args.replicas,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        },
        "serviceAccount": {
            "create": True,
            "automount": False,
            "annotations": store.service_account_annotations(),
        },
        "podSecurityContext": {
            "runAsNonRoot": True,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # gunicorn's heartbeat files and proxied uploads need a writable /tmp
        "extraVolumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}}],
        "extraVolumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 (a path in the container)
        "resources": RESOURCES,
        "service": {"type": "ClusterIP", "port": PORT},
        "backendStore": {
            "databaseMigration": True,
            # the chart's connection check runs an unpinned-by-us busybox without a security
            # context, which restricted namespaces reject; the migration container waits instead
            "databaseConnectionCheck": False,
            "postgres": {
                "enabled": True,
                "host": database.host,
                "port": database.port,
                "database": database.name,
            },  # the user and password come from existingDatabaseSecret
            "existingDatabaseSecret": {
                "name": database.password_secret,
                "usernameKey": "username",
                "passwordKey": "password",
            },
        },
        "artifactRoot": {"proxiedArtifactStorage": True, "s3": s3},
        "extraEnvVars": env,
        "ingress": {"enabled": False},  # the gateway routes to it (components/edge.py)
        "affinity": _spread(args.replicas),
    }


def _spread(replicas: int) -> dict[str, Any]:
    """Prefer different nodes for the replicas of an HA server."""
    if replicas < 2:
        return {}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": SELECTOR},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }
            ]
        }
    }
