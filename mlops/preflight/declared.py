"""The Kubernetes objects a Pulumi plan declares, as the manifests they apply (preflight checks them beside the rendered charts)."""

from typing import Any

from mlops.plan.capture import PlannedResource

KUBERNETES_PREFIX = "kubernetes:"
NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:kustomize", "kubernetes:yaml")


def is_kubernetes_object(resource: PlannedResource) -> bool:
    """True for resources that are one Kubernetes object (not Helm releases, providers, trees)."""
    return (
        resource.custom
        and resource.type.startswith(KUBERNETES_PREFIX)
        and not resource.type.startswith(NOT_OBJECTS)
    )


def is_patch(resource: PlannedResource) -> bool:
    """Server-side-apply patches (`...Patch` types) are partial objects by design."""
    return resource.type.endswith("Patch")


def manifest_of(resource: PlannedResource) -> dict[str, Any]:
    """The object Pulumi would send to the API server (apiVersion and kind from the type token)."""
    manifest = dict(resource.inputs)
    if "apiVersion" not in manifest or "kind" not in manifest:
        group_version, kind = resource.type.removeprefix(KUBERNETES_PREFIX).split(":")
        group, version = group_version.split("/")
        manifest["apiVersion"] = version if group == "core" else f"{group}/{version}"
        manifest["kind"] = kind.removesuffix("Patch")
    return manifest
