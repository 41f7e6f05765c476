import json
from pathlib import Path

import jmespath
import pulumi
import pytest

from components.monitoring import DASHBOARDS_DIR, Monitoring, MonitoringArgs, load_dashboards
from mlops.config.loader import PROJECT
from mlops.config.model import StackConfig
from mlops.errors import BadInputError
from mlops.plan.capture import PlatformMocks
from mlops.plan.runner import capture
from tests.components.helpers import named, of_type, schema_errors

CONFIGMAP = "kubernetes:core/v1:ConfigMap"


def monitoring_args(config: StackConfig, **overrides) -> MonitoringArgs:
    fields = {
        "monitoring": config.monitoring,
        "charts": config.charts,
        "exposure": config.exposure,
        "auth": config.auth,
        "oidc_client_secret": pulumi.Output.secret("client-secret-value"),
        "editor_group": "ml-engineers",
    }
    return MonitoringArgs(**(fields | overrides))


def declare(config: StackConfig, **overrides) -> list:
    args = monitoring_args(config, **overrides)
    return capture(config.environment, lambda: Monitoring("monitoring", args))


def values(resources: list) -> dict:
    return named(resources, "kube-prometheus-stack").inputs["values"]


@pytest.fixture
def mocks() -> None:
    pulumi.runtime.set_mocks(PlatformMocks(), project=PROJECT, stack="test", preview=False)


def test_retention_storage_and_alertmanager_replicas_follow_the_stack(stack_configs):
    for stack in ("dev", "prod"):
        config = stack_configs[stack].monitoring
        resources = declare(stack_configs[stack])
        release = named(resources, "kube-prometheus-stack").inputs
        assert release["version"] == stack_configs[stack].charts.kube_prometheus_stack.version
        assert release["namespace"] == "monitoring"
        chart = values(resources)
        spec = chart["prometheus"]["prometheusSpec"]
        assert spec["retention"] == f"{config.retention_days}d"
        claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
        assert claim["resources"]["requests"]["storage"] == f"{config.prometheus_storage_gb}Gi"
        alertmanager = chart["alertmanager"]
        assert alertmanager["alertmanagerSpec"]["replicas"] == config.alertmanager_replicas
        assert alertmanager["podDisruptionBudget"]["enabled"] is (config.alertmanager_replicas >= 2)
    prod = values(declare(stack_configs["prod"]))["prometheus"]["prometheusSpec"]
    assert prod["retention"] == "30d"
    assert prod["retentionSize"] == "170GB"


