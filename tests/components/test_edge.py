"""The edge component: Gateway API objects for Envoy Gateway, one route and one policy per
exposed service, the proxies' load balancer as the stack says, and TLS from cert-manager."""

import pulumi

from components.edge import Backend, Edge, EdgeArgs
from components.gateway_api import GatewayApi, GatewayApiArgs
from mlops.config.model import StackConfig, exposed_routes
from mlops.edge.policy import Identity
from mlops.edge.routes import route_hostname
from mlops.plan.runner import capture
from tests.components.helpers import named, of_type, schema_errors

EDGE_NS = "envoy-gateway-system"
BACKENDS = {
    "mlflow": Backend("mlflow", "mlflow", 5000),
    "grafana": Backend("monitoring", "kube-prometheus-stack-grafana", 80),
}


def declare(config: StackConfig, **overrides) -> list:
    identities = {
        name: Identity(
            name,
            machine.issuer,
            machine.jwks_uri or "https://k/keys",
            machine.audiences,
            machine.subjects,
        )
        for name, machine in config.edge.machines.items()
    }
    args = EdgeArgs(
        exposure=config.exposure,
        auth=config.auth,
        edge=config.edge,
        groups=config.access.groups,
        hosts={route: route_hostname(config, route) for route in exposed_routes(config)},
        backends=overrides.pop("backends", BACKENDS),
        identities=identities,
        replicas=config.replicas.gateway,
        oidc_client_secret=pulumi.Output.secret("client-secret"),
        **overrides,
    )
    return capture(config.environment, lambda: Edge("edge", args))


def spec(resources: list, name: str) -> dict:
    return named(resources, name).inputs["spec"]


