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
CONFIG = {REGISTRY: {"allowedRegistries": [b.ECR, "ghcr.io/example-org"]}}
APP = {"matchLabels": {"app": "web"}}


def kserve_patch(replicas: Any) -> PlannedResource:
    spec = {} if replicas is None else {"replicas": replicas}
    return resource(
        "kubernetes:apps/v1:DeploymentPatch",
        "kserve-controller-replicas",
        {"metadata": {"name": "kserve-controller-manager", "namespace": "kserve"}, "spec": spec},
    )


Case = tuple[str, Callable[[], list[PlannedResource]], set[str]]
CASES: list[Case] = [
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
        lambda: [b.pod(b.container(image="seldonio/mlserver:1.5.0"), namespace="kubeflow")],
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
    assert flagged == set(production.specs) == {PRIVATE, DELETION, REGISTRY, REPLICAS, BUDGET, DENY}


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
