import pulumi
import pytest

from components.artifact_store import ArtifactStore
from components.database_connection import DatabaseConnection
from components.mlflow import MlflowServer, MlflowServerArgs
from mlops.config.model import StackConfig
from mlops.config.object_store import ACCESS_KEY, CREDENTIALS_SECRET, SECRET_KEY, in_cluster_url
from mlops.plan.runner import capture
from tests.components.helpers import of_type, schema_errors
from tests.components.pulumi_mocks import assert_equal, pulumi_mocks  # noqa: F401

RELEASE = "kubernetes:helm.sh/v3:Release"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ROLE = "arn:aws:iam::123456789012:role/mlflow"


def store_for(config: StackConfig) -> ArtifactStore:
    """What the object storage component hands over: the in-cluster store with a key Secret, or
    S3 with IRSA."""
    if config.storage.mode == "in_cluster":
        return ArtifactStore(
            endpoint_url=in_cluster_url(),
            bucket="mlflow-artifacts",
            credentials_secret=CREDENTIALS_SECRET,
            irsa_role_arn=None,
        )
    return ArtifactStore(
        endpoint_url=None,
        bucket="acme-prod-mlflow-artifacts",
        credentials_secret=None,
        irsa_role_arn=ROLE,
        region=config.cloud.region,
    )


def args_for(config: StackConfig) -> MlflowServerArgs:
    return MlflowServerArgs(
        chart=config.charts.mlflow,
        replicas=config.replicas.mlflow,
        database=DatabaseConnection(
            host="mlflow-db.mock",
            port=5432,
            name="mlflow",
            user="mlflow",
            password_secret="mlflow-db",
        ),
        artifacts=store_for(config),
    )


def declare(config: StackConfig) -> list:
    return capture(config.environment, lambda: MlflowServer("mlflow", args_for(config)))


def values(resources: list) -> dict:
    (release,) = of_type(resources, RELEASE)
    return release.inputs["values"]


def test_chart_is_pinned_and_installed_into_the_mlflow_namespace(stack_configs):
    config = stack_configs["dev"]
    (release,) = of_type(declare(config), RELEASE)
    assert release.inputs["version"] == config.charts.mlflow.version
    assert release.inputs["repositoryOpts"]["repo"] == config.charts.mlflow.repository
    assert release.inputs["chart"] == "mlflow"
    assert release.inputs["namespace"] == "mlflow"


def test_postgres_backend_with_password_from_a_secret(stack_configs):
    backend = values(declare(stack_configs["prod"]))["backendStore"]
    assert backend["postgres"]["enabled"] is True
    assert backend["postgres"]["host"] == "mlflow-db.mock"
    assert "password" not in backend["postgres"]
    assert backend["existingDatabaseSecret"]["name"] == "mlflow-db"
    assert backend["existingDatabaseSecret"]["passwordKey"] == "password"
    assert backend["databaseMigration"] is True


def test_in_cluster_artifacts_are_proxied_with_keys_from_a_secret(stack_configs):
    chart = values(declare(stack_configs["dev"]))
    assert chart["artifactRoot"]["proxiedArtifactStorage"] is True
    s3 = chart["artifactRoot"]["s3"]
    assert s3["bucket"] == "mlflow-artifacts"
    assert s3["existingSecret"] == {
        "name": CREDENTIALS_SECRET,
        "keyOfAccessKeyId": ACCESS_KEY,
        "keyOfSecretAccessKey": SECRET_KEY,
    }
    assert "awsAccessKeyId" not in s3
    assert chart["extraEnvVars"]["MLFLOW_S3_ENDPOINT_URL"] == in_cluster_url()
    assert chart["serviceAccount"]["annotations"] == {}


def test_s3_artifacts_use_irsa_and_no_static_keys(stack_configs):
    chart = values(declare(stack_configs["prod"]))
    assert "existingSecret" not in chart["artifactRoot"]["s3"]
    assert "MLFLOW_S3_ENDPOINT_URL" not in chart["extraEnvVars"]
    assert chart["extraEnvVars"]["AWS_DEFAULT_REGION"] == "eu-central-1"
    assert chart["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}


def test_pods_run_restricted_with_limits_and_no_api_token(stack_configs):
    chart = values(declare(stack_configs["prod"]))
    container = chart["securityContext"]
    assert container["runAsNonRoot"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["seccompProfile"] == {"type": "RuntimeDefault"}
    assert chart["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert chart["serviceAccount"]["automount"] is False
    assert set(chart["resources"]) == {"requests", "limits"}
    assert chart["service"]["type"] == "ClusterIP"
    assert chart["ingress"]["enabled"] is False
    assert "image" not in chart  # the image tag comes from the pinned chart, never overridden


@pytest.mark.parametrize(("stack", "replicas", "budget"), [("dev", 1, False), ("prod", 2, True)])
def test_replicas_from_config_and_a_budget_when_highly_available(
    stack_configs, stack, replicas, budget
):
    resources = declare(stack_configs[stack])
    assert values(resources)["replicaCount"] == replicas
    assert bool(of_type(resources, PDB)) is budget
    if budget:
        spec = of_type(resources, PDB)[0].inputs
        assert spec["spec"]["minAvailable"] == 1
        assert spec["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "mlflow"


def test_no_ingress_of_its_own_the_gateway_routes_to_it(stack_configs):
    """The edge (components/edge.py) routes to the Service; the component declares no Ingress."""
    assert of_type(declare(stack_configs["prod"]), "kubernetes:networking.k8s.io/v1:Ingress") == []


@pytest.mark.usefixtures("pulumi_mocks")
@pulumi.runtime.test
def test_tracking_url_is_the_in_cluster_service(stack_configs):
    server = MlflowServer("mlflow", args_for(stack_configs["dev"]))
    return server.tracking_url.apply(
        lambda url: assert_equal(url, "http://mlflow.mlflow.svc.cluster.local:5000")
    )


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "prod"):
        assert schema_errors(declare(stack_configs[stack])) == []
