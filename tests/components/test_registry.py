from components.registry import ContainerRegistry, RegistryArgs
from mlops.config.model import StackConfig
from mlops.plan.runner import capture
from tests.components.helpers import of_type


def declare(config: StackConfig) -> list:
    args = RegistryArgs(
        cluster_name=f"mlops-{config.environment}",
        settings=config.registry,
        namespace="registry",
        docker_registry_chart=config.charts.docker_registry,
        tags={},
    )
    return capture("test", lambda: ContainerRegistry("registry", args))


def test_ecr_tags_are_immutable_scanned_and_encrypted(stack_configs):
    resources = declare(stack_configs["prod"])
    repositories = of_type(resources, "aws:ecr/repository:Repository")
    assert {r.inputs["name"] for r in repositories} == {
        "mlops-prod/governance",
        "mlops-prod/predictor",
        "mlops-prod/pipeline-components",
    }
    for repository in repositories:
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    assert len(of_type(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy")) == 3


def test_local_runs_a_registry_inside_the_cluster(stack_configs):
    resources = declare(stack_configs["local"])
    (release,) = of_type(resources, "kubernetes:helm.sh/v3:Release")
    assert release.inputs["values"]["service"]["type"] == "ClusterIP"
    assert release.inputs["version"] == stack_configs["local"].charts.docker_registry.version
    assert not [r for r in resources if r.type.startswith("aws:")]
