import pulumi
import pytest

from components.gpu import GpuStack, GpuStackArgs
from mlops.config.loader import PROJECT
from mlops.config.model import GpuConfig, NodePool, StackConfig
from mlops.plan.capture import PlatformMocks
from mlops.plan.runner import capture
from tests.components.helpers import named, schema_errors

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def gpu_args(config: StackConfig, **overrides) -> GpuStackArgs:
    fields = {"node_pools": config.node_pools, "gpu": config.gpu, "charts": config.charts}
    return GpuStackArgs(**(fields | overrides))


def declare(config: StackConfig, **overrides) -> list:
    args = gpu_args(config, **overrides)
    return capture(config.environment, lambda: GpuStack("gpu", args))


def values(resources: list, release: str) -> dict:
    return named(resources, release).inputs["values"]


@pytest.fixture
def mocks() -> None:
    pulumi.runtime.set_mocks(PlatformMocks(), project=PROJECT, stack="test", preview=False)


def test_device_plugin_is_pinned_and_runs_only_on_gpu_pools(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    release = named(resources, "nvidia-device-plugin").inputs
    assert release["version"] == prod.charts.nvidia_device_plugin.version
    assert release["namespace"] == "gpu-operator"
    plugin = release["values"]
    assert plugin["tolerations"] == [GPU_TOLERATION]
    terms = plugin["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert terms == [
        {"matchExpressions": [{"key": "mlops.platform/pool", "operator": "In", "values": [pool]}]}
        for pool in ("training-gpu", "inference-gpu")
    ]
    assert plugin["securityContext"]["allowPrivilegeEscalation"] is False
    assert plugin["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert plugin["resources"]["limits"]
    assert plugin["gfd"] == {"enabled": False}


def test_dcgm_exporter_on_gpu_pools_with_a_service_monitor(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    exporter = values(resources, "dcgm-exporter")
    assert exporter["tolerations"] == [GPU_TOLERATION]
    assert exporter["affinity"] == values(resources, "nvidia-device-plugin")["affinity"]
    assert exporter["serviceMonitor"] == {"enabled": False}
    assert exporter["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["SYS_ADMIN"]}
    monitor = next(r for r in resources if r.inputs.get("kind") == "ServiceMonitor").inputs
    assert monitor["metadata"]["namespace"] == "gpu-operator"
    assert monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == (
        "dcgm-exporter"
    )
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


def test_dcgm_exporter_can_be_switched_off(stack_configs):
    resources = declare(stack_configs["dev"], gpu=GpuConfig(dcgm_exporter=False))
    kinds = {r.inputs.get("kind") for r in resources}
    assert "ServiceMonitor" not in kinds
    assert not [r for r in resources if r.name == "dcgm-exporter"]
    assert [r for r in resources if r.name == "nvidia-device-plugin"]


def test_runtime_class_tolerates_the_gpu_taint(stack_configs):
    resources = declare(stack_configs["prod"])
    runtime = next(r for r in resources if r.type == "kubernetes:node.k8s.io/v1:RuntimeClass")
    assert runtime.inputs["handler"] == "nvidia"
    assert runtime.inputs["scheduling"]["tolerations"] == [GPU_TOLERATION]
    # the prod pools share no label, so the class selects no node by itself
    assert "nodeSelector" not in runtime.inputs["scheduling"]


def test_shared_pool_labels_become_the_runtime_class_node_selector(stack_configs):
    pools = stack_configs["dev"].node_pools
    shared = {"mlops.platform/gpu": "true"}
    pools = pools.model_copy(
        update={
            "training_gpu": pools.training_gpu.model_copy(
                update={"labels": pools.training_gpu.labels | shared}
            ),
            "inference_gpu": pools.inference_gpu.model_copy(
                update={"labels": pools.inference_gpu.labels | shared}
            ),
        }
    )
    resources = declare(stack_configs["dev"], node_pools=pools)
    runtime = next(r for r in resources if r.type == "kubernetes:node.k8s.io/v1:RuntimeClass")
    assert runtime.inputs["scheduling"]["nodeSelector"] == shared


def test_a_gpu_pool_without_labels_is_refused(stack_configs):
    pools = stack_configs["dev"].node_pools
    unlabelled: NodePool = pools.training_gpu.model_copy(update={"labels": {}})
    with pytest.raises(ValueError, match=r"node_pools.training_gpu.labels: empty"):
        declare(
            stack_configs["dev"], node_pools=pools.model_copy(update={"training_gpu": unlabelled})
        )


@pulumi.runtime.test
def test_outputs_give_the_pools_node_selectors(stack_configs, mocks):
    gpu = GpuStack("gpu", gpu_args(stack_configs["int"]))
    assert gpu.gpu_node_selector_labels == {
        "training": {"mlops.platform/pool": "training-gpu"},
        "inference": {"mlops.platform/pool": "inference-gpu"},
    }
    assert gpu.gpu_tolerations == [GPU_TOLERATION]


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "prod"):
        assert schema_errors(declare(stack_configs[stack])) == []
