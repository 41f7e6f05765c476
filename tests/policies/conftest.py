"""Shared fixtures: the two packs running as Pulumi runs them (once per session), and helpers
that put hand-built resources through them.

A rule test builds a resource (type token and inputs, as the Pulumi engine sends them) and asks
the running pack to analyze it: the pack's pulumi-policy server builds the
`ResourceValidationArgs` (or `StackValidationArgs`) and calls the rule's `validate`, exactly as in
`pulumi preview --policy-pack`.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from mlops.config.loader import load_stack, stack_file
from mlops.plan.capture import PlannedResource
from mlops.policy.analyzer import PackAnalyzer
from mlops.policy.config import PolicySetting
from mlops.policy.engine import PolicyEngine, Target
from mlops.policy.packs import Pack, discover
from mlops.policy.plans import planned_resources
from mlops.policy.result import StackResult
from mlops.policy.wire import analyze_requests, analyze_stack_request
from tests.conftest import REPO, STACK_NAMES, STACKS_DIR

POLICIES_DIR = REPO / "policies"


def pack(name: str) -> Pack:
    found = {p.name: p for p in discover(POLICIES_DIR)}
    return found[name]


def require_venv(name: str) -> Pack:
    candidate = pack(name)
    if not candidate.python.is_file():
        pytest.skip(f"{candidate.python} missing: run ./scripts/setup to create the pack's venv")
    return candidate


class RunningPack:
    """A pack under test: analyze hand-built resources with chosen policy settings."""

    def __init__(self, analyzer: PackAnalyzer) -> None:
        self.analyzer = analyzer
        self.specs = {spec.name: spec for spec in analyzer.policies()}

    def violations(
        self, resources: list[PlannedResource], config: dict[str, dict[str, Any]] | None = None
    ) -> list[tuple[str, str, str]]:
        """(rule, resource name, message) of every diagnostic, with each policy at its default
        enforcement and schema defaults, overlaid by `config`."""
        settings = {}
        for name, spec in self.specs.items():
            properties = {k: s["default"] for k, s in spec.schema.items() if "default" in s}
            properties.update((config or {}).get(name, {}))
            settings[name] = PolicySetting(spec.enforcement, properties)
        self.analyzer.configure(settings)
        names = {resource.urn: resource.name for resource in resources}
        found = self.analyzer.submit(
            analyze_requests(resources), analyze_stack_request(resources)
        )()
        return [(d.policyName, names.get(urn, ""), d.message) for urn, d in found]

    def rules_hit(self, resources: list[PlannedResource], **config: Any) -> set[str]:
        return {rule for rule, _, _ in self.violations(resources, config or None)}


def resource(type_token: str, name: str, inputs: dict[str, Any]) -> PlannedResource:
    return PlannedResource(
        type=type_token,
        name=name,
        parent=None,
        inputs=inputs,
        custom=True,
        urn=f"urn:pulumi:test::mlops-platform::{type_token}::{name}",
    )


@pytest.fixture(scope="session")
def baseline() -> Iterator[RunningPack]:
    with PackAnalyzer(require_venv("baseline")) as analyzer:
        yield RunningPack(analyzer)


@pytest.fixture(scope="session")
def production() -> Iterator[RunningPack]:
    with PackAnalyzer(require_venv("production")) as analyzer:
        yield RunningPack(analyzer)


FIXTURES = REPO / "tests" / "policies" / "fixtures"
BAD_STACKS = FIXTURES / "stacks"
BAD_PROGRAM = FIXTURES / "bad_program.py"
# The bad fixture is a dev stack: the platform reads the Argo CD bootstrap of the stack by name.
BAD_STACK = "dev"
EXPECTED_BAD = {
    ("aws-eks-cluster-restrict-public-endpoint", "cluster"),
    ("aws-eks-nodegroup-require-gpu-taint", "cluster-system"),
    ("aws-s3-bucket-disallow-public-access", "team-scratch"),
    ("kubernetes-pod-disallow-privileged", "debug-shell"),
}


@pytest.fixture(scope="session")
def stack_results() -> dict[str, StackResult]:
    """Every repository stack and the bad fixture, planned once and checked by both packs."""
    require_venv("baseline")
    require_venv("production")
    targets = {
        name: Target(name, load_stack(STACKS_DIR, name), stack_file(STACKS_DIR, name))
        for name in STACK_NAMES
    }
    bad = Target(BAD_STACK, load_stack(BAD_STACKS, BAD_STACK), stack_file(BAD_STACKS, BAD_STACK))
    with PolicyEngine([*targets.values(), bad], POLICIES_DIR) as engine:
        planned = planned_resources({n: t.config for n, t in targets.items()}, None)
        results = {name: engine.check(targets[name], resources) for name, resources in planned}
        ((_, bad_resources),) = planned_resources({BAD_STACK: bad.config}, BAD_PROGRAM)
        results["bad"] = engine.check(bad, bad_resources)
    return results
