"""The installs a stack's Pulumi program declares, read from its offline plan: every Helm
release with the exact values it passes, every kustomize tree, what each waits for, and the
Pod Security level each namespace enforces."""

from dataclasses import dataclass, field
from typing import Any

from mlops.plan.capture import PlannedResource
from mlops.plan.runner import Plan

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
KUSTOMIZE_DIRECTORY = "kubernetes:kustomize/v2:Directory"
NAMESPACE = "kubernetes:core/v1:Namespace"
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"


@dataclass(frozen=True)
class HelmInstall:
    """One `helm.v3.Release`: the chart at its pinned version and the values as passed."""

    name: str
    chart: str  # the chart's name (the last part of an OCI reference)
    version: str
    repository: str  # a Helm repository URL or an OCI registry path
    namespace: str
    values: dict[str, Any]
    urn: str = field(compare=False)


@dataclass(frozen=True)
class KustomizeInstall:
    """One `kustomize.v2.Directory`: a remote tree (`<repo>//<path>?ref=<tag>`)."""

    name: str
    url: str
    namespace: str
    urn: str = field(compare=False)
    parent_urn: str = field(compare=False)


Install = HelmInstall | KustomizeInstall


@dataclass(frozen=True)
class StackInstalls:
    """Everything preflight needs from one plan."""

    stack: str
    installs: list[Install]
    enforce_levels: dict[str, str]  # namespace -> Pod Security enforce level
    resources: list[PlannedResource]
    _needs: dict[str, frozenset[str]] = field(repr=False)  # urn -> urns it waits for

    def waits_for(self, urn: str, other_urn: str) -> bool:
        """True when the resource `urn` is created only after `other_urn` (directly or through
        what it waits for)."""
        return other_urn in self._needs.get(urn, frozenset())

    def install_of(self, urn: str) -> Install | None:
        return next((i for i in self.installs if i.urn == urn), None)


def read_installs(plan: Plan) -> StackInstalls:
    installs: list[Install] = []
    levels: dict[str, str] = {}
    for resource in plan.resources:
        if resource.type == HELM_RELEASE:
            installs.append(_helm(resource))
        elif resource.type == KUSTOMIZE_DIRECTORY:
            installs.append(
                KustomizeInstall(
                    name=resource.name,
                    url=resource.inputs["directory"],
                    namespace=resource.inputs.get("namespace", "default"),
                    urn=resource.urn,
                    parent_urn=resource.parent_urn,
                )
            )
        elif resource.type == NAMESPACE:
            metadata = resource.inputs.get("metadata") or {}
            level = (metadata.get("labels") or {}).get(ENFORCE_LABEL, "privileged")
            levels[metadata.get("name", resource.name)] = level
    return StackInstalls(plan.stack, installs, levels, plan.resources, _closure(plan.resources))


def _helm(resource: PlannedResource) -> HelmInstall:
    inputs = resource.inputs
    chart = inputs["chart"]
    if chart.startswith("oci://"):
        repository, _, chart = chart.rpartition("/")
    else:
        repository = (inputs.get("repositoryOpts") or {}).get("repo", "")
    return HelmInstall(
        name=inputs.get("name", resource.name),
        chart=chart,
        version=inputs["version"],
        repository=repository,
        namespace=inputs.get("namespace", "default"),
        values=integral_numbers(inputs.get("values") or {}),
        urn=resource.urn,
    )


def integral_numbers(value: Any) -> Any:
    """Pulumi carries every number as a float; Helm reads `3` from YAML as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: integral_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_numbers(item) for item in value]
    return value


def _closure(resources: list[PlannedResource]) -> dict[str, frozenset[str]]:
    """What each resource waits for, transitively: its own `dependencies` and its ancestors'.
    The SDK registers a child only once its parent's URN is known, and the parent is registered
    only after its own dependencies are created, so a component's `depends_on` holds back
    everything declared inside it."""
    by_urn = {r.urn: r for r in resources}
    direct: dict[str, set[str]] = {}
    for resource in resources:
        waits: set[str] = set()
        node: PlannedResource | None = resource
        while node is not None:
            waits |= set(node.dependencies)
            node = by_urn.get(node.parent_urn)
        direct[resource.urn] = waits
    done: dict[str, frozenset[str]] = {}

    def visit(urn: str, path: frozenset[str]) -> frozenset[str]:
        if urn in done:
            return done[urn]
        result: set[str] = set()
        for other in direct.get(urn, ()):
            result.add(other)
            if other not in path:
                result |= visit(other, path | {other})
        done[urn] = frozenset(result)
        return done[urn]

    for urn in direct:
        visit(urn, frozenset({urn}))
    return done
