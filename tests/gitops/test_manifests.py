"""Each deployment strategy renders what it should, GPU settings reach the pods, and settings
the environment's KServe mode cannot honour are refused with the stack value named."""

from typing import Any

import pytest

from mlops.config.environment import SHADOW_URL
from mlops.errors import BadInputError
from mlops.gitops.descriptor import STRATEGY_KEYS, ModelRelease, parse_release
from mlops.gitops.environment import Environment
from mlops.gitops.manifests import (
    RENDERED_KINDS,
    gpu_demand,
    render_release,
)
from mlops.gitops.runtimes import RUNTIMES
from mlops.manifests.schema import validation_errors


def release(sample: dict[str, Any], **changes: Any) -> ModelRelease:
    raw = {key: value for key, value in sample.items() if key not in STRATEGY_KEYS}
    raw.update({"strategy": "direct", **changes})
    return parse_release({k: v for k, v in raw.items() if v is not None}, "test.yaml")


def by_kind(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        result.setdefault(obj["kind"], []).append(obj)
    return result


def names(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["metadata"]["name"] for obj in objects]


def env_vars(isvc: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in isvc["spec"]["predictor"]["model"]["env"]}


def test_direct_is_one_inference_service_with_its_companions(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    objects = render_release(release(sample, strategy="direct"), environments["prod"], "t")
    kinds = by_kind(objects)
    assert names(kinds["InferenceService"]) == ["credit-risk"]
    assert names(kinds["Service"]) == ["credit-risk-metrics"]
    assert names(kinds["PodDisruptionBudget"]) == ["credit-risk"]
    assert {kind: len(items) for kind, items in kinds.items() if kind != "InferenceService"} == {
        "Service": 1,
        "PodDisruptionBudget": 1,
        "ServiceMonitor": 1,
        "PrometheusRule": 1,
        "NetworkPolicy": 1,
    }
    predictor = kinds["InferenceService"][0]["spec"]["predictor"]
    assert "canaryTrafficPercent" not in predictor
    assert predictor["model"]["storageUri"] == sample["storage_uri"]
    assert predictor["model"]["modelFormat"] == {"name": "mlflow"}
    assert predictor["model"]["runtime"] == sample["runtime"]
    # one OpenMP thread comes with the runtime (mlops.serving.runtime), the same for every model
    assert {"name": "OMP_NUM_THREADS", "value": "1"} not in predictor["model"]["env"]


def test_canary_sets_the_traffic_split_in_serverless_mode(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    objects = render_release(
        release(sample, strategy="canary", canary_traffic_percent=25), environments["prod"], "t"
    )
    (isvc,) = by_kind(objects)["InferenceService"]
    assert isvc["spec"]["predictor"]["canaryTrafficPercent"] == 25
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Serverless"
    assert isvc["metadata"]["annotations"]["serving.kserve.io/enable-tag-routing"] == "true"
    assert isvc["spec"]["predictor"]["labels"]["mlops.platform/version"] == "2"


def test_canary_is_refused_in_raw_deployment_mode(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    with pytest.raises(BadInputError) as info:
        render_release(
            release(sample, strategy="canary", canary_traffic_percent=10, scale_metric="cpu"),
            environments["dev"],
            "gitops/envs/dev/models/credit-risk.yaml",
        )
    message = str(info.value)
    assert message.startswith("gitops/envs/dev/models/credit-risk.yaml: strategy: canary")
    assert "Pulumi.dev.yaml sets serving.deployment_mode RawDeployment" in message


def test_shadow_runs_the_release_beside_the_incumbent_and_mirrors_to_it(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    objects = render_release(
        release(sample, strategy="shadow", runtime="platform-predictor", shadow_mirror_percent=50),
        environments["prod"],
        "t",
    )
    isvcs = {obj["metadata"]["name"]: obj for obj in by_kind(objects)["InferenceService"]}
    assert set(isvcs) == {"credit-risk", "credit-risk-shadow"}
    primary, shadow = isvcs["credit-risk"], isvcs["credit-risk-shadow"]
    assert primary["spec"]["predictor"]["model"]["storageUri"] == sample["incumbent_storage_uri"]
    assert shadow["spec"]["predictor"]["model"]["storageUri"] == sample["storage_uri"]
    assert shadow["metadata"]["labels"]["networking.kserve.io/visibility"] == "cluster-local"
    assert env_vars(primary)[SHADOW_URL.name] == (
        "http://credit-risk-shadow-predictor.models.svc.cluster.local"
    )
    assert env_vars(primary)["MLOPS_SHADOW_PERCENT"] == "50"
    assert SHADOW_URL.name not in env_vars(shadow)
    assert (
        primary["metadata"]["annotations"]["mlops.platform/shadow-target"] == "credit-risk-shadow"
    )
    gate_report = "mlops.platform/gate-report"
    assert shadow["metadata"]["annotations"][gate_report] == sample["gate_report"]
    assert primary["metadata"]["annotations"][gate_report] == sample["incumbent_gate_report"]
    assert (
        primary["metadata"]["annotations"]["mlops.platform/code-commit"]
        == (sample["incumbent_code_commit"])
    )
    assert sorted(names(by_kind(objects)["PodDisruptionBudget"])) == [
        "credit-risk",
        "credit-risk-shadow",
    ]
    # the model's own pods may call each other (the mirror), the data plane reaches both
    (policy,) = by_kind(objects)["NetworkPolicy"]
    sources = policy["spec"]["ingress"][0]["from"]
    assert {"podSelector": {"matchLabels": {"mlops.platform/model": "credit-risk"}}} in sources


@pytest.mark.parametrize(("release_color", "active"), [("green", "blue"), ("green", "green")])
def test_blue_green_runs_both_colours_and_switches_by_service(
    sample: dict[str, Any],
    environments: dict[str, Environment],
    release_color: str,
    active: str,
) -> None:
    objects = render_release(
        release(sample, strategy="blue-green", release_color=release_color, active_color=active),
        environments["int"],
        "t",
    )
    kinds = by_kind(objects)
    isvcs = {obj["metadata"]["name"]: obj for obj in kinds["InferenceService"]}
    assert set(isvcs) == {"credit-risk-blue", "credit-risk-green"}
    assert (
        isvcs["credit-risk-green"]["spec"]["predictor"]["model"]["storageUri"]
        == sample["storage_uri"]
    )
    assert (
        isvcs["credit-risk-blue"]["spec"]["predictor"]["model"]["storageUri"]
        == (sample["incumbent_storage_uri"])
    )
    (switch,) = [svc for svc in kinds["Service"] if svc["metadata"]["name"] == "credit-risk"]
    assert switch["spec"]["selector"] == {
        "mlops.platform/model": "credit-risk",
        "mlops.platform/role": active,
    }
    assert switch["spec"]["ports"][0]["targetPort"] == 8012  # int is Serverless: queue-proxy
    pod_labels = isvcs[f"credit-risk-{active}"]["spec"]["predictor"]["labels"]
    assert all(pod_labels[key] == value for key, value in switch["spec"]["selector"].items())


def test_blue_green_switch_targets_the_model_server_in_raw_mode(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    objects = render_release(
        release(
            sample,
            strategy="blue-green",
            release_color="blue",
            active_color="blue",
            scale_metric="cpu",
        ),
        environments["dev"],
        "t",
    )
    (switch,) = [
        obj for obj in by_kind(objects)["Service"] if obj["metadata"]["name"] == "credit-risk"
    ]
    assert switch["spec"]["ports"][0]["targetPort"] == 8080


def test_gpu_release_gets_limits_toleration_and_node_selector(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    objects = render_release(
        release(sample, strategy="direct", gpu=1, max_replicas=2), environments["prod"], "t"
    )
    (isvc,) = by_kind(objects)["InferenceService"]
    predictor = isvc["spec"]["predictor"]
    assert predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert predictor["nodeSelector"] == {"mlops.platform/pool": "inference-gpu"}
    assert predictor["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]


def test_cpu_release_stays_off_gpu_nodes(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    (isvc,) = by_kind(render_release(release(sample), environments["prod"], "t"))[
        "InferenceService"
    ]
    assert "nodeSelector" not in isvc["spec"]["predictor"]
    assert "nvidia.com/gpu" not in isvc["spec"]["predictor"]["model"]["resources"]["limits"]


def test_gpu_demand_counts_every_inference_service(sample: dict[str, Any]) -> None:
    assert gpu_demand(release(sample, gpu=2, max_replicas=3)) == 6
    assert (
        gpu_demand(
            release(sample, strategy="shadow", runtime="platform-predictor", gpu=2, max_replicas=3)
        )
        == 12
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"scale_metric": "concurrency"}, "scale_metric: 'concurrency' is not supported"),
        ({"scale_metric": "cpu", "min_replicas": 0}, "min_replicas: 0 needs scale to zero"),
    ],
)
def test_raw_deployment_limits_are_enforced(
    sample: dict[str, Any],
    environments: dict[str, Environment],
    changes: dict[str, Any],
    expected: str,
) -> None:
    with pytest.raises(BadInputError, match=expected):
        render_release(release(sample, **changes), environments["dev"], "t")


def test_scale_to_zero_is_allowed_in_serverless_but_not_for_blue_green(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    objects = render_release(release(sample, min_replicas=0), environments["prod"], "t")
    rule = by_kind(objects)["PrometheusRule"][0]
    alerts = [r["alert"] for r in rule["spec"]["groups"][0]["rules"]]
    assert "ModelTargetsDown" not in alerts  # no pods is normal when scaled to zero
    with pytest.raises(BadInputError, match="blue-green switch without pods"):
        render_release(
            release(
                sample,
                strategy="blue-green",
                release_color="blue",
                active_color="blue",
                min_replicas=0,
            ),
            environments["prod"],
            "t",
        )


def test_monitoring_carries_thresholds_and_model_labels(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    objects = by_kind(
        render_release(
            release(sample, latency_p95_seconds=0.25, error_rate_percent=2),
            environments["prod"],
            "t",
        )
    )
    rules = {r["alert"]: r for r in objects["PrometheusRule"][0]["spec"]["groups"][0]["rules"]}
    assert rules["ModelLatencyP95High"]["expr"].endswith("> 0.25")
    assert rules["ModelErrorRateHigh"]["expr"].endswith("> 2")
    assert 'mlops_platform_model="credit-risk"' in rules["ModelErrorRateHigh"]["expr"]
    monitor = objects["ServiceMonitor"][0]["spec"]
    assert monitor["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert monitor["podTargetLabels"] == ["mlops.platform/role", "mlops.platform/version"]
    (metrics,) = objects["Service"]
    assert metrics["spec"]["ports"][0]["port"] == RUNTIMES[sample["runtime"]].metrics_port
    assert all(
        metrics["metadata"]["labels"][key] == value
        for key, value in monitor["selector"]["matchLabels"].items()
    )


@pytest.mark.parametrize(
    ("env", "changes"),
    [
        ("prod", {"strategy": "canary", "canary_traffic_percent": 10}),
        ("prod", {"strategy": "shadow", "runtime": "platform-predictor", "gpu": 1}),
        ("int", {"strategy": "blue-green", "release_color": "blue", "active_color": "green"}),
        ("dev", {"strategy": "direct", "scale_metric": "memory"}),
    ],
)
def test_every_rendered_object_is_schema_valid_and_an_allowed_kind(
    sample: dict[str, Any],
    environments: dict[str, Environment],
    env: str,
    changes: dict[str, Any],
) -> None:
    objects = render_release(release(sample, **changes), environments[env], "t")
    for obj in objects:
        assert validation_errors(obj) == []
        group = obj["apiVersion"].rpartition("/")[0]
        assert (group, obj["kind"]) in RENDERED_KINDS
        assert obj["metadata"]["namespace"] == "models"


def test_batch_release_renders_a_scoring_cronjob_pinned_to_the_release(
    sample: dict[str, Any], environments: dict[str, Environment]
) -> None:
    batch = {"batch_schedule": "0 2 * * *", "batch_claim": "batch-scoring", "batch_input": "in.csv"}
    objects = by_kind(render_release(release(sample, **batch), environments["prod"], "t"))
    (cronjob,) = objects["CronJob"]
    assert cronjob["spec"]["schedule"] == "0 2 * * *"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (score,) = pod["containers"]
    assert score["image"] == environments["prod"].predictor_image
    assert score["args"][score["args"].index("--expected-digest") + 1] == sample["model_digest"]
    assert pod["initContainers"][0]["image"].startswith(environments["prod"].image_registry)
    assert pod["serviceAccountName"] == "model-reader"
    assert pod["automountServiceAccountToken"] is False
    (claim,) = objects["PersistentVolumeClaim"]  # the claim the job mounts is the release's own
    (volume,) = [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert claim["metadata"]["name"] == volume["persistentVolumeClaim"]["claimName"]
    assert claim["metadata"]["namespace"] == cronjob["metadata"]["namespace"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert "Prune=false" in claim["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
    bare = by_kind(render_release(release(sample), environments["prod"], "t"))
    assert "CronJob" not in bare and "PersistentVolumeClaim" not in bare


def test_batch_settings_come_all_together(sample: dict[str, Any]) -> None:
    with pytest.raises(
        BadInputError, match="batch_schedule, batch_claim, batch_input: set all three"
    ):
        release(sample, batch_schedule="0 2 * * *")
