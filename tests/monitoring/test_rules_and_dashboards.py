"""The PrometheusRules and the serving dashboard: valid objects, and every metric they query
is one the serving runtime or the drift job actually exports."""

import json
import re
from pathlib import Path

import pandas as pd
from prometheus_client import Counter, Gauge, Histogram

from mlops.manifests.schema import validation_errors
from mlops.monitoring.drift import compare
from mlops.monitoring.exporter import drift_registry
from mlops.serving import metrics
from mlops.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "monitoring" / "rules").glob("*.yaml"))
DASHBOARD = ROOT / "monitoring" / "dashboards" / "serving.json"
METRIC = re.compile(r"\bmlops_[a-z_]+\b")
RECORDED = re.compile(r"\bmlops:[a-z_0-9:]+")
KUBE = re.compile(r"\bkube_[a-z_]+\b")
# kube-state-metrics (kube-prometheus-stack ships it): the evidence collector's CronJob runs
KUBE_STATE = {"kube_job_status_failed", "kube_cronjob_status_last_successful_time"}


def _exported() -> set[str]:
    names: set[str] = set()
    for item in vars(metrics).values():
        if isinstance(item, Counter):
            names.add(f"{item._name}_total")
        elif isinstance(item, Histogram):
            names |= {f"{item._name}_{s}" for s in ("bucket", "sum", "count")}
        elif isinstance(item, Gauge):
            names.add(item._name)
    frame = pd.DataFrame({"x": range(60)})
    report = compare(frame, frame, model="m", version="1", reference_name="r", current_name="c")
    names |= {m.name for m in drift_registry(report).collect()}
    return names


def test_rules_are_valid_prometheus_rules_of_known_metrics():
    assert RULES
    exported = _exported()
    alerts = set()
    for path in RULES:
        rule = load_yaml(path)
        assert validation_errors(rule) == [], path
        recorded = {
            item["record"] for group in rule["spec"]["groups"] for item in group["rules"]
            if "record" in item
        }  # fmt: skip
        for group in rule["spec"]["groups"]:
            for item in group["rules"]:
                used, uses_recorded = (
                    set(METRIC.findall(item["expr"])),
                    set(RECORDED.findall(item["expr"])),
                )
                kube = set(KUBE.findall(item["expr"]))
                assert used or uses_recorded or kube, item
                assert kube <= KUBE_STATE, item["expr"]
                assert used <= exported, item["expr"]
                assert uses_recorded <= recorded, item["expr"]
                if "alert" in item:
                    alerts.add(item["alert"])
                    assert item["labels"]["severity"] in ("info", "warning", "critical")
                    assert item["annotations"]["summary"]
    assert {"FeatureDriftDetected", "EvidenceCollectorFailing", "RequestLogDropping"} <= alerts


def test_a_broken_rule_fails_schema_validation():
    rule = load_yaml(RULES[0])
    rule["spec"]["groups"][0]["rules"][0]["exprr"] = "up"
    assert validation_errors(rule)


def test_dashboard_is_a_grafana_dashboard_of_known_metrics():
    board = json.loads(DASHBOARD.read_text())
    for key in ("uid", "title", "schemaVersion", "panels"):
        assert key in board
    assert board["uid"] == "mlops-serving"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    exported = _exported()
    queried = set()
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        assert panel["type"] in ("row", "timeseries", "stat", "table")
        for target in panel.get("targets", []):
            found = set(METRIC.findall(target["expr"]))
            assert found and found <= exported, target["expr"]
            queried |= found
            assert target["datasource"]["type"] == "prometheus"
    assert {"mlops_predictor_request_duration_seconds_bucket", "mlops_drift_psi",
            "mlops_shadow_disagreements_total"} <= queried  # fmt: skip
    uids = {
        json.loads(p.read_text())["uid"] for p in DASHBOARD.parent.glob("*.json") if p != DASHBOARD
    }
    assert board["uid"] not in uids


def _rule_names(rule: dict) -> list[str]:
    return [item.get("alert") or item["record"] for group in rule["spec"]["groups"]
            for item in group["rules"]]  # fmt: skip


def test_no_two_rules_share_a_name_across_the_platform_and_the_rendered_models():
    """What Prometheus loads in one environment: the platform's rules (monitoring/rules/, via
    the monitoring component) and every model's rendered rule of that environment."""
    from components.monitoring import load_rules

    platform = [name for rule in load_rules(ROOT / "monitoring" / "rules")
                for name in _rule_names(rule)]  # fmt: skip
    assert len(platform) == len(set(platform)), platform
    for env in ("dev", "int", "prod"):
        names = list(platform)
        for path in sorted(
            (ROOT / "gitops" / "envs" / env / "rendered").rglob("prometheusrule-*.yaml")
        ):
            names += _rule_names(load_yaml(path))
        duplicates = sorted({n for n in names if names.count(n) > 1})
        assert duplicates == [], f"{env}: {duplicates}"
    assert "ModelErrorRateHigh" not in platform  # rendered per model instead
