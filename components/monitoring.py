"""Monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana) with the dashboards
committed under `monitoring/dashboards/`, each loaded into a ConfigMap Grafana's sidecar reads.

Prometheus selects every ServiceMonitor, PodMonitor and PrometheusRule in the cluster (not only
this release's), so the other components' monitors need no special label. Grafana sits behind the
gateway (components/edge.py) and signs each user in itself with the platform's OIDC client (Grafana's generic
OAuth), so that Grafana knows who looked and who changed what: members of the ML engineers'
group edit, everyone else views. The generated admin password (kept in a Secret, exported as a
secret output) is the break-glass login (`/login?disableAutoLogin`).

Node exporter needs the host's network and PID namespaces, hence the privileged Pod Security
level of the monitoring namespace; Grafana's sidecar watches ConfigMaps, so Grafana's
ServiceAccount keeps its API token.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.helm import pinned_release
from mlops.config.model import AuthConfig, ChartVersions, ExposureConfig, MonitoringConfig
from mlops.config.namespaces import NAMESPACES
from mlops.errors import BadInputError

DASHBOARDS_DIR = Path(__file__).resolve().parents[1] / "monitoring" / "dashboards"
RULES_DIR = Path(__file__).resolve().parents[1] / "monitoring" / "rules"
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARD_KEYS = ("uid", "title", "schemaVersion", "panels")
CONFIGMAP_LIMIT = 1024 * 1024
RELEASE = "kube-prometheus-stack"
GRAFANA_SERVICE = f"{RELEASE}-grafana"  # the Grafana subchart's Service, port 80
ADMIN_SECRET = "grafana-admin"
OIDC_SECRET = "grafana-oidc-client"  # a Secret in the monitoring namespace
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class MonitoringArgs:
    monitoring: MonitoringConfig
    charts: ChartVersions  # kube_prometheus_stack
    exposure: ExposureConfig  # hosts.grafana, tls
    auth: AuthConfig  # the OIDC issuer and client Grafana signs users in with
    oidc_client_secret: pulumi.Input[str]  # the Pulumi secret `oidc_client_secret`
    # the identity-provider group whose members edit (the ML engineers'); None: everyone views
    editor_group: str | None
    dashboards_dir: Path = DASHBOARDS_DIR
    rules_dir: Path = RULES_DIR  # platform-wide PrometheusRules; per-model ones are in gitops/
    storage_class: str | None = None  # Prometheus' volume class; None: the cluster default
    control_plane_metrics: bool = False  # EKS does not expose scheduler/etcd/controller metrics


def load_dashboards(directory: Path) -> dict[str, str]:
    """Every `*.json` dashboard of `directory` by file name, checked to be one Grafana can load."""
    if not directory.is_dir():
        raise BadInputError(f"{directory}: no such dashboards folder")
    dashboards: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        try:
            board = json.loads(text)
        except ValueError as error:
            raise BadInputError(f"{path}: not JSON: {error}") from None
        if not isinstance(board, dict):
            raise BadInputError(f"{path}: a Grafana dashboard is a JSON object")
        missing = [key for key in DASHBOARD_KEYS if key not in board]
        if missing:
            raise BadInputError(
                f"{path}: {missing[0]}: missing; a Grafana dashboard needs "
                + ", ".join(DASHBOARD_KEYS)
            )
        if not isinstance(board["panels"], list) or not board["panels"]:
            raise BadInputError(f"{path}: panels: empty; allowed: a list of panels")
        if len(text.encode()) >= CONFIGMAP_LIMIT:
            raise BadInputError(f"{path}: larger than a ConfigMap holds (1 MiB)")
        dashboards[path.name] = text
    uids = [json.loads(text)["uid"] for text in dashboards.values()]
    duplicates = sorted({uid for uid in uids if uids.count(uid) > 1})
    if duplicates:
        raise BadInputError(f"{directory}: uid '{duplicates[0]}' is used by two dashboards")
    return dashboards


def load_rules(directory: Path) -> list[dict[str, Any]]:
    """Every PrometheusRule of `directory` (`*.yaml`, one object each), read strictly; they are
    deployed into the monitoring namespace, where Prometheus selects them."""
    from mlops.yamlio import load_yaml

    rules = []
    for path in sorted(directory.glob("*.yaml")):
        rule = load_yaml(path)
        if not isinstance(rule, dict) or rule.get("kind") != "PrometheusRule":
            raise BadInputError(f"{path}: allowed: one PrometheusRule object")
        rules.append(rule)
    return rules


def alertmanager_config(config: MonitoringConfig) -> dict[str, Any]:
    """Alertmanager's routing from the stack's receivers: each receiver gets the alerts of its
    severities (an alert may go to several); the chart's Watchdog and anything unmatched go to
    the `null` receiver, so no alert is routed to a receiver the stack did not name."""
    routes: list[dict[str, Any]] = [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}]
    receivers: list[dict[str, Any]] = [{"name": "null"}]
    for receiver in config.receivers:
        severities = "|".join(receiver.severities)
        routes.append({"receiver": receiver.name, "matchers": [f'severity =~ "{severities}"'],
                       "continue": True})  # fmt: skip
        target = (
            {"webhook_configs": [{"url": receiver.webhook_url, "send_resolved": True}]}
            if receiver.webhook_url
            else {"email_configs": [{"to": receiver.email, "send_resolved": True}]}
        )
        receivers.append({"name": receiver.name, **target})
    result: dict[str, Any] = {
        "route": {
            "receiver": "null",
            "group_by": ["alertname", "namespace", "model"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "receivers": receivers,
    }
    if config.smtp_smarthost:
        result["global"] = {"smtp_smarthost": config.smtp_smarthost,
                            "smtp_from": config.smtp_from, "smtp_require_tls": True}  # fmt: skip
    return result


class Monitoring(pulumi.ComponentResource):
    """kube-prometheus-stack with retention, storage and HA from config; Grafana behind SSO."""

    release: k8s.helm.v3.Release  # installs the Prometheus Operator CRDs others depend on
    grafana_url: str
    prometheus_url: str
    alertmanager_url: str
    grafana_admin_password: pulumi.Output[str]
    dashboards: list[str]

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:monitoring:Monitoring", name, None, opts)
        self._args = args
        self._namespace = NAMESPACES["monitoring"].name
        dashboards = load_dashboards(args.dashboards_dir)
        child = pulumi.ResourceOptions(parent=self)

        password = random.RandomPassword(
            "grafana-admin-password", length=32, special=False, opts=child
        )
        self.grafana_admin_password = pulumi.Output.secret(password.result)
        admin = k8s.core.v1.Secret(
            ADMIN_SECRET,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ADMIN_SECRET, namespace=self._namespace),
            type="Opaque",
            string_data={"admin-user": "admin", "admin-password": password.result},
            opts=child,
        )
        oidc_client = k8s.core.v1.Secret(
            OIDC_SECRET,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OIDC_SECRET, namespace=self._namespace),
            type="Opaque",
            string_data={"client-secret": pulumi.Output.secret(args.oidc_client_secret)},
            opts=child,
        )
        configmaps = [
            k8s.core.v1.ConfigMap(
                f"dashboard-{Path(file_name).stem}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{Path(file_name).stem}",
                    namespace=self._namespace,
                    labels={DASHBOARD_LABEL: "1"},
                ),
                data={file_name: text},
                opts=child,
            )
            for file_name, text in dashboards.items()
        ]
        self.dashboards = list(dashboards)
        self.release = pinned_release(
            RELEASE,
            args.charts.kube_prometheus_stack,
            self._namespace,
            self._values(),
            pulumi.ResourceOptions(parent=self, depends_on=[admin, oidc_client, *configmaps]),
        )
        self.rules = [
            k8s.apiextensions.CustomResource(
                f"rule-{rule['metadata']['name']}",
                api_version=rule["apiVersion"],
                kind=rule["kind"],
                metadata={**rule["metadata"], "namespace": self._namespace},
                spec=rule["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release]),
            )
            for rule in load_rules(args.rules_dir)
        ]
        scheme = "https" if args.exposure.tls else "http"
        service = f"{self._namespace}.svc.cluster.local"
        self.grafana_url = f"{scheme}://{args.exposure.hosts.grafana}"
        self.prometheus_url = f"http://{RELEASE}-prometheus.{service}:9090"
        self.alertmanager_url = f"http://{RELEASE}-alertmanager.{service}:9093"
        self.register_outputs(
            {
                "grafana_url": self.grafana_url,
                "prometheus_url": self.prometheus_url,
                "alertmanager_url": self.alertmanager_url,
                "grafana_admin_password": self.grafana_admin_password,
                "dashboards": self.dashboards,
            }
        )

    def _values(self) -> dict[str, Any]:
        args = self._args
        config = args.monitoring
        host = args.exposure.hosts.grafana
        scheme = "https" if args.exposure.tls else "http"
        volume: dict[str, Any] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{config.prometheus_storage_gb}Gi"}},
        }
        if args.storage_class:
            volume["storageClassName"] = args.storage_class
        off = {"enabled": args.control_plane_metrics}
        return {
            "fullnameOverride": RELEASE,
            "crds": {"enabled": True},
            "kubeControllerManager": off,
            "kubeScheduler": off,
            "kubeEtcd": off,
            "kubeProxy": off,
            "prometheusOperator": {
                "resources": _resources("100m", "128Mi", "500m", "512Mi"),
                "containerSecurityContext": RESTRICTED | {"readOnlyRootFilesystem": True},
            },
            "prometheus": {
                "prometheusSpec": {
                    "retention": f"{config.retention_days}d",
                    # stop before the volume is full: Prometheus cannot write to a full disk
                    "retentionSize": f"{max(1, int(config.prometheus_storage_gb * 0.85))}GB",
                    "storageSpec": {"volumeClaimTemplate": {"spec": volume}},
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                    "probeSelectorNilUsesHelmValues": False,
                    "resources": _resources("500m", "2Gi", "2", "8Gi"),
                    "securityContext": _pod_security(1000, 2000),
                },
            },
            "alertmanager": {
                "config": alertmanager_config(config),
                "alertmanagerSpec": {
                    "replicas": config.alertmanager_replicas,
                    "resources": _resources("50m", "64Mi", "200m", "256Mi"),
                    "securityContext": _pod_security(1000, 2000),
                },
                "podDisruptionBudget": {
                    "enabled": config.alertmanager_replicas >= 2,
                    "minAvailable": 1,
                },
            },
            "grafana": {
                "admin": {
                    "existingSecret": ADMIN_SECRET,
                    "userKey": "admin-user",
                    "passwordKey": "admin-password",
                },
                "ingress": {"enabled": False},  # the gateway routes to it (components/edge.py)
                "grafana.ini": {
                    "server": {"root_url": f"{scheme}://{host}"},
                    # Grafana runs the OIDC code flow itself: trusting a header set by the gateway
                    # header instead would let any pod that reaches Grafana directly (no
                    # default-deny in dev) claim to be anyone.
                    "auth.generic_oauth": self._oauth(),
                    "auth.anonymous": {"enabled": False},
                    "users": {"allow_sign_up": False},
                    "analytics": {"reporting_enabled": False, "check_for_updates": False},
                },
                # Grafana reads GF_<SECTION>_<KEY> over grafana.ini: the secret stays in a Secret
                "envValueFrom": {
                    "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET": {
                        "secretKeyRef": {"name": OIDC_SECRET, "key": "client-secret"}
                    }
                },
                "sidecar": {
                    "dashboards": {
                        "enabled": True,
                        "label": DASHBOARD_LABEL,
                        "labelValue": "1",
                        "searchNamespace": self._namespace,
                    },
                    "resources": _resources("50m", "64Mi", "200m", "256Mi"),
                    "securityContext": RESTRICTED | {"readOnlyRootFilesystem": True},
                },
                "rbac": {"namespaced": True},
                "serviceAccount": {"autoMount": True},
                "resources": _resources("100m", "256Mi", "1", "1Gi"),
                "securityContext": _pod_security(472, 472),
                "containerSecurityContext": RESTRICTED,
            },
            "kube-state-metrics": {
                "resources": _resources("50m", "128Mi", "500m", "512Mi"),
            },
            "prometheus-node-exporter": {
                "resources": _resources("50m", "64Mi", "250m", "256Mi"),
            },
        }

    def _oauth(self) -> dict[str, Any]:
        auth, group = self._args.auth, self._args.editor_group
        role = f"contains(groups[*], {_jmespath_literal(group)}) && 'Editor' || 'Viewer'"
        return {
            "enabled": True,
            "name": "Single sign-on",
            "client_id": auth.oidc_client_id,
            "scopes": "openid email profile",
            "auth_url": auth.authorize_url,
            "token_url": auth.token_url,
            "api_url": auth.userinfo_url,
            "use_pkce": True,
            "auto_login": True,
            "allow_sign_up": True,  # accounts appear at first login, for the allowed domains only
            "allowed_domains": " ".join(auth.allowed_email_domains),
            "login_attribute_path": "email",
            "email_attribute_path": "email",
            "role_attribute_path": role if group else "'Viewer'",
            "allow_assign_grafana_admin": False,
            "skip_org_role_sync": False,
        }


def _jmespath_literal(text: str | None) -> str:
    """A JMESPath JSON literal of `text`: no group name can end the expression early."""
    return "`" + json.dumps(text or "").replace("`", "\\`") + "`"


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }


def _pod_security(user: int, group: int) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": group,
        "fsGroup": group,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
