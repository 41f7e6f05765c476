import asyncio
import json
import re

import pulumi
import pytest

from components.artifact_store import ArtifactStore
from components.kubeflow_pipelines import (
    KubeflowPipelines,
    KubeflowPipelinesArgs,
    ObjectStoreSettings,
    _transform,
    patch_child,
    resolve_settings,
)
from mlops.config.model import StackConfig
from mlops.config.object_store import ACCESS_KEY, SECRET_KEY, in_cluster_url
from mlops.plan.runner import capture
from tests.components.helpers import named, of_type, schema_errors
from tests.components.pulumi_mocks import assert_equal, pulumi_mocks  # noqa: F401

DIRECTORY = "kubernetes:kustomize/v2:Directory"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
TRACKING = "http://mlflow.mlflow.svc.cluster.local:5000"
ROLE = "arn:aws:iam::123456789012:role/pipelines"
IN_CLUSTER_STORE = ArtifactStore(
    endpoint_url=in_cluster_url(),
    bucket="pipeline-artifacts",
    credentials_secret="object-store-credentials",
    irsa_role_arn=None,
)
S3_STORE = ArtifactStore(
    endpoint_url=None,
    bucket="acme-pipeline-artifacts",
    credentials_secret=None,
    irsa_role_arn=ROLE,
    region="eu-central-1",
)
IN_CLUSTER = resolve_settings(
    in_cluster_url(),
    "pipeline-artifacts",
    "object-store-credentials",
    None,
    None,
)
S3 = resolve_settings(None, "acme-pipeline-artifacts", None, ROLE, "eu-central-1")


def args_for(config: StackConfig, store: ArtifactStore = IN_CLUSTER_STORE) -> KubeflowPipelinesArgs:
    return KubeflowPipelinesArgs(
        manifests=config.charts.kubeflow_pipelines,
        exposure=config.exposure,
        artifacts=store,
        mlflow_tracking_url=TRACKING,
    )


def declare(config: StackConfig, store: ArtifactStore = IN_CLUSTER_STORE) -> list:
    return capture(config.environment, lambda: KubeflowPipelines("kfp", args_for(config, store)))


