import pulumi
import pytest

from components.kserve import KServe, KServeArgs, serving_runtimes
from mlops.config.model import StackConfig
from mlops.config.object_store import store_endpoint
from mlops.plan.runner import capture
from mlops.serving.runtime import predictor_container, request_log_settings
from tests.components.helpers import of_type, schema_errors
from tests.components.pulumi_mocks import assert_equal, pulumi_mocks  # noqa: F401

RELEASE = "kubernetes:helm.sh/v3:Release"
RUNTIME = "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime"
KNATIVE = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"
PATCH = "kubernetes:apps/v1:DeploymentPatch"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
DOMAIN = "models.mlops.example.com"


def args_for(config: StackConfig) -> KServeArgs:
    charts = config.charts
    return KServeArgs(
        cert_manager_chart=charts.cert_manager,
        crd_chart=charts.kserve_crd,
        chart=charts.kserve,
        knative_operator_chart=charts.knative_operator,
        serving=config.serving,
        controller_replicas=config.replicas.kserve_controller,
        exposure=config.exposure,
        gateway="envoy-gateway-system/platform",
        inference_pool=config.node_pools.inference_gpu,
        ingress_domain=DOMAIN,
    )


def declare(config: StackConfig) -> list:
    return capture(config.environment, lambda: KServe("kserve", args_for(config)))


def releases(resources: list) -> dict[str, dict]:
    return {r.name: r.inputs for r in of_type(resources, RELEASE)}


def test_charts_are_pinned_into_their_namespaces(stack_configs):
    config = stack_configs["prod"]
    installed = releases(declare(config))
    assert installed["cert-manager"]["namespace"] == "cert-manager"
    assert installed["cert-manager"]["version"] == config.charts.cert_manager.version
    assert installed["kserve-crd"]["chart"] == "oci://ghcr.io/kserve/charts/kserve-crd"
    assert installed["kserve"]["chart"] == "oci://ghcr.io/kserve/charts/kserve-resources"
    assert installed["kserve"]["version"] == config.charts.kserve.version
    assert installed["kserve"]["namespace"] == "kserve"
    assert installed["knative-operator"]["version"] == config.charts.knative_operator.version


