"""The platform's front door: ingress-nginx (the one LoadBalancer Service of the platform),
oauth2-proxy for single sign-on in front of every web UI, and the `platform-issuer`
ClusterIssuer that signs the ingresses' TLS certificates.

Other components put their UIs behind SSO with `auth_annotations` and `web_annotations(...)`.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.helm import pinned_release
from mlops.config.model import AuthConfig, ChartVersions, ExposureConfig, Replicas
from mlops.config.namespaces import NAMESPACES

CLUSTER_ISSUER = "platform-issuer"
LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
OAUTH2_PROXY = "oauth2-proxy"
OAUTH2_PROXY_SECRET = "oauth2-proxy-credentials"
CONTROLLER_LABELS = {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/instance": "ingress-nginx",
    "app.kubernetes.io/component": "controller",
}
ZONE_LABEL = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class IngressArgs:
    exposure: ExposureConfig
    auth: AuthConfig
    replicas: Replicas  # ingress_controller: controller and oauth2-proxy replicas
    charts: ChartVersions  # ingress_nginx, oauth2_proxy
    oidc_client_secret: pulumi.Input[str]  # a Pulumi secret (stack config), never in a file
    auth_host: str | None = None  # default: auth.<common domain of exposure.hosts>
    acme_email: str | None = None  # ACME (HTTP-01) when set; self-signed otherwise
    acme_server: str = LETSENCRYPT
    service_type: Literal["LoadBalancer", "NodePort"] = "LoadBalancer"
    service_monitor: bool = True  # needs the Prometheus Operator CRDs (install monitoring first)
    monitoring_depends_on: Sequence[pulumi.Resource] = ()  # Monitoring(...).release
    issuer_depends_on: Sequence[pulumi.Resource] = ()  # what installs cert-manager's CRDs


def common_domain(hosts: Sequence[str]) -> str:
    """The longest DNS suffix all hosts share: the SSO cookie is valid across exactly that."""
    labels = [host.split(".")[::-1] for host in hosts]
    shared: list[str] = []
    for parts in zip(*labels, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    if len(shared) < 2:
        raise ValueError(
            f"exposure.hosts: {', '.join(hosts)} share no registrable domain; SSO needs one "
            "cookie domain for all web UIs (or an explicit auth_host)"
        )
    return ".".join(reversed(shared))


def tls_secret_name(host: str) -> str:
    """The Secret cert-manager writes the certificate of `host` into."""
    return f"{host.replace('.', '-')}-tls"


def web_annotations(
    exposure: ExposureConfig, auth_annotations: Mapping[str, str]
) -> dict[str, str]:
    """Annotations of a web UI's Ingress: SSO, plus the certificate issuer when TLS is on."""
    annotations = dict(auth_annotations)
    if exposure.tls:
        annotations["cert-manager.io/cluster-issuer"] = CLUSTER_ISSUER
    return annotations


def web_tls(exposure: ExposureConfig, host: str) -> list[dict[str, Any]]:
    """The `tls` block of a web UI's Ingress (empty without TLS)."""
    return [{"hosts": [host], "secretName": tls_secret_name(host)}] if exposure.tls else []


def sso_domain_and_host(exposure: ExposureConfig, auth_host: str | None) -> tuple[str, str]:
    """The cookie domain shared by every web UI, and the host oauth2-proxy answers on."""
    hosts = exposure.hosts.model_dump().values()
    domain = common_domain([*hosts, *([auth_host] if auth_host else [])])
    return domain, auth_host or f"auth.{domain}"


def sso_annotations(exposure: ExposureConfig, auth_host: str | None = None) -> dict[str, str]:
    """The annotations that put a web UI's Ingress behind oauth2-proxy. A pure function of the
    config, so components installed before the ingress (monitoring) can use them too."""
    _, host = sso_domain_and_host(exposure, auth_host)
    scheme = "https" if exposure.tls else "http"
    namespace = NAMESPACES["ingress"].name
    return {
        "nginx.ingress.kubernetes.io/auth-url": (
            f"http://{OAUTH2_PROXY}.{namespace}.svc.cluster.local/oauth2/auth"
        ),
        "nginx.ingress.kubernetes.io/auth-signin": (
            f"{scheme}://{host}/oauth2/start?rd=$scheme://$host$escaped_request_uri"
        ),
        "nginx.ingress.kubernetes.io/auth-response-headers": (
            "X-Auth-Request-User,X-Auth-Request-Email,X-Auth-Request-Groups"
        ),
    }