def test_prometheus_selects_every_monitor_and_runs_restricted(stack_configs):
    spec = values(declare(stack_configs["prod"]))["prometheus"]["prometheusSpec"]
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert spec["ruleSelectorNilUsesHelmValues"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["resources"]["limits"]["memory"]


def test_grafana_behind_the_gateway_with_a_generated_admin_password(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    grafana = values(resources)["grafana"]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    assert "adminPassword" not in grafana
    assert grafana["ingress"] == {"enabled": False}  # the gateway routes to it
    assert grafana["containerSecurityContext"]["allowPrivilegeEscalation"] is False
    secret = named(resources, "grafana-admin").inputs
    assert secret["stringData"] == {"admin-user": "[secret]", "admin-password": "[secret]"}
    password = named(resources, "grafana-admin-password").inputs
    assert password["length"] >= 32


def test_grafana_signs_each_user_in_itself_with_the_platform_oidc_client(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    grafana = values(resources)["grafana"]
    ini = grafana["grafana.ini"]
    assert ini["auth.anonymous"] == {"enabled": False}
    oauth = ini["auth.generic_oauth"]
    assert oauth["enabled"] is True and oauth["use_pkce"] is True
    assert oauth["client_id"] == prod.auth.oidc_client_id
    assert (
        oauth["auth_url"] == "https://login.example.com/realms/mlops/protocol/openid-connect/auth"
    )
    assert oauth["api_url"].endswith("/protocol/openid-connect/userinfo")
    assert oauth["allowed_domains"] == "example.com"
    assert oauth["allow_assign_grafana_admin"] is False
    assert "client_secret" not in oauth
    reference = grafana["envValueFrom"]["GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"]["secretKeyRef"]
    assert reference == {"name": "grafana-oidc-client", "key": "client-secret"}
    secret = named(resources, "grafana-oidc-client").inputs
    assert secret["metadata"]["namespace"] == "monitoring"
    assert secret["stringData"] == {"client-secret": "[secret]"}
    assert "client-secret-value" not in json.dumps([r.inputs for r in resources])


def role(expression: str, groups: list[str]) -> str:
    return jmespath.search(expression, {"email": "a@example.com", "groups": groups})


@pytest.mark.parametrize(
    "group", ["ml-engineers", "/mlops/ml engineers", "o'brien\\team", "`back`ticks\\", '"q"']
)
def test_members_of_the_editor_group_edit_and_everyone_else_views(stack_configs, group):
    grafana = values(declare(stack_configs["dev"], editor_group=group))["grafana"]
    expression = grafana["grafana.ini"]["auth.generic_oauth"]["role_attribute_path"]
    assert role(expression, [group, "auditors"]) == "Editor"
    assert role(expression, ["auditors"]) == "Viewer"
    assert role(expression, []) == "Viewer"


def test_without_an_editor_group_everyone_views(stack_configs):
    grafana = values(declare(stack_configs["dev"], editor_group=None))["grafana"]
    expression = grafana["grafana.ini"]["auth.generic_oauth"]["role_attribute_path"]
    assert role(expression, ["ml-engineers"]) == "Viewer"


def test_no_tls_without_tls(stack_configs):
    grafana = values(declare(stack_configs["local"]))["grafana"]
    assert grafana["grafana.ini"]["server"]["root_url"] == "http://grafana.localtest.me"


@pytest.mark.parametrize("path", sorted(DASHBOARDS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_dashboard_file_is_a_grafana_dashboard(path: Path):
    board = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(board["uid"], str) and board["uid"]
    assert isinstance(board["title"], str) and board["title"]
    assert isinstance(board["schemaVersion"], int)
    assert board["panels"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert {"type", "title", "gridPos", "targets"} <= set(panel)
        assert all(target["expr"] for target in panel["targets"])
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24


def test_the_required_dashboards_exist():
    assert {"platform-overview.json", "gpu.json"} <= set(load_dashboards(DASHBOARDS_DIR))


def test_every_dashboard_lands_in_a_labelled_configmap(stack_configs):
    resources = declare(stack_configs["prod"])
    maps = {
        file_name: resource.inputs
        for resource in of_type(resources, CONFIGMAP)
        for file_name in resource.inputs["data"]
    }
    files = sorted(path.name for path in DASHBOARDS_DIR.glob("*.json"))
    assert sorted(maps) == files
    for file_name, configmap in maps.items():
        assert configmap["metadata"]["labels"] == {"grafana_dashboard": "1"}
        assert configmap["metadata"]["namespace"] == "monitoring"
        assert configmap["data"][file_name] == (DASHBOARDS_DIR / file_name).read_text()
    sidecar = values(resources)["grafana"]["sidecar"]["dashboards"]
    assert (sidecar["label"], sidecar["labelValue"]) == ("grafana_dashboard", "1")


def test_bad_dashboards_are_refused(tmp_path: Path):
    with pytest.raises(BadInputError, match="no such dashboards folder"):
        load_dashboards(tmp_path / "missing")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(BadInputError, match=r"broken.json: not JSON"):
        load_dashboards(tmp_path)
    (tmp_path / "broken.json").write_text(json.dumps({"title": "x", "panels": [{}]}))
    with pytest.raises(BadInputError, match=r"broken.json: uid: missing"):
        load_dashboards(tmp_path)
    board = {"uid": "a", "title": "t", "schemaVersion": 39, "panels": [{"id": 1}]}
    (tmp_path / "broken.json").write_text(json.dumps(board))
    (tmp_path / "copy.json").write_text(json.dumps(board))
    with pytest.raises(BadInputError, match="uid 'a' is used by two dashboards"):
        load_dashboards(tmp_path)


@pulumi.runtime.test
def test_outputs_name_the_endpoints_and_keep_the_password_secret(stack_configs, mocks):
    monitoring = Monitoring("monitoring", monitoring_args(stack_configs["prod"]))
    assert monitoring.grafana_url == "https://grafana.mlops.example.com"
    assert monitoring.prometheus_url == (
        "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
    )
    assert "gpu.json" in monitoring.dashboards
    return pulumi.Output.from_input(monitoring.grafana_admin_password.is_secret()).apply(
        _assert_true
    )


def _assert_true(value: bool) -> None:
    assert value is True


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "prod"):
        assert schema_errors(declare(stack_configs[stack])) == []


def test_alertmanager_routes_each_severity_to_the_stack_receivers(stack_configs):
    config = values(declare(stack_configs["prod"]))["alertmanager"]["config"]
    receivers = {r["name"]: r for r in config["receivers"]}
    assert set(receivers) == {"null", "on-call", "ml-team"}
    assert receivers["on-call"]["webhook_configs"][0]["url"].startswith("https://events.")
    routes = {r["receiver"]: r for r in config["route"]["routes"]}
    assert routes["on-call"]["matchers"] == ['severity =~ "critical"']
    assert routes["ml-team"]["matchers"] == ['severity =~ "warning|info"']
    assert routes["null"]["matchers"] == ['alertname = "Watchdog"']
    assert config["route"]["receiver"] == "null"
    local = values(declare(stack_configs["local"]))["alertmanager"]["config"]
    assert [r["name"] for r in local["receivers"]] == ["null"]  # no receivers configured


def test_receivers_are_validated(stack_configs):
    from pydantic import ValidationError

    from mlops.config.model import MonitoringConfig

    hook = {"name": "a", "severities": ["critical"], "webhook_url": "https://x.example/h"}
    with pytest.raises(ValidationError, match="exactly one of webhook_url, email"):
        MonitoringConfig(receivers=[{**hook, "email": "a@example.com"}])
    with pytest.raises(ValidationError, match="duplicate name a"):
        MonitoringConfig(receivers=[hook, hook])
    with pytest.raises(ValidationError, match="needs smtp_smarthost and smtp_from"):
        MonitoringConfig(receivers=[{"name": "b", "severities": ["info"], "email": "b@x.org"}])


def test_the_platform_rules_are_deployed_into_the_monitoring_namespace(stack_configs):
    resources = declare(stack_configs["prod"])
    rules = of_type(resources, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    assert [r.inputs["metadata"]["name"] for r in rules] == ["mlops-serving"]
    assert rules[0].inputs["metadata"]["namespace"] == "monitoring"
    groups = {g["name"] for g in rules[0].inputs["spec"]["groups"]}
    assert {"mlops-serving-slo", "mlops-drift", "mlops-evidence"} <= groups
