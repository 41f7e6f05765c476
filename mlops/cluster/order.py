"""The order in which `pulumi up` would create a plan's Kubernetes objects.

Pulumi creates a resource once everything it depends on exists, and creates independent
resources at the same time, in no promised order. So the objects are grouped into waves (a
wave holds what depends only on earlier waves). Inside a wave Namespaces and CRDs go first:
pulumi-kubernetes retries an object whose Namespace or kind does not exist yet until it does,
so an undeclared dependency on them is not an error of the plan. A dependency on a component
resource means its children; one on anything that is not a Kubernetes object (a Helm release,
an AWS resource) counts as met. Helm releases are not installed here; their CRDs come from the
vendored upstream definitions.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from mlops.plan.capture import PlannedResource
from mlops.preflight.declared import is_kubernetes_object, is_patch, manifest_of

FIRST_IN_WAVE = frozenset({"Namespace", "CustomResourceDefinition"})


def waves(resources: list[PlannedResource]) -> list[list[PlannedResource]]:
    objects = {r.urn: r for r in resources if is_kubernetes_object(r)}
    children: dict[str, list[str]] = defaultdict(list)
    for resource in resources:
        children[resource.parent_urn].append(resource.urn)
    custom = {r.urn for r in resources if r.custom}

    @cache
    def objects_of(urn: str) -> frozenset[str]:
        if urn in objects:
            return frozenset({urn})
        if urn in custom:
            return frozenset()
        return frozenset().union(*(objects_of(child) for child in children[urn]))

    @cache
    def level(urn: str) -> int:
        needs = frozenset().union(*(objects_of(d) for d in objects[urn].dependencies)) - {urn}
        return 1 + max((level(d) for d in needs), default=-1)

    grouped: dict[int, list[PlannedResource]] = defaultdict(list)
    for urn, resource in objects.items():
        grouped[level(urn)].append(resource)
    return [
        sorted(grouped[index], key=lambda r: manifest_of(r)["kind"] not in FIRST_IN_WAVE)
        for index in sorted(grouped)
    ]


def manifest(resource: PlannedResource) -> dict[str, Any]:
    """The object as Pulumi sends it; an unnamed one gets its logical name (Pulumi would add a
    random suffix)."""
    obj = manifest_of(resource)
    metadata = dict(obj.get("metadata") or {})
    metadata.setdefault("name", resource.name)
    return {**obj, "metadata": metadata}


def patch_targets_missing(resource: PlannedResource, declared: set[tuple[str, str, str]]) -> bool:
    """A `...Patch` of an object the plan does not declare (a Helm release creates it)."""
    if not is_patch(resource):
        return False
    obj = manifest(resource)
    metadata = obj["metadata"]
    return (obj["kind"], metadata.get("namespace", ""), metadata["name"]) not in declared
