import pulumi
import pytest

from components.artifact_store import ArtifactStore
from components.notebooks import Notebooks, NotebooksArgs
from mlops.config.model import StackConfig
from mlops.config.object_store import ACCESS_KEY, CREDENTIALS_SECRET, in_cluster_url
from mlops.plan.runner import capture
from tests.components.helpers import of_type, schema_errors
from tests.components.pulumi_mocks import assert_equal, pulumi_mocks  # noqa: F401

RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
TRACKING = "http://mlflow.mlflow.svc.cluster.local:5000"
ROLE = "arn:aws:iam::123456789012:role/notebooks"
IN_CLUSTER = ArtifactStore(
    endpoint_url=in_cluster_url(),
    bucket="datasets",
    credentials_secret=CREDENTIALS_SECRET,
    irsa_role_arn=None,
)
S3 = ArtifactStore(
    endpoint_url=None,
    bucket="acme-datasets",
    credentials_secret=None,
    irsa_role_arn=ROLE,
    region="eu-central-1",
)


def args_for(config: StackConfig, store: ArtifactStore = IN_CLUSTER) -> NotebooksArgs:
    return NotebooksArgs(
        chart=config.charts.jupyterhub,
        notebooks=config.notebooks,
        auth=config.auth,
        oidc_client_secret=pulumi.Output.secret("client-secret"),
        exposure=config.exposure,
        mlflow_tracking_url=TRACKING,
        artifacts=store,
    )


def declare(config: StackConfig, store: ArtifactStore = IN_CLUSTER) -> list:
    return capture(config.environment, lambda: Notebooks("notebooks", args_for(config, store)))


def values(resources: list) -> dict:
    (release,) = of_type(resources, RELEASE)
    return release.inputs["values"]


def test_chart_is_pinned_into_the_notebooks_namespace(stack_configs):
    config = stack_configs["dev"]
    (release,) = of_type(declare(config), RELEASE)
    assert release.inputs["chart"] == "jupyterhub"
    assert release.inputs["version"] == config.charts.jupyterhub.version
    assert release.inputs["namespace"] == "notebooks"


def test_sign_in_through_the_platform_oidc_client_with_a_secret(stack_configs):
    config = stack_configs["dev"]
    resources = declare(config)
    hub = values(resources)["hub"]
    oauth = hub["config"]["GenericOAuthenticator"]
    assert oauth["client_id"] == config.auth.oidc_client_id
    assert "client_secret" not in oauth
    reference = hub["extraEnv"]["OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]
    (secret,) = of_type(resources, SECRET)
    assert reference["name"] == secret.inputs["metadata"]["name"]
    assert secret.inputs["stringData"] == {"client-secret": "[secret]"}  # never in clear text
    assert oauth["authorize_url"].startswith(config.auth.oidc_issuer_url)
    assert oauth["oauth_callback_url"] == (
        f"https://{config.exposure.hosts.notebooks}/hub/oauth_callback"
    )


def test_servers_know_mlflow_and_the_store_with_keys_from_a_secret(stack_configs):
    env = values(declare(stack_configs["dev"]))["singleuser"]["extraEnv"]
    assert env["MLFLOW_TRACKING_URI"] == TRACKING
    assert env["MLFLOW_S3_ENDPOINT_URL"] == IN_CLUSTER.endpoint_url
    assert env["MLOPS_BUCKET"] == "datasets"
    assert env["AWS_ACCESS_KEY_ID"] == {
        "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": ACCESS_KEY}}
    }


def test_on_s3_servers_use_irsa_and_hold_no_keys(stack_configs):
    resources = declare(stack_configs["dev"], S3)
    env = values(resources)["singleuser"]["extraEnv"]
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_ENDPOINT_URL" not in env
    assert env["AWS_DEFAULT_REGION"] == "eu-central-1"
    (account,) = of_type(resources, ACCOUNT)
    assert account.inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    assert account.inputs["automountServiceAccountToken"] is False
    assert values(resources)["singleuser"]["serviceAccountName"] == "notebook-user"


def test_defaults_from_config_non_root_and_culled(stack_configs):
    chart = values(declare(stack_configs["dev"]))
    user = chart["singleuser"]
    assert user["cpu"] == {"guarantee": 1.0, "limit": 1.0}
    assert user["memory"] == {"guarantee": "4Gi", "limit": "4Gi"}
    assert user["uid"] == 1000 and user["allowPrivilegeEscalation"] is False
    assert user["cloudMetadata"]["blockWithIptables"] is False  # no NET_ADMIN init container
    spawner = chart["hub"]["config"]["KubeSpawner"]
    assert spawner["container_security_context"]["runAsNonRoot"] is True
    assert spawner["container_security_context"]["capabilities"] == {"drop": ["ALL"]}
    assert chart["cull"]["enabled"] is True
    assert chart["hub"]["containerSecurityContext"]["allowPrivilegeEscalation"] is False
    assert set(chart["hub"]["resources"]) == {"requests", "limits"}


def test_proxy_is_cluster_internal_behind_the_gateway(stack_configs):
    resources = declare(stack_configs["dev"])
    assert values(resources)["proxy"]["service"]["type"] == "ClusterIP"
    assert values(resources)["ingress"]["enabled"] is False
    assert of_type(resources, INGRESS) == []


def test_every_object_validates_against_its_schema(stack_configs):
    for store in (IN_CLUSTER, S3):
        assert schema_errors(declare(stack_configs["local"], store)) == []


@pytest.mark.usefixtures("pulumi_mocks")
@pulumi.runtime.test
def test_url_is_the_public_host(stack_configs):
    notebooks = Notebooks("notebooks", args_for(stack_configs["local"]))
    return notebooks.url.apply(lambda url: assert_equal(url, "http://notebooks.localtest.me"))
