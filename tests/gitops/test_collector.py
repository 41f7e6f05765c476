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


def test_the_collector_pod_is_restricted_and_has_no_api_token():
    for env in ("dev", "int", "prod"):
        job = _rendered(env)
        assert violations(job, "restricted") == []
        spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
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
