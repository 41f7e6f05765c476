"""What `mlops plan --stack prod --json` promises for the edge: a Gateway, one HTTPRoute per
exposed service with an authentication policy on each, and no ingress-nginx anywhere."""

import json

from mlops.config.model import exposed_routes
from mlops.edge.routes import ROUTES
from tests.conftest import STACK_NAMES

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"


def test_prod_plan_holds_a_gateway_and_an_authenticated_route_per_service(mlops, stack_configs):
    code, out, _ = mlops("plan", "--stack", "prod", "--json")
    assert code == 0
    resources = json.loads(out)["resources"]
    of = lambda kind: [r["inputs"] for r in resources if r["type"] == kind]  # noqa: E731
    (gateway,) = of(GATEWAY)
    listeners = {listener["name"] for listener in gateway["spec"]["listeners"]}
    routes = {route["metadata"]["name"]: route for route in of(HTTP_ROUTE)}
    policies = of(SECURITY_POLICY)
    exposed = [ROUTES[name].resource_name for name in exposed_routes(stack_configs["prod"])]
    assert set(exposed) <= listeners
    assert {
        name for name, route in routes.items() if route["spec"]["rules"][0].get("backendRefs")
    } == set(exposed)
    for name in exposed:
        parents = routes[name]["spec"]["parentRefs"]
        guarding = [
            policy
            for policy in policies
            for target in policy["spec"]["targetRefs"]
            if (target["kind"], target["name"]) == ("HTTPRoute", name)
            or (target["kind"], target.get("sectionName")) == ("Gateway", parents[0]["sectionName"])
        ]
        assert len(guarding) == 1, name
        (policy,) = guarding
        assert policy["spec"]["jwt"]["providers"], name
        assert policy["spec"]["authorization"]["defaultAction"] == "Deny", name


def test_no_stack_installs_ingress_nginx_or_oauth2_proxy(edge_plans):
    for stack in STACK_NAMES:
        charts = {r.inputs["chart"] for r in edge_plans[stack].of_type(RELEASE)}
        assert not {
            chart for chart in charts if "ingress-nginx" in chart or "oauth2-proxy" in chart
        }
        assert edge_plans[stack].of_type("kubernetes:networking.k8s.io/v1:Ingress") == []
