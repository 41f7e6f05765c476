"""Gateway API routes and the Envoy Gateway SecurityPolicies that guard them, as declared.

Which policy applies to a route follows Envoy Gateway's precedence: a policy attached to the
route itself wins over one attached to the route's Gateway listener (`sectionName`), which wins
over one attached to the whole Gateway. A route is authenticated when the policy that applies
requires a verified credential: a JWT that is neither optional nor fail-open, OIDC sign-in whose
pass-through header is then verified by such a JWT, basic auth, an API key, or external auth.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_policy_kit.values import as_bool, as_list, dig, is_mapping

GATEWAY_GROUP = "gateway.networking.k8s.io"
ROUTE_TYPES = {
    f"kubernetes:{GATEWAY_GROUP}/v1:HTTPRoute": "HTTPRoute",
    f"kubernetes:{GATEWAY_GROUP}/v1:GRPCRoute": "GRPCRoute",
}
SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"


@dataclass(frozen=True)
class Target:
    kind: str
    namespace: str
    name: str
    section: str | None = None


@dataclass(frozen=True)
class Policy:
    namespace: str
    name: str
    targets: tuple[Target, ...]
    selectors: tuple[Mapping[str, str], ...]  # targetSelectors' matchLabels (routes)
    authenticated: bool


def authenticates(spec: Mapping[str, Any]) -> bool:
    """Whether a SecurityPolicy spec lets only verified callers through."""
    jwt = dig(spec, "jwt", default={})
    verified_jwt = (
        is_mapping(jwt)
        and bool(as_list(jwt.get("providers")))
        and as_bool(jwt.get("optional")) is not True
        and as_bool(jwt.get("failOpen")) is not True
    )
    if verified_jwt:
        return True
    oidc = dig(spec, "oidc")
    if is_mapping(oidc) and as_bool(oidc.get("passThroughAuthHeader")) is not True:
        return True
    return any(is_mapping(dig(spec, key)) for key in ("basicAuth", "apiKeyAuth", "extAuth"))


def security_policies(resources: Iterable[Any]) -> list[Policy]:
    policies = []
    for resource in resources:
        if resource.resource_type != SECURITY_POLICY:
            continue
        namespace = dig(resource.props, "metadata", "namespace", default="default")
        spec = dig(resource.props, "spec", default={})
        targets = tuple(
            Target(
                str(ref.get("kind")),
                namespace,
                str(ref.get("name")),
                ref.get("sectionName"),
            )
            for ref in [*as_list(spec.get("targetRefs")), *as_list([spec.get("targetRef")])]
            if is_mapping(ref)
        )
        selectors = tuple(
            dict(dig(selector, "matchLabels", default={}))
            for selector in as_list(spec.get("targetSelectors"))
            if is_mapping(selector)
        )
        name = str(dig(resource.props, "metadata", "name", default="?"))
        policies.append(Policy(namespace, name, targets, selectors, authenticates(spec)))
    return policies


@dataclass(frozen=True)
class Route:
    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str]
    parents: tuple[Target, ...]
    forwards: bool  # some rule sends requests to a backend (a redirect-only route does not)
    urn: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


def routes(resources: Iterable[Any]) -> list[Route]:
    found = []
    for resource in resources:
        kind = ROUTE_TYPES.get(resource.resource_type)
        if kind is None:
            continue
        props = resource.props
        namespace = dig(props, "metadata", "namespace", default="default")
        spec = dig(props, "spec", default={})
        parents = tuple(
            Target(
                str(ref.get("kind", "Gateway")),
                str(ref.get("namespace", namespace)),
                str(ref.get("name")),
                ref.get("sectionName"),
            )
            for ref in as_list(spec.get("parentRefs"))
            if is_mapping(ref)
        )
        forwards = any(as_list(dig(rule, "backendRefs")) for rule in as_list(spec.get("rules")))
        labels = dig(props, "metadata", "labels", default={}) or {}
        name = str(dig(props, "metadata", "name", default="?"))
        urn = getattr(resource, "urn", None)
        found.append(Route(kind, namespace, name, labels, parents, forwards, urn))
    return found


def _applies(route: Route, policies: list[Policy]) -> list[Policy]:
    """The policies attached to the route itself (by name or by label selector)."""
    return [
        policy
        for policy in policies
        if policy.namespace == route.namespace
        and (
            any((target.kind, target.name) == (route.kind, route.name) for target in policy.targets)
            or any(
                selector and all(route.labels.get(k) == v for k, v in selector.items())
                for selector in policy.selectors
            )
        )
    ]


def _parent_policy(parent: Target, policies: list[Policy]) -> Policy | None:
    """The policy that applies to one listener (or the whole Gateway) a route attaches to."""
    if parent.kind != "Gateway":
        return None
    candidates = [p for p in policies if p.namespace == parent.namespace]
    if parent.section is not None:
        listener = Target("Gateway", parent.namespace, parent.name, parent.section)
        for policy in candidates:
            if listener in policy.targets:
                return policy
    whole = Target("Gateway", parent.namespace, parent.name)
    return next((p for p in candidates if whole in p.targets), None)


def unauthenticated_routes(resources: list[Any]) -> list[tuple[Route, str]]:
    """Every route that forwards to a backend without authentication, and why."""
    policies = security_policies(resources)
    problems = []
    for route in routes(resources):
        if not route.forwards:
            continue
        own = _applies(route, policies)
        if own:
            if not any(policy.authenticated for policy in own):
                names = ", ".join(policy.name for policy in own)
                problems.append((route, f"its SecurityPolicy {names} authenticates no one"))
            continue
        if not route.parents:
            problems.append((route, "it has no parent Gateway and no SecurityPolicy"))
            continue
        for parent in route.parents:
            policy = _parent_policy(parent, policies)
            where = f"{parent.namespace}/{parent.name}" + (
                f" listener {parent.section}" if parent.section else ""
            )
            if policy is None:
                problems.append((route, f"no SecurityPolicy targets it or Gateway {where}"))
                break
            if not policy.authenticated:
                problems.append(
                    (route, f"SecurityPolicy {policy.name} on Gateway {where} authenticates no one")
                )
                break
    return problems
