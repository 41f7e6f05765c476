"""The production pack (int and prod): every rule passes a compliant resource and flags the one
mistake it exists for, through the pack's own analyzer."""

from collections.abc import Callable
from typing import Any

import pytest

from mlops.plan.capture import PlannedResource
from tests.policies import builders as b
from tests.policies.conftest import RunningPack, resource

PRIVATE = "aws-eks-cluster-disallow-public-endpoint"
DELETION = "aws-rds-instance-require-deletion-protection"
REGISTRY = "kubernetes-pod-require-allowed-registry"
REPLICAS = "kubernetes-deployment-require-replicas"
BUDGET = "kubernetes-deployment-require-disruption-budget"
DENY = "kubernetes-namespace-require-default-deny"
ROUTE_AUTH = "kubernetes-route-require-authentication"
GW = "gateway.networking.k8s.io"
EDGE_NS = "envoy-gateway-system"
CONFIG = {REGISTRY: {"allowedRegistries": [b.ECR, "ghcr.io/example-org"]}}
APP = {"matchLabels": {"app": "web"}}


def kserve_patch(replicas: Any) -> PlannedResource:
    spec = {} if replicas is None else {"replicas": replicas}
    return resource(
        "kubernetes:apps/v1:DeploymentPatch",
        "kserve-controller-replicas",
        {"metadata": {"name": "kserve-controller-manager", "namespace": "kserve"}, "spec": spec},
    )


def route(
    name: str = "mlflow", section: str | None = "mlflow", forwards: bool = True, **meta: Any
) -> PlannedResource:
    parent = {"name": "platform", "namespace": EDGE_NS}
    if section:
        parent["sectionName"] = section
    rule: dict[str, Any] = (
        {"backendRefs": [{"name": name, "namespace": name, "port": 80}]}
        if forwards
        else {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}
    )
    return resource(
        f"kubernetes:{GW}/v1:HTTPRoute",
        f"httproute-{name}",
        {
            "metadata": {"name": name, "namespace": EDGE_NS, **meta},
            "spec": {"parentRefs": [parent], "rules": [rule]},
        },
    )


JWT = {
    "providers": [
        {
            "name": "people",
            "issuer": "https://login.example.com",
            "remoteJWKS": {"uri": "https://login.example.com/certs"},
        }
    ]
}


def security_policy(target: dict[str, Any], name: str = "policy", **spec: Any) -> PlannedResource:
    return resource(
        "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
        f"securitypolicy-{name}",
        {
            "metadata": {"name": name, "namespace": EDGE_NS},
            "spec": {"targetRefs": [target], **spec},
        },
    )


def on_route(name: str = "mlflow") -> dict[str, Any]:
    return {"group": GW, "kind": "HTTPRoute", "name": name}


def on_gateway(section: str | None = None) -> dict[str, Any]:
    target = {"group": GW, "kind": "Gateway", "name": "platform"}
    return {**target, "sectionName": section} if section else target


