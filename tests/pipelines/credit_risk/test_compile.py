"""The compiled KFP IR: deterministic, every step present, GPU request only on training."""

from pathlib import Path

import pytest
import yaml

from pipelines.credit_risk.components import IMAGE
from pipelines.credit_risk.config import load_config
from pipelines.credit_risk.pipeline import compile_pipeline

STEPS = [
    "ingest-op",
    "validate-op",
    "features-op",
    "split-op",
    "tune-op",
    "train-op",
    "evaluate-op",
    "register-op",
]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> tuple[bytes, list[dict]]:
    path = compile_pipeline(tmp_path_factory.mktemp("ir") / "pipeline.yaml", gpus=1)
    text = path.read_bytes()
    return text, list(yaml.safe_load_all(text))


def test_compilation_is_deterministic(compiled, tmp_path: Path) -> None:
    again = compile_pipeline(tmp_path / "again.yaml", gpus=1).read_bytes()
    assert again == compiled[0]


def test_every_step_is_a_task_in_order(compiled) -> None:
    spec = compiled[1][0]
    tasks = spec["root"]["dag"]["tasks"]
    assert sorted(tasks) == sorted(STEPS)
    assert tasks["features-op"]["dependentTasks"] == ["ingest-op", "validate-op"]
    assert set(spec["root"]["inputDefinitions"]["parameters"]) == {
        "mode",
        "tracking_uri",
        "audit_url",
        "source",
    }
    # caching off: every run produces its own evidence
    assert all(task["cachingOptions"] == {} for task in tasks.values())


def test_images_are_pinned_and_nothing_is_installed_at_run_time(compiled) -> None:
    executors = compiled[1][0]["deploymentSpec"]["executors"]
    for executor in executors.values():
        container = executor["container"]
        assert container["image"] == IMAGE
        assert ":latest" not in container["image"]
        assert "pip install" not in " ".join(container["command"])


def test_training_requests_a_gpu_on_the_training_pool(compiled) -> None:
    spec, platform = compiled[1]
    executors = spec["deploymentSpec"]["executors"]
    resources = executors["exec-train-op"]["container"]["resources"]
    assert resources["accelerator"]["resourceType"] == "nvidia.com/gpu"
    assert resources["accelerator"]["resourceCount"] == "1"
    kubernetes = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    train = kubernetes["exec-train-op"]
    assert train["nodeSelector"] == {"labels": {"mlops.platform/pool": "training-gpu"}}
    assert train["tolerations"] == [
        {"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}
    ]
    for name, executor in executors.items():
        if name != "exec-train-op":
            assert "accelerator" not in executor["container"].get("resources", {}), name
            assert "nodeSelector" not in kubernetes[name], name
    # every task gets the audit token from the Secret
    for name, config in kubernetes.items():
        assert config["secretAsEnv"][0]["keyToEnv"] == [
            {"envVar": "MLOPS_AUDIT_TOKEN", "secretKey": "token"}
        ], name


def test_the_sample_model_trains_on_cpu_as_its_configuration_says(tmp_path: Path) -> None:
    assert load_config().training.gpus == 0
    spec, platform = yaml.safe_load_all(compile_pipeline(tmp_path / "cpu.yaml").read_text())
    train = spec["deploymentSpec"]["executors"]["exec-train-op"]["container"]
    assert "accelerator" not in train.get("resources", {})
    assert (
        "tolerations"
        not in platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-train-op"]
    )


def test_image_can_be_pinned_by_digest(tmp_path: Path) -> None:
    digest = "registry.example/credit-risk@sha256:" + "a" * 64
    spec = next(yaml.safe_load_all(compile_pipeline(tmp_path / "d.yaml", image=digest).read_text()))
    images = {e["container"]["image"] for e in spec["deploymentSpec"]["executors"].values()}
    assert images == {digest}