def test_one_listener_per_exposed_host_with_its_own_certificate(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    gateway = named(resources, "gateway-platform").inputs
    assert gateway["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "platform-issuer"
    }
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert set(listeners) == {
        "mlflow", "kubeflow-pipelines", "grafana", "argo-cd", "governance", "inference", "http"
    }  # fmt: skip
    mlflow = listeners["mlflow"]
    assert (mlflow["hostname"], mlflow["protocol"], mlflow["port"]) == (
        prod.exposure.hosts.mlflow,
        "HTTPS",
        443,
    )
    assert mlflow["tls"]["certificateRefs"] == [
        {"kind": "Secret", "name": "mlflow-mlops-example-com-tls"}
    ]
    assert mlflow["allowedRoutes"]["namespaces"] == {"from": "Same"}
    inference = listeners["inference"]
    assert inference["hostname"] == "*.models.mlops.example.com"
    selector = inference["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]
    assert selector["values"] == [EDGE_NS, "models"]  # KServe writes its routes into models
    assert listeners["http"]["protocol"] == "HTTP"
    redirect = spec(resources, "httproute-https-redirect")
    assert redirect["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"
    assert named(resources, "platform-issuer").inputs["spec"] == {"selfSigned": {}}


def test_local_on_kind_uses_plain_http_and_a_node_port(stack_configs):
    local = stack_configs["local"]
    resources = declare(local)
    listeners = spec(resources, "gateway-platform")["listeners"]
    assert {(entry["protocol"], entry["port"]) for entry in listeners} == {("HTTP", 80)}
    assert "http" not in {entry["name"] for entry in listeners}
    assert [r for r in resources if r.name in ("platform-issuer", "httproute-https-redirect")] == []
    service = spec(resources, "envoyproxy-platform-proxy")["provider"]["kubernetes"]["envoyService"]
    assert service == {"name": "platform-gateway", "type": "NodePort"}  # no cloud annotations


def test_the_proxies_load_balancer_follows_the_stack(stack_configs):
    for stack, scheme in (("dev", "internet-facing"), ("prod", "internal")):
        proxy = spec(declare(stack_configs[stack]), "envoyproxy-platform-proxy")
        kubernetes = proxy["provider"]["kubernetes"]
        service = kubernetes["envoyService"]
        assert service["type"] == "LoadBalancer"
        assert (
            service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == scheme
        )
        internal = service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-internal"]
        assert internal == str(scheme == "internal").lower()
        replicas = stack_configs[stack].replicas.gateway
        assert kubernetes["envoyDeployment"]["replicas"] == replicas
        assert ("envoyPDB" in kubernetes) == (replicas >= 2)
    gateway_class = spec(declare(stack_configs["prod"]), "gatewayclass-platform")
    assert gateway_class["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"
    assert gateway_class["parametersRef"]["name"] == "platform-proxy"


def test_each_route_reaches_only_its_service_and_carries_its_policy(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    route = spec(resources, "httproute-mlflow")
    assert route["hostnames"] == [prod.exposure.hosts.mlflow]
    assert route["parentRefs"] == [
        {"name": "platform", "namespace": EDGE_NS, "sectionName": "mlflow"}
    ]
    assert route["rules"][0]["backendRefs"] == [
        {"name": "mlflow", "namespace": "mlflow", "port": 5000}
    ]
    grant = named(resources, "referencegrant-mlflow").inputs
    assert grant["metadata"]["namespace"] == "mlflow"
    assert grant["spec"]["to"] == [{"group": "", "kind": "Service", "name": "mlflow"}]
    assert grant["spec"]["from"][0]["namespace"] == EDGE_NS
    policy = spec(resources, "securitypolicy-mlflow")
    assert policy["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "mlflow"}
    ]
    assert policy["authorization"]["defaultAction"] == "Deny"
    assert policy["oidc"]["redirectURL"] == f"https://{prod.exposure.hosts.mlflow}/oauth2/callback"
    assert policy["oidc"]["clientSecret"] == {"name": "gateway-oidc"}
    inference = spec(resources, "securitypolicy-inference")
    assert inference["targetRefs"][0]["kind"] == "Gateway"
    assert inference["targetRefs"][0]["sectionName"] == "inference"
    assert "oidc" not in inference
    # routes the platform does not write (KServe's) still get their listener's policy
    assert [r for r in resources if r.name == "httproute-inference"] == []


def test_prometheus_scrapes_every_proxy(stack_configs):
    monitor = spec(declare(stack_configs["prod"]), "envoy-proxies")
    assert monitor["selector"]["matchLabels"] == {
        "gateway.envoyproxy.io/owning-gateway-name": "platform"
    }
    assert monitor["podMetricsEndpoints"] == [{"port": "metrics", "path": "/stats/prometheus"}]


def test_the_client_secret_stays_a_secret(stack_configs):
    secret = named(declare(stack_configs["dev"]), "gateway-oidc").inputs
    assert secret["metadata"]["namespace"] == EDGE_NS
    assert secret["stringData"] == {"client-secret": "[secret]"}


def test_acme_solves_through_the_gateway(stack_configs):
    issuer = named(
        declare(stack_configs["prod"], acme_email="platform@example.com"), "platform-issuer"
    )
    solver = issuer.inputs["spec"]["acme"]["solvers"][0]["http01"]["gatewayHTTPRoute"]
    assert solver["parentRefs"] == [
        {"name": "platform", "namespace": EDGE_NS, "sectionName": "http"}
    ]


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "prod"):
        assert schema_errors(declare(stack_configs[stack])) == []


def test_gateway_api_crds_are_the_standard_channel_and_the_controller_installs_none(stack_configs):
    prod = stack_configs["prod"]
    resources = capture(
        "prod",
        lambda: GatewayApi("gateway-api", GatewayApiArgs(prod.charts, prod.replicas.gateway)),
    )
    releases = {r.name: r.inputs for r in of_type(resources, "kubernetes:helm.sh/v3:Release")}
    crds, controller = releases["gateway-crds"], releases["envoy-gateway"]
    assert crds["version"] == prod.charts.gateway_crds.version
    assert crds["values"]["crds"]["gatewayAPI"] == {"enabled": True, "channel": "standard"}
    assert controller["version"] == prod.charts.envoy_gateway.version
    assert controller["values"]["crds"] == {"enabled": False}
    assert controller["values"]["deployment"]["replicas"] == 3
    assert controller["values"]["podDisruptionBudget"] == {"minAvailable": 1}
    assert {crds["namespace"], controller["namespace"]} == {EDGE_NS}