def test_cert_manager_installs_its_crds_and_runs_restricted(stack_configs):
    values = releases(declare(stack_configs["dev"]))["cert-manager"]["values"]
    assert values["crds"] == {"enabled": True, "keep": True}
    for part in (values, values["webhook"], values["cainjector"], values["startupapicheck"]):
        assert part["containerSecurityContext"]["readOnlyRootFilesystem"] is True
        assert part["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert set(part["resources"]) == {"requests", "limits"}


def test_raw_deployment_needs_no_knative(stack_configs):
    config = stack_configs["dev"]
    assert config.serving.deployment_mode == "RawDeployment"
    resources = declare(config)
    assert "knative-operator" not in releases(resources)
    assert of_type(resources, KNATIVE) == []
    controller = releases(resources)["kserve"]["values"]["kserve"]["controller"]
    assert controller["deploymentMode"] == "Standard"  # KServe 0.17+ name of RawDeployment
    assert controller["gateway"]["ingressGateway"] == {
        "enableGatewayApi": True,
        "kserveGateway": "envoy-gateway-system/platform",
        "createGateway": False,
    }
    assert controller["gateway"]["domain"] == DOMAIN


def test_serverless_installs_knative_serving_with_cluster_internal_kourier(stack_configs):
    config = stack_configs["prod"]
    resources = declare(config)
    (knative,) = of_type(resources, KNATIVE)
    spec = knative.inputs["spec"]
    assert spec["ingress"]["kourier"] == {"enabled": True, "service-type": "ClusterIP"}
    assert spec["config"]["network"]["ingress-class"] == "kourier.ingress.networking.knative.dev"
    assert spec["config"]["domain"] == {DOMAIN: ""}
    assert spec["high-availability"]["replicas"] == config.replicas.kserve_controller
    kserve = releases(resources)["kserve"]
    assert kserve["values"]["kserve"]["controller"]["deploymentMode"] == "Knative"


@pytest.mark.parametrize(("stack", "budget"), [("dev", False), ("prod", True)])
def test_controller_replicas_from_config(stack_configs, stack, budget):
    config = stack_configs[stack]
    resources = declare(config)
    (patch,) = of_type(resources, PATCH)
    assert patch.inputs["metadata"]["name"] == "kserve-controller-manager"
    assert patch.inputs["spec"]["replicas"] == config.replicas.kserve_controller
    assert bool(of_type(resources, PDB)) is budget


def test_one_runtime_serves_mlflow_models_with_a_pinned_restricted_image(stack_configs):
    runtimes = {r.name: r.inputs for r in of_type(declare(stack_configs["prod"]), RUNTIME)}
    assert set(runtimes) == {"platform-predictor"}
    spec = runtimes["platform-predictor"]["spec"]
    assert {f["name"] for f in spec["supportedModelFormats"]} == {"mlflow"}
    (container,) = spec["containers"]
    image = container["image"]
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")
    context = container["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert set(container["resources"]) == {"requests", "limits"}


def test_runtimes_tolerate_the_inference_gpu_pool(stack_configs):
    config = stack_configs["prod"]
    for runtime in of_type(declare(config), RUNTIME):
        tolerations = runtime.inputs["spec"]["tolerations"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in (
            tolerations
        )
        assert runtime.inputs["metadata"]["annotations"]["mlops.platform/accelerator"] == (
            "nvidia.com/gpu"
        )


def test_predictor_pods_get_no_api_token(stack_configs):
    values = releases(declare(stack_configs["dev"]))["kserve"]["values"]["kserve"]
    assert values["security"]["autoMountServiceAccountToken"] is False
    assert values["controller"]["containerSecurityContext"]["readOnlyRootFilesystem"] is True


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("dev", "prod"):
        resources = declare(stack_configs[stack])
        # a DeploymentPatch is partial by design (no selector or template): checked above
        objects = [r for r in resources if r.type != PATCH]
        assert schema_errors(objects) == []


@pytest.mark.usefixtures("pulumi_mocks")
@pulumi.runtime.test
def test_outputs_tell_other_components_how_models_are_reached(stack_configs):
    kserve = KServe("kserve", args_for(stack_configs["prod"]))
    return pulumi.Output.all(
        kserve.ingress_domain, kserve.url_scheme, kserve.deployment_mode, kserve.runtimes
    ).apply(
        lambda values: assert_equal(
            values,
            [
                DOMAIN,
                "https",
                "Serverless",
                ["platform-predictor"],
            ],
        )
    )


def test_the_platform_predictor_runs_read_only_from_the_platform_registry(stack_configs):
    prod = stack_configs["prod"]
    runtimes = serving_runtimes(args_for(prod), "prod-request-logs")
    (container,) = runtimes["platform-predictor"]["containers"]
    assert container["image"] == prod.serving.predictor_image
    assert container["image"].startswith(tuple(prod.security.allowed_registries))
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_runtime_container_is_the_one_the_demo_runs(stack_configs):
    """Entrypoint, settings and port come from mlops.serving.runtime, nowhere else."""
    prod = stack_configs["prod"]
    (container,) = serving_runtimes(args_for(prod), "b")["platform-predictor"]["containers"]
    own = predictor_container(prod.serving.predictor_image, request_log_settings(prod.serving, "b"))
    assert {key: container[key] for key in own} == own
    assert container["command"] == ["mlops"] and container["args"] == ["serve"]


@pytest.mark.parametrize("stack", ["local", "dev", "int", "prod"])
def test_every_cluster_logs_requests_as_its_stack_says(stack_configs, stack):
    config = stack_configs[stack]
    args = KServeArgs(
        **{
            **vars(args_for(config)),
            "store": store_endpoint(config.storage),
            "region": config.cloud.region,
        }
    )
    (container,) = serving_runtimes(args, "real-bucket")["platform-predictor"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    log = config.serving.request_log
    assert env["MLOPS_REQUEST_LOG"]["value"] == f"s3://real-bucket/{log.prefix}"
    assert env["MLOPS_REQUEST_LOG_SAMPLE_RATE"]["value"] == str(log.sample_rate)
    assert env["MLOPS_EXPLAIN"]["value"] == log.explain
    assert env["MLOPS_REQUEST_LOG_DURABILITY"]["value"] == "buffered"
    # the in-cluster store is reached with the namespace's own keys; S3 with the pod's role
    in_cluster = config.storage.mode == "in_cluster"
    assert ("AWS_SECRET_ACCESS_KEY" in env) is in_cluster
    assert ("AWS_ENDPOINT_URL" in env) is in_cluster
    assert "AWS_DEFAULT_REGION" in env


def test_request_logging_off_sets_no_sink(stack_configs):
    dev = stack_configs["dev"]
    serving = dev.serving.model_copy(
        update={"request_log": dev.serving.request_log.model_copy(update={"enabled": False})}
    )
    args = KServeArgs(**{**vars(args_for(dev)), "serving": serving})
    (container,) = serving_runtimes(args)["platform-predictor"]["containers"]
    assert "MLOPS_REQUEST_LOG" not in {item["name"] for item in container["env"]}