def upstream_config_map(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def upstream_deployment(name: str, container: str, env: list[dict]) -> dict:
    pod = {
        "containers": [{"name": container, "image": f"ghcr.io/kubeflow/{name}:2.5.0", "env": env}]
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": 1, "template": {"spec": pod}},
    }


def key_from_upstream_secret(variable: str, key: str) -> dict:
    return {
        "name": variable,
        "valueFrom": {"secretKeyRef": {"name": "mlpipeline-minio-artifact", "key": key}},
    }


def test_both_upstream_install_steps_are_applied_at_the_configured_tag(stack_configs):
    pin = stack_configs["prod"].charts.kubeflow_pipelines
    resources = declare(stack_configs["prod"])
    cluster_scoped, tree = of_type(resources, DIRECTORY)
    base = "https://github.com/kubeflow/pipelines//manifests/kustomize"
    assert cluster_scoped.inputs["directory"] == (
        f"{base}/cluster-scoped-resources?ref={pin.version}"
    )
    assert tree.inputs["directory"] == f"{base}/env/platform-agnostic?ref={pin.version}"
    assert re.fullmatch(r"v?\d+\.\d+\.\d+", pin.version)  # a release tag, never a branch
    assert tree.inputs["namespace"] == "kubeflow"
    assert cluster_scoped.urn in tree.dependencies  # CRDs and the cache deployer's account first


def test_install_config_and_launcher_point_at_the_platform_bucket():
    install = patch_child(
        CONFIG_MAP,
        upstream_config_map(
            "pipeline-install-config", {"bucketName": "mlpipeline", "appName": "pipeline"}
        ),
        IN_CLUSTER,
    )
    assert install["data"] == {
        "bucketName": "pipeline-artifacts",
        "appName": "pipeline",
        "defaultPipelineRoot": "s3://pipeline-artifacts/v2/artifacts",
    }
    launcher = patch_child(CONFIG_MAP, upstream_config_map("kfp-launcher", {}), IN_CLUSTER)["data"]
    provider = json.loads(launcher["providers"])["s3"]["default"]
    assert provider["endpoint"] == "seaweedfs.object-storage.svc.cluster.local:8333"
    assert provider["disableSSL"] is True
    assert provider["credentials"]["secretRef"] == {
        "secretName": "object-store-credentials",
        "accessKeyKey": ACCESS_KEY,
        "secretKeyKey": SECRET_KEY,
    }


def test_s3_uses_the_regional_endpoint_and_sdk_credentials():
    launcher = patch_child(CONFIG_MAP, upstream_config_map("kfp-launcher", {}), S3)["data"]
    provider = json.loads(launcher["providers"])["s3"]["default"]
    assert provider["endpoint"] == "s3.eu-central-1.amazonaws.com:443"
    assert provider["credentials"] == {"fromEnv": True}
    argo = patch_child(
        CONFIG_MAP, upstream_config_map("workflow-controller-configmap", {"executor": "x"}), S3
    )["data"]
    repository = json.loads(argo["artifactRepository"])["s3"]
    assert repository["bucket"] == "acme-pipeline-artifacts"
    assert repository["useSDKCreds"] is True and repository["insecure"] is False
    assert "accessKeySecret" not in repository
    assert argo["executor"] == "x"  # the rest of upstream's configuration stays


def test_workflow_artifacts_use_the_platform_secret_on_the_in_cluster_store():
    argo = patch_child(
        CONFIG_MAP, upstream_config_map("workflow-controller-configmap", {}), IN_CLUSTER
    )["data"]
    repository = json.loads(argo["artifactRepository"])["s3"]
    assert repository["accessKeySecret"] == {
        "name": "object-store-credentials",
        "key": ACCESS_KEY,
    }
    assert repository["insecure"] is True


def test_api_server_reads_the_platform_store():
    deployment = upstream_deployment(
        "ml-pipeline",
        "ml-pipeline-api-server",
        [
            {"name": "OBJECTSTORECONFIG_SECURE", "value": "false"},
            key_from_upstream_secret("OBJECTSTORECONFIG_ACCESSKEY", "accesskey"),
        ],
    )
    env = {
        e["name"]: e
        for e in patch_child(DEPLOYMENT, deployment, IN_CLUSTER)["spec"]["template"]["spec"][
            "containers"
        ][0]["env"]
    }
    assert env["OBJECTSTORECONFIG_HOST"]["value"] == "seaweedfs.object-storage.svc.cluster.local"
    assert env["OBJECTSTORECONFIG_PORT"]["value"] == "8333"
    assert env["OBJECTSTORECONFIG_SECURE"]["value"] == "false"
    assert env["OBJECTSTORECONFIG_ACCESSKEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "object-store-credentials",
        "key": ACCESS_KEY,
    }
    on_s3 = patch_child(DEPLOYMENT, deployment, S3)["spec"]["template"]["spec"]["containers"][0]
    names = {e["name"] for e in on_s3["env"]}
    assert "OBJECTSTORECONFIG_ACCESSKEY" not in names  # IRSA: no static keys at all
    assert {"name": "OBJECTSTORECONFIG_SECURE", "value": "true"} in on_s3["env"]


def ui_env(settings: ObjectStoreSettings) -> dict[str, dict]:
    """The UI Deployment as upstream ships it (MINIO_NAMESPACE from the pod's namespace, keys
    from upstream's Secret), patched for `settings`."""
    deployment = upstream_deployment(
        "ml-pipeline-ui",
        "ml-pipeline-ui",
        [
            {
                "name": "MINIO_NAMESPACE",
                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
            },
            key_from_upstream_secret("MINIO_ACCESS_KEY", "accesskey"),
            {"name": "ARGO_ARCHIVE_LOGS", "value": "true"},
        ],
    )
    patched = patch_child(DEPLOYMENT, deployment, settings)["spec"]["template"]["spec"]
    return {e["name"]: e for e in patched["containers"][0]["env"]}


@pytest.mark.parametrize("settings", [IN_CLUSTER, S3], ids=["in_cluster", "s3"])
def test_ui_reads_archived_logs_where_argo_writes_them(settings):
    env = ui_env(settings)
    archive = json.loads(
        patch_child(CONFIG_MAP, upstream_config_map("workflow-controller-configmap", {}), settings)[
            "data"
        ]["artifactRepository"]
    )
    assert archive["archiveLogs"] is True and env["ARGO_ARCHIVE_LOGS"]["value"] == "true"
    assert env["ARGO_ARCHIVE_BUCKETNAME"]["value"] == archive["s3"]["bucket"]
    assert env["ARGO_KEYFORMAT"]["value"] == archive["s3"]["keyFormat"]
    assert sum(e == "ARGO_ARCHIVE_LOGS" for e in env) == 1  # upstream's value replaced, not doubled
    if settings.credentials_secret is None:
        assert env["ARGO_ARCHIVE_ARTIFACTORY"]["value"] == "s3"
        assert env["AWS_S3_ENDPOINT"]["value"] == archive["s3"]["endpoint"].split(":")[0]
        assert "MINIO_ACCESS_KEY" not in env
    else:
        assert env["ARGO_ARCHIVE_ARTIFACTORY"]["value"] == "minio"
        # the UI joins MINIO_HOST and MINIO_NAMESPACE; the host is complete, so no namespace
        assert env["MINIO_NAMESPACE"] == {"name": "MINIO_NAMESPACE", "value": ""}
        host = f"{env['MINIO_HOST']['value']}:{env['MINIO_PORT']['value']}"
        assert host == archive["s3"]["endpoint"]
        assert env["MINIO_ACCESS_KEY"]["valueFrom"]["secretKeyRef"] == {
            "name": archive["s3"]["accessKeySecret"]["name"],
            "key": ACCESS_KEY,
        }


@pytest.mark.parametrize("bundled", ["minio", "seaweedfs"])  # upstream before and since 2.15
def test_the_bundled_store_is_scaled_to_zero_and_unrelated_objects_untouched(bundled):
    store = upstream_deployment(bundled, bundled, [])
    assert patch_child(DEPLOYMENT, store, IN_CLUSTER)["spec"]["replicas"] == 0
    other = upstream_deployment("metadata-writer", "main", [{"name": "X", "value": "1"}])
    assert patch_child(DEPLOYMENT, other, IN_CLUSTER) is None
    assert patch_child(CONFIG_MAP, upstream_config_map("metadata-grpc-configmap", {}), S3) is None


def test_irsa_role_annotated_on_the_accounts_that_touch_artifacts():
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "pipeline-runner"},
    }
    patched = patch_child(SERVICE_ACCOUNT, account, S3)
    assert patched["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    assert patch_child(SERVICE_ACCOUNT, account, IN_CLUSTER) is None


def test_the_transform_applies_the_patch_to_children():
    async def run() -> dict:
        transform = _transform(pulumi.Output.from_input(IN_CLUSTER))
        args = pulumi.ResourceTransformArgs(
            custom=True,
            type_=CONFIG_MAP,
            name="kfp-pipeline-install-config",
            props=upstream_config_map("pipeline-install-config", {"bucketName": "mlpipeline"}),
            opts=pulumi.ResourceOptions(),
        )
        return (await transform(args)).props

    loop = asyncio.new_event_loop()  # not asyncio.run: it would unset the loop Pulumi tests use
    try:
        props = loop.run_until_complete(run())
    finally:
        loop.close()
    assert props["data"]["bucketName"] == "pipeline-artifacts"


def test_pipeline_steps_get_mlflow_and_store_settings(stack_configs):
    data = named(declare(stack_configs["dev"]), "platform-endpoints").inputs["data"]
    assert data["MLFLOW_TRACKING_URI"] == TRACKING
    assert data["MLOPS_PIPELINE_BUCKET"] == "pipeline-artifacts"
    assert data["MLFLOW_S3_ENDPOINT_URL"] == IN_CLUSTER_STORE.endpoint_url
    on_s3 = named(declare(stack_configs["prod"], S3_STORE), "platform-endpoints").inputs["data"]
    assert "MLFLOW_S3_ENDPOINT_URL" not in on_s3
    assert on_s3["AWS_DEFAULT_REGION"] == "eu-central-1"


def test_no_ingress_of_its_own_the_gateway_routes_to_it(stack_configs):
    """The edge (components/edge.py) routes to the Service; the component declares no Ingress."""
    assert of_type(declare(stack_configs["prod"]), "kubernetes:networking.k8s.io/v1:Ingress") == []


def test_s3_store_without_a_region_is_refused():
    with pytest.raises(ValueError, match="region"):
        resolve_settings(None, "bucket", None, ROLE, None)


def test_every_object_validates_against_its_schema(stack_configs):
    for stack, store in (("local", IN_CLUSTER_STORE), ("prod", S3_STORE)):
        assert schema_errors(declare(stack_configs[stack], store)) == []


@pytest.mark.usefixtures("pulumi_mocks")
@pulumi.runtime.test
def test_outputs_are_the_api_and_ui_addresses(stack_configs):
    kfp = KubeflowPipelines("kfp", args_for(stack_configs["local"]))
    return pulumi.Output.all(kfp.api_url, kfp.ui_url).apply(
        lambda urls: assert_equal(
            urls, ["http://ml-pipeline.kubeflow.svc.cluster.local:8888", "http://kfp.localtest.me"]
        )
    )


def test_settings_parse_https_endpoints():
    settings = resolve_settings("https://objects.example.com", "b", "s", None, None)
    assert settings == ObjectStoreSettings(
        host="objects.example.com",
        port=443,
        secure=True,
        region="us-east-1",
        bucket="b",
        credentials_secret="s",
        irsa_role_arn=None,
    )
