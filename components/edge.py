"""The platform's front door on the Gateway API: one Gateway (TLS from cert-manager), one
HTTPRoute per exposed service, and on each an Envoy Gateway SecurityPolicy that signs people in
(OIDC), validates machine clients' JWTs and authorizes by group or identity, read or write, as
the stack's `edge` section says (`mlops.edge.policy`).

Routes and policies live in the gateway's own namespace, which is the only one allowed to attach
routes to the web listeners; a ReferenceGrant in each service's namespace admits exactly that one
Service. InferenceServices are the exception: KServe writes their HTTPRoutes into the models
namespace (RawDeployment), so the `inference` listener also admits routes from there, and its
policy is attached to the listener itself, covering every route on it whoever wrote it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.gateway_api import CONTROLLER_NAME
from mlops.config.model import (
    AuthConfig,
    EdgeConfig,
    ExposureConfig,
    Role,
    RouteName,
)
from mlops.config.namespaces import NAMESPACES
from mlops.edge.policy import (
    OIDC_SECRET,
    OIDC_SECRET_KEY,
    Identity,
    People,
    security_policy_spec,
)
from mlops.edge.routes import ROUTES

CLUSTER_ISSUER = "platform-issuer"
LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
GATEWAY = "platform"
ENVOY_PROXY = "platform-proxy"
ENVOY_SERVICE = "platform-gateway"  # the proxies' Service: the platform's one load balancer
GATEWAY_API = "gateway.networking.k8s.io"
ENVOY_GATEWAY_API = "gateway.envoyproxy.io"
ZONE_LABEL = "topology.kubernetes.io/zone"
OWNING_GATEWAY_LABEL = "gateway.envoyproxy.io/owning-gateway-name"  # on every proxy pod
HTTP_LISTENER = "http"  # plain HTTP when TLS is on: redirects, and ACME HTTP-01 challenges
PROXY_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}


@dataclass(frozen=True)
class Backend:
    """Where a route sends its requests: a Service of a catalog namespace."""

    namespace: str  # a key of NAMESPACES
    service: str
    port: int


@dataclass(frozen=True)
class EdgeArgs:
    exposure: ExposureConfig  # load_balancer, gateway_class, tls
    auth: AuthConfig  # the identity provider people sign in with
    edge: EdgeConfig  # per-route access
    groups: Mapping[Role, str]  # access.groups
    hosts: Mapping[RouteName, str]  # every exposed route and its hostname
    backends: Mapping[RouteName, Backend]  # the routes the platform writes (not KServe's)
    identities: Mapping[str, Identity]  # edge.machines with their keys resolved
    replicas: int  # replicas.gateway: Envoy proxies
    oidc_client_secret: pulumi.Input[str]  # a Pulumi secret (stack config), never in a file
    gateway_depends_on: Sequence[pulumi.Resource] = ()  # GatewayApi: CRDs and controller
    issuer_depends_on: Sequence[pulumi.Resource] = ()  # what installs cert-manager
    monitoring_depends_on: Sequence[pulumi.Resource] = ()  # what installs the PodMonitor CRD
    acme_email: str | None = None  # ACME (HTTP-01) when set; self-signed otherwise
    acme_server: str = LETSENCRYPT


def tls_secret_name(host: str) -> str:
    """The Secret cert-manager writes the certificate of `host` into (gateway namespace)."""
    return f"{host.replace('*', 'wildcard').replace('.', '-')}-tls"


def listener_name(route: RouteName) -> str:
    return ROUTES[route].resource_name


class Edge(pulumi.ComponentResource):
    """GatewayClass, Gateway, routes, policies and the certificate issuer."""

    urls: dict[str, str]

    def __init__(
        self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:edge:Edge", name, None, opts)
        self._args = args
        self._namespace = NAMESPACES["gateway"].name
        self._scheme = "https" if args.exposure.tls else "http"
        installed = pulumi.ResourceOptions(parent=self, depends_on=list(args.gateway_depends_on))
        proxy = self._custom("EnvoyProxy", ENVOY_PROXY, envoy_proxy_spec(args), installed)
        gateway_class = self._custom(
            "GatewayClass",
            args.exposure.gateway_class,
            self._gateway_class_spec(),
            installed,
            namespaced=False,
            depends_on=[proxy],
        )
        self.gateway = self._custom(
            "Gateway",
            GATEWAY,
            gateway_spec(args, self._namespace),
            installed,
            annotations={"cert-manager.io/cluster-issuer": CLUSTER_ISSUER}
            if args.exposure.tls
            else None,
            depends_on=[gateway_class],
        )
        after_gateway = pulumi.ResourceOptions(parent=self, depends_on=[self.gateway])
        secret = k8s.core.v1.Secret(
            OIDC_SECRET,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OIDC_SECRET, namespace=self._namespace),
            type="Opaque",
            string_data={OIDC_SECRET_KEY: pulumi.Output.secret(args.oidc_client_secret)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        for route in args.hosts:
            self._route(route, after_gateway, secret)
        if args.exposure.tls:
            self._https_redirect(after_gateway)
            self._cluster_issuer()
        self._proxy_monitor()
        self.urls = {route: f"{self._scheme}://{host}" for route, host in args.hosts.items()}
        self.register_outputs({"urls": self.urls})

    def _custom(
        self,
        kind: str,
        name: str,
        spec: dict[str, Any],
        opts: pulumi.ResourceOptions,
        *,
        namespace: str | None = None,
        namespaced: bool = True,
        annotations: dict[str, str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
        resource_name: str | None = None,
    ) -> k8s.apiextensions.CustomResource:
        group = ENVOY_GATEWAY_API if kind in {"EnvoyProxy", "SecurityPolicy"} else GATEWAY_API
        version = "v1alpha1" if group == ENVOY_GATEWAY_API else "v1"
        return k8s.apiextensions.CustomResource(
            resource_name or f"{kind.lower()}-{name}",
            api_version=f"{group}/{version}",
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                namespace=(namespace or self._namespace) if namespaced else None,
                annotations=annotations,
            ),
            spec=spec,
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(depends_on=list(depends_on))
            ),
        )

    def _gateway_class_spec(self) -> dict[str, Any]:
        return {
            "controllerName": CONTROLLER_NAME,
            "parametersRef": {
                "group": ENVOY_GATEWAY_API,
                "kind": "EnvoyProxy",
                "name": ENVOY_PROXY,
                "namespace": self._namespace,
            },
        }

    def _route(
        self, route: RouteName, opts: pulumi.ResourceOptions, secret: k8s.core.v1.Secret
    ) -> None:
        """The route's HTTPRoute (when the platform writes it), the ReferenceGrant that lets it
        reach its Service, and the SecurityPolicy that guards it."""
        args = self._args
        spec = ROUTES[route]
        backend = args.backends.get(route)
        target: dict[str, str]
        if route == "inference":
            target = {
                "group": GATEWAY_API,
                "kind": "Gateway",
                "name": GATEWAY,
                "sectionName": listener_name(route),
            }
        else:
            target = {"group": GATEWAY_API, "kind": "HTTPRoute", "name": spec.resource_name}
        if backend is not None:
            namespace = NAMESPACES[backend.namespace].name
            self._custom(
                "ReferenceGrant",
                f"from-gateway-to-{backend.service}",
                {
                    "from": [
                        {"group": GATEWAY_API, "kind": "HTTPRoute", "namespace": self._namespace}
                    ],
                    "to": [{"group": "", "kind": "Service", "name": backend.service}],
                },
                opts,
                namespace=namespace,
                resource_name=f"referencegrant-{spec.resource_name}",
            )
            self._custom(
                "HTTPRoute",
                spec.resource_name,
                http_route_spec(route, args.hosts[route], backend, self._namespace),
                opts,
            )
        access = args.edge.routes[route]
        if access.authentication == "none":
            return
        self._custom(
            "SecurityPolicy",
            spec.resource_name,
            security_policy_spec(
                spec,
                access,
                host=args.hosts[route],
                scheme=self._scheme,
                people=People(args.auth, args.groups),
                identities=args.identities,
                target_refs=[target],
            ),
            opts,
            depends_on=[secret],
        )

    def _https_redirect(self, opts: pulumi.ResourceOptions) -> None:
        """Plain HTTP answers with a redirect to HTTPS, and forwards nothing."""
        self._custom(
            "HTTPRoute",
            "https-redirect",
            {
                "parentRefs": [{"name": GATEWAY, "sectionName": HTTP_LISTENER}],
                "rules": [
                    {
                        "filters": [
                            {
                                "type": "RequestRedirect",
                                "requestRedirect": {"scheme": "https", "statusCode": 301},
                            }
                        ]
                    }
                ],
            },
            opts,
        )

    def _proxy_monitor(self) -> k8s.apiextensions.CustomResource:
        """Prometheus scrapes every Envoy proxy's statistics (the gateway dashboard's requests,
        status classes and latencies per route)."""
        return k8s.apiextensions.CustomResource(
            "envoy-proxies",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="envoy-proxies", namespace=self._namespace),
            spec={
                "selector": {"matchLabels": {OWNING_GATEWAY_LABEL: GATEWAY}},
                "podMetricsEndpoints": [{"port": "metrics", "path": "/stats/prometheus"}],
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=list(self._args.monitoring_depends_on)
            ),
        )

    def _cluster_issuer(self) -> k8s.apiextensions.CustomResource:
        args = self._args
        spec: dict[str, Any]
        if args.acme_email:
            solver = {
                "http01": {
                    "gatewayHTTPRoute": {
                        "parentRefs": [
                            {
                                "name": GATEWAY,
                                "namespace": self._namespace,
                                "sectionName": HTTP_LISTENER,
                            }
                        ]
                    }
                }
            }
            spec = {
                "acme": {
                    "email": args.acme_email,
                    "server": args.acme_server,
                    "privateKeySecretRef": {"name": f"{CLUSTER_ISSUER}-account-key"},
                    "solvers": [solver],
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.issuer_depends_on)),
        )


def envoy_proxy_spec(args: EdgeArgs) -> dict[str, Any]:
    """How Envoy Gateway runs the proxies: replicas spread over zones, and their Service: an
    AWS NLB (internal or internet-facing), or a NodePort where there is no cloud load balancer."""
    balancer = args.exposure.load_balancer
    service: dict[str, Any] = {"name": ENVOY_SERVICE}
    if balancer == "none":
        service["type"] = "NodePort"
    else:
        service |= {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-internal": str(
                    balancer == "internal"
                ).lower(),
                "service.beta.kubernetes.io/aws-load-balancer-scheme": balancer,
                "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
            },
        }
    deployment: dict[str, Any] = {
        "replicas": args.replicas,
        "container": {"resources": PROXY_RESOURCES},
        "pod": {
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": ZONE_LABEL,
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {OWNING_GATEWAY_LABEL: GATEWAY}},
                }
            ]
        },
    }
    kubernetes: dict[str, Any] = {"envoyDeployment": deployment, "envoyService": service}
    if args.replicas >= 2:
        kubernetes["envoyPDB"] = {"minAvailable": 1}
    return {"provider": {"type": "Kubernetes", "kubernetes": kubernetes}}


def gateway_spec(args: EdgeArgs, namespace: str) -> dict[str, Any]:
    """One listener per exposed host (HTTPS with its own certificate when TLS is on). Only the
    gateway's namespace may attach routes, except to `inference` (KServe's routes)."""
    tls = args.exposure.tls
    listeners: list[dict[str, Any]] = []
    for route, host in args.hosts.items():
        allowed: dict[str, Any] = {"from": "Same"}
        if route == "inference":
            names = sorted({namespace, NAMESPACES["models"].name})
            allowed = {
                "from": "Selector",
                "selector": {
                    "matchExpressions": [
                        {
                            "key": "kubernetes.io/metadata.name",
                            "operator": "In",
                            "values": names,
                        }
                    ]
                },
            }
        listener: dict[str, Any] = {
            "name": listener_name(route),
            "hostname": host,
            "protocol": "HTTPS" if tls else "HTTP",
            "port": 443 if tls else 80,
            "allowedRoutes": {"namespaces": allowed, "kinds": [{"kind": "HTTPRoute"}]},
        }
        if tls:
            listener["tls"] = {
                "mode": "Terminate",
                "certificateRefs": [{"kind": "Secret", "name": tls_secret_name(host)}],
            }
        listeners.append(listener)
    if tls:
        listeners.append(
            {
                "name": HTTP_LISTENER,
                "protocol": "HTTP",
                "port": 80,
                "allowedRoutes": {"namespaces": {"from": "Same"}, "kinds": [{"kind": "HTTPRoute"}]},
            }
        )
    return {"gatewayClassName": args.exposure.gateway_class, "listeners": listeners}


def http_route_spec(
    route: RouteName, host: str, backend: Backend, gateway_namespace: str
) -> dict[str, Any]:
    return {
        "parentRefs": [
            {"name": GATEWAY, "namespace": gateway_namespace, "sectionName": listener_name(route)}
        ],
        "hostnames": [host],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [
                    {
                        "name": backend.service,
                        "namespace": NAMESPACES[backend.namespace].name,
                        "port": backend.port,
                    }
                ],
            }
        ],
    }