Case = tuple[str, Callable[[], list[PlannedResource]], set[str]]
CASES: list[Case] = [
    # gateway routes
    ("route with a JWT policy", lambda: [route(), security_policy(on_route(), jwt=JWT)], set()),
    ("route without a policy", lambda: [route()], {ROUTE_AUTH}),
    (
        "route whose policy only sets CORS",
        lambda: [route(), security_policy(on_route(), cors={"allowOrigins": ["*"]})],
        {ROUTE_AUTH},
    ),
    (
        "an optional JWT authenticates no one",
        lambda: [route(), security_policy(on_route(), jwt={**JWT, "optional": True})],
        {ROUTE_AUTH},
    ),
    (
        "OIDC that passes any Authorization header through, with no JWT to check it",
        lambda: [route(), security_policy(on_route(), oidc={"passThroughAuthHeader": True})],
        {ROUTE_AUTH},
    ),
    ("OIDC sign-in", lambda: [route(), security_policy(on_route(), oidc={"clientID": "x"})], set()),
    (
        "policy on the route's listener",
        lambda: [route(section="inference"), security_policy(on_gateway("inference"), jwt=JWT)],
        set(),
    ),
    (
        "policy on another listener",
        lambda: [route(section="mlflow"), security_policy(on_gateway("inference"), jwt=JWT)],
        {ROUTE_AUTH},
    ),
    (
        "policy on the whole gateway",
        lambda: [route(), security_policy(on_gateway(), jwt=JWT)],
        set(),
    ),
    (
        "a route's own policy without authentication overrides the gateway's",
        lambda: [
            route(),
            security_policy(on_gateway(), name="gw", jwt=JWT),
            security_policy(on_route(), name="own", cors={"allowOrigins": ["*"]}),
        ],
        {ROUTE_AUTH},
    ),
    (
        "policy of another route",
        lambda: [route(), security_policy(on_route("grafana"), jwt=JWT)],
        {ROUTE_AUTH},
    ),
    (
        "a redirect forwards nothing",
        lambda: [route("https-redirect", section="http", forwards=False)],
        set(),
    ),
    (
        "policy selecting the route by label",
        lambda: [
            route(labels={"edge": "guarded"}),
            resource(
                "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
                "selector",
                {
                    "metadata": {"name": "selector", "namespace": EDGE_NS},
                    "spec": {
                        "targetSelectors": [
                            {"kind": "HTTPRoute", "matchLabels": {"edge": "guarded"}}
                        ],
                        "jwt": JWT,
                    },
                },
            ),
        ],
        set(),
    ),
    ("private endpoint", lambda: [b.eks()], set()),
    (
        "public endpoint even if restricted",
        lambda: [
            b.eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})
        ],
        {PRIVATE},
    ),
    ("no private access", lambda: [b.eks(vpcConfig={"endpointPrivateAccess": False})], {PRIVATE}),
    ("protected database", lambda: [b.rds()], set()),
    ("unprotected database", lambda: [b.rds(deletionProtection=False)], {DELETION}),
    ("database without final snapshot", lambda: [b.rds(skipFinalSnapshot=True)], {DELETION}),
    ("image from ECR", lambda: [b.pod(namespace="kubeflow")], set()),
    (
        "image under an allowed repository prefix",
        lambda: [b.pod(b.container(image="ghcr.io/example-org/tool:1.0"), namespace="kubeflow")],
        set(),
    ),
    (
        "image from Docker Hub",
        lambda: [b.pod(b.container(image="docker.io/library/python:3.11"), namespace="kubeflow")],
        {REGISTRY},
    ),
    (
        "lookalike registry host",
        lambda: [b.pod(b.container(image=f"{b.ECR}.evil.io/x:1"), namespace="kubeflow")],
        {REGISTRY},
    ),
    (
        "helm image from another registry",
        lambda: [
            b.helm({"image": {"registry": "docker.io", "repository": "bitnami/pg", "tag": "16"}})
        ],
        {REGISTRY},
    ),
    ("two serving replicas with a budget", lambda: [b.deployment(2), b.pdb(APP)], set()),
    ("one serving replica", lambda: [b.deployment(1), b.pdb(APP)], {REPLICAS}),
    ("replicas unset means one", lambda: [b.deployment(None), b.pdb(APP)], {REPLICAS}),
    ("one replica outside serving", lambda: [b.deployment(1, namespace="kubeflow")], set()),
    ("serving without a budget", lambda: [b.deployment(2)], {BUDGET}),
    (
        "budget selecting other pods",
        lambda: [b.deployment(2), b.pdb({"matchLabels": {"app": "other"}})],
        {BUDGET},
    ),
    (
        "budget in another namespace",
        lambda: [b.deployment(2), b.pdb(APP, namespace="kserve")],
        {BUDGET},
    ),
    (
        "budget by expression",
        lambda: [
            b.deployment(2),
            b.pdb({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["serving"]}]}),
        ],
        set(),
    ),
    (
        "patched chart deployment with a budget of its name",
        lambda: [
            kserve_patch(2),
            b.pdb(
                {"matchLabels": {"control-plane": "x"}},
                namespace="kserve",
                name="kserve-controller-manager",
            ),
        ],
        set(),
    ),
    ("patched chart deployment scaled to one", lambda: [kserve_patch(1)], {REPLICAS, BUDGET}),
    ("patch leaving replicas alone", lambda: [kserve_patch(None)], set()),
    (
        "namespace with default deny",
        lambda: [b.namespace("models"), b.network_policy("models", b.DEFAULT_DENY)],
        set(),
    ),
    ("namespace without network policy", lambda: [b.namespace("models")], {DENY}),
    (
        "ingress-only default deny",
        lambda: [
            b.namespace("models"),
            b.network_policy("models", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        ],
        {DENY},
    ),
    (
        "an allow rule is not a default deny",
        lambda: [
            b.namespace("models"),
            b.network_policy(
                "models", {**b.DEFAULT_DENY, "ingress": [{"from": [{"podSelector": {}}]}]}
            ),
        ],
        {DENY},
    ),
    (
        "default deny of another namespace",
        lambda: [b.namespace("models"), b.network_policy("kserve", b.DEFAULT_DENY)],
        {DENY},
    ),
]


@pytest.mark.parametrize(
    ("resources", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(
    production: RunningPack, resources: Callable[[], list[PlannedResource]], expected: set[str]
) -> None:
    assert production.rules_hit(resources(), **CONFIG) == expected


def test_every_production_rule_has_a_failing_case(production: RunningPack) -> None:
    flagged = set().union(*(expected for _, _, expected in CASES))
    assert (
        flagged
        == set(production.specs)
        == {PRIVATE, DELETION, REGISTRY, REPLICAS, BUDGET, DENY, ROUTE_AUTH}
    )


def test_thresholds_come_from_config(production: RunningPack) -> None:
    one = [b.deployment(1), b.pdb(APP)]
    assert production.rules_hit(one, **CONFIG, **{REPLICAS: {"minReplicas": 1}}) == set()
    three = {REPLICAS: {"minReplicas": 3, "namespaces": ["kubeflow"]}}
    assert production.rules_hit([b.deployment(2, namespace="kubeflow")], **CONFIG, **three) == {
        REPLICAS
    }


def test_no_allowed_registry_configured_flags_every_image(production: RunningPack) -> None:
    found = production.violations([b.pod()])
    assert [(rule, name) for rule, name, _ in found] == [(REGISTRY, "pod")]
    assert "none configured" in found[0][2]
