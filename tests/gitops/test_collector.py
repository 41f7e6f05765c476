"""The evidence collector is rendered per environment as a CronJob: its schedule and live
quality goals come from the stack, its pod passes the restricted Pod Security profile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mlops.config.loader import load_stack
from mlops.errors import BadInputError
from mlops.gitops.collector import collector_args
from mlops.gitops.tree import render_environment
from mlops.preflight.podsecurity import violations

REPO = Path(__file__).resolve().parents[2]
PATH = "gitops/envs/{env}/rendered/evidence-collector/cronjob-evidence-collector.yaml"


def _rendered(env: str) -> dict:
    files = render_environment(REPO, env).files
    return yaml.safe_load(files[PATH.format(env=env)])


def test_one_collector_per_environment_on_the_stack_schedule():
    for env in ("dev", "int", "prod"):
        job = _rendered(env)
        config = load_stack(REPO / "stacks", env).monitoring.collector
        assert job["spec"]["schedule"] == config.schedule
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
        (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["mlops"]
        assert container["args"] == collector_args(config, env)
        assert container["args"][:4] == ["evidence", "collect", "--env", env]
    assert _rendered("prod")["spec"]["schedule"] != _rendered("dev")["spec"]["schedule"]


def test_the_prod_collector_carries_the_stack_goals_and_the_retraining_pipeline():
    args = _rendered("prod")["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0][
        "args"
    ]
    pairs = dict(zip(args[4::2], args[5::2], strict=False))
    assert pairs["--max-p95-latency-ms"] == "300" and pairs["--max-error-rate"] == "0.005"
    assert pairs["--window"] == "15m"
    assert pairs["--kfp"] == "http://ml-pipeline.kubeflow.svc.cluster.local:8888"
    assert pairs["--kfp-pipeline"] == "credit-risk:credit-risk-release"
    assert pairs["--prometheus"].startswith("http://kube-prometheus-stack-prometheus.monitoring.")
    assert "--kfp" not in _rendered("dev")["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"][0]["args"]  # fmt: skip


def _pod(env: str) -> dict:
    return _rendered(env)["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_the_collector_pod_is_restricted_and_has_no_api_token():
    for env in ("dev", "int", "prod"):
        job = _rendered(env)
        assert violations(job, "restricted") == []
        assert job["metadata"]["namespace"] == "evidence-collector"  # apart from the predictors
        spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert spec["serviceAccountName"] == "evidence-collector"
        assert spec["automountServiceAccountToken"] is False
        variables = {e["name"]: e for e in spec["containers"][0]["env"]}
        assert "MLOPS_AUDIT_TOKEN" not in variables  # a file from the Secret, not a variable
        assert variables["MLOPS_AUDIT_TOKEN_FILE"]["value"] == "/etc/mlops/audit/token"
        volume = next(v for v in spec["volumes"] if v["name"] == "audit-token")
        assert volume["secret"]["secretName"] == "evidence-collector-audit"


def test_a_bad_schedule_in_the_stack_is_bad_input_naming_the_key(tmp_path):
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    stack = tmp_path / "stacks" / "Pulumi.prod.yaml"
    stack.write_text(stack.read_text().replace('schedule: "*/15 * * * *"', 'schedule: "hourly"'))
    with pytest.raises(BadInputError, match=r"monitoring\.collector\.schedule"):
        load_stack(tmp_path / "stacks", "prod")


def test_the_collector_reads_the_request_log_with_its_own_store_identity():
    """dev (in-cluster store): the keys of the collector namespace's own identity; int and
    prod (S3): its IAM role, no keys. Both read the log the platform's ConfigMap names."""
    for env in ("dev", "int", "prod"):
        variables = {e["name"]: e for e in _pod(env)["containers"][0]["env"]}
        assert variables["MLOPS_REQUEST_LOG"]["valueFrom"] == {
            "configMapKeyRef": {"name": "evidence-collector", "key": "request-log"}
        }
        assert "AWS_ACCESS_KEY_ID" not in variables and "AWS_SECRET_ACCESS_KEY" not in variables
        volumes = {v["name"]: v for v in _pod(env)["volumes"]}
        if env == "dev":  # the keys as files, from the collector namespace's own Secret
            assert variables["AWS_ENDPOINT_URL"]["value"].startswith("http://seaweedfs.")
            keys = volumes["store-keys"]["secret"]
            assert keys["secretName"] == "object-storage-credentials"
            mount = next(m for m in _pod(env)["containers"][0]["volumeMounts"]
                         if m["name"] == "store-keys")  # fmt: skip
            assert variables["MLOPS_STORE_KEYS_DIR"]["value"] == mount["mountPath"]
        else:
            assert "AWS_ENDPOINT_URL" not in variables and "store-keys" not in volumes


def test_only_a_collector_that_requests_retraining_gets_a_token_and_only_for_kfp():
    prod = _pod("prod")
    (volume,) = [v for v in prod["volumes"] if v["name"] == "kfp-token"]
    (source,) = volume["projected"]["sources"]
    assert source["serviceAccountToken"]["audience"] == "pipelines.kubeflow.org"
    assert source["serviceAccountToken"]["expirationSeconds"] <= 3600
    (mount,) = [m for m in prod["containers"][0]["volumeMounts"] if m["name"] == "kfp-token"]
    variables = {e["name"]: e.get("value") for e in prod["containers"][0]["env"]}
    assert variables["MLOPS_KFP_TOKEN_FILE"] == f"{mount['mountPath']}/token"
    assert "MLOPS_KFP_TOKEN" not in variables
    dev = _pod("dev")
    assert all("projected" not in v for v in dev["volumes"])
    assert "MLOPS_KFP_TOKEN_FILE" not in {e["name"] for e in dev["containers"][0]["env"]}


def test_on_a_cluster_the_collector_reads_prometheus_and_cannot_reach_the_predictors():
    """The metrics-endpoint fallback is for the embedded demo: the predictors' metrics share
    the port that answers predictions, so no flow from the collector's namespace reaches
    them."""
    from mlops.config.namespaces import NAMESPACES, flows_between

    for env in ("dev", "int", "prod"):
        args = _pod(env)["containers"][0]["args"]
        assert "--prometheus" in args and "--metrics-url" not in args
    flows = flows_between(tuple(NAMESPACES))
    assert {f.destination for f in flows if f.source == "collector"} == {
        "monitoring", "storage", "governance", "kubeflow"}  # fmt: skip
    # the predictors no longer reach Prometheus's API or KFP's: those flows were the collector's
    assert not {f.destination for f in flows if f.source == "models"} & {"monitoring", "kubeflow"}