class Ingress(pulumi.ComponentResource):
    """ingress-nginx behind an AWS NLB, oauth2-proxy for SSO, and the certificate issuer."""

    auth_annotations: dict[str, str]
    auth_url: str
    auth_host: str

    def __init__(
        self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:ingress:Ingress", name, None, opts)
        self._args = args
        self._namespace = NAMESPACES["ingress"].name
        self._domain, self.auth_host = sso_domain_and_host(args.exposure, args.auth_host)
        self.auth_url = f"http://{OAUTH2_PROXY}.{self._namespace}.svc.cluster.local/oauth2/auth"
        self.auth_annotations = sso_annotations(args.exposure, args.auth_host)
        monitors = list(args.monitoring_depends_on) if args.service_monitor else []
        self.controller = pinned_release(
            "ingress-nginx",
            args.charts.ingress_nginx,
            self._namespace,
            self._controller_values(),
            pulumi.ResourceOptions(parent=self, depends_on=monitors),
        )
        credentials = self._credentials()
        self.oauth2_proxy = pinned_release(
            OAUTH2_PROXY,
            args.charts.oauth2_proxy,
            self._namespace,
            self._oauth2_proxy_values(),
            pulumi.ResourceOptions(
                parent=self, depends_on=[credentials, self.controller, *monitors]
            ),
        )
        if args.exposure.tls:
            self._cluster_issuer()
        self.register_outputs(
            {
                "auth_annotations": self.auth_annotations,
                "auth_url": self.auth_url,
                "auth_host": self.auth_host,
            }
        )

    def _controller_values(self) -> dict[str, Any]:
        args = self._args
        replicas = args.replicas.ingress_controller
        service: dict[str, Any] = {"type": args.service_type}
        if args.service_type == "LoadBalancer":
            internal = args.exposure.load_balancer == "internal"
            service |= {
                "externalTrafficPolicy": "Local",
                "annotations": {
                    # in-tree AWS cloud provider
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-internal": str(internal).lower(),
                    # AWS Load Balancer Controller, when the cluster runs it
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": (
                        args.exposure.load_balancer
                    ),
                    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                },
            }
        return {
            "controller": {
                "replicaCount": replicas,
                "minAvailable": 1,  # the chart adds its PodDisruptionBudget from 2 replicas
                "ingressClass": args.exposure.ingress_class,
                "ingressClassResource": {
                    "name": args.exposure.ingress_class,
                    "enabled": True,
                    "default": False,
                },
                "allowSnippetAnnotations": False,
                "config": {
                    "server-tokens": "false",
                    "ssl-redirect": str(args.exposure.tls).lower(),
                    "hsts": str(args.exposure.tls).lower(),
                },
                "image": {
                    "runAsNonRoot": True,
                    "allowPrivilegeEscalation": False,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "service": service,
                "metrics": {
                    "enabled": True,
                    "serviceMonitor": {"enabled": args.service_monitor},
                },
                "resources": {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"cpu": "1", "memory": "512Mi"},
                },
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": ZONE_LABEL,
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": CONTROLLER_LABELS},
                    }
                ],
                "admissionWebhooks": {"enabled": True},
            },
            "defaultBackend": {"enabled": False},
        }

    def _credentials(self) -> k8s.core.v1.Secret:
        cookie = random.RandomPassword(
            "oauth2-proxy-cookie-secret",
            length=32,  # oauth2-proxy takes a 16, 24 or 32 byte cookie secret
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.core.v1.Secret(
            OAUTH2_PROXY_SECRET,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=OAUTH2_PROXY_SECRET, namespace=self._namespace
            ),
            type="Opaque",
            string_data={
                "client-id": self._args.auth.oidc_client_id,
                "client-secret": pulumi.Output.secret(self._args.oidc_client_secret),
                "cookie-secret": cookie.result,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _oauth2_proxy_values(self) -> dict[str, Any]:
        args = self._args
        tls = args.exposure.tls
        scheme = "https" if tls else "http"
        settings: dict[str, object] = {
            "provider": "oidc",
            "oidc_issuer_url": args.auth.oidc_issuer_url,
            "email_domains": list(args.auth.allowed_email_domains),
            "upstreams": ["static://202"],
            "redirect_url": f"{scheme}://{self.auth_host}/oauth2/callback",
            "cookie_domains": [f".{self._domain}"],
            "whitelist_domains": [f".{self._domain}"],
            "cookie_secure": tls,
            "cookie_samesite": "lax",
            "reverse_proxy": True,
            "set_xauthrequest": True,
            "skip_provider_button": True,
            "scope": "openid email profile",
        }
        replicas = args.replicas.ingress_controller
        return {
            "replicaCount": replicas,
            "podDisruptionBudget": {"enabled": replicas >= 2, "minAvailable": 1},
            "config": {"existingSecret": OAUTH2_PROXY_SECRET, "configFile": _toml(settings)},
            "serviceAccount": {"enabled": True, "automountServiceAccountToken": False},
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"},
            },
            "securityContext": {
                "enabled": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "runAsUser": 2000,
                "runAsGroup": 2000,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "ingress": {
                "enabled": True,
                "className": args.exposure.ingress_class,
                "path": "/oauth2",
                "pathType": "Prefix",
                "hosts": [self.auth_host],
                "annotations": web_annotations(args.exposure, {}),
                "tls": web_tls(args.exposure, self.auth_host),
            },
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": args.service_monitor}},
        }

    def _cluster_issuer(self) -> k8s.apiextensions.CustomResource:
        args = self._args
        spec: dict[str, Any]
        if args.acme_email:
            spec = {
                "acme": {
                    "email": args.acme_email,
                    "server": args.acme_server,
                    "privateKeySecretRef": {"name": f"{CLUSTER_ISSUER}-account-key"},
                    "solvers": [
                        {"http01": {"ingress": {"ingressClassName": args.exposure.ingress_class}}}
                    ],
                }
            }
        else:
            spec = {"selfSigned": {}}
        return k8s.apiextensions.CustomResource(
            CLUSTER_ISSUER,
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_ISSUER),
            spec=spec,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.controller, *args.issuer_depends_on]
            ),
        )


def _toml(settings: Mapping[str, object]) -> str:
    """oauth2-proxy's config file: flat TOML, whose strings, booleans and lists JSON spells."""
    return "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items()) + "\n"
