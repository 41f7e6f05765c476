"""Helpers for component tests: find captured resources and validate the objects they declare."""

from mlops.manifests.schema import validation_errors
from mlops.plan.capture import PlannedResource
from mlops.preflight.declared import is_kubernetes_object, is_patch, manifest_of


def of_type(resources: list[PlannedResource], type_token: str) -> list[PlannedResource]:
    return [resource for resource in resources if resource.type == type_token]


def named(resources: list[PlannedResource], name: str) -> PlannedResource:
    matches = [resource for resource in resources if resource.name == name]
    assert len(matches) == 1, f"expected one resource named {name}, found {len(matches)}"
    return matches[0]


def schema_errors(resources: list[PlannedResource]) -> list[str]:
    """Validate every Kubernetes object declared directly (core kinds strictly, CRDs vendored)."""
    errors: list[str] = []
    for resource in resources:
        if is_kubernetes_object(resource):
            errors += validation_errors(manifest_of(resource), partial=is_patch(resource))
    return errors
