"""Helpers for component tests: find captured resources and validate the objects they declare."""

from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockResourceArgs

from mlops.config.loader import PROJECT
from mlops.manifests.schema import validation_errors
from mlops.plan.capture import PlannedResource, PlatformMocks
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


class _RecordingMocks(PlatformMocks):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs[args.name] = _revealed(args.inputs)
        return super().new_resource(args)


def _revealed(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _revealed(value["value"])
    if isinstance(value, dict):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in value]
    return value


def plain_inputs(build: Callable[[], object]) -> dict[str, dict[str, Any]]:
    """Each resource's inputs by name as its provider receives them: secrets in the clear,
    which a plan (mlops.plan.capture) never shows."""
    mocks = _RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="test", preview=False)
    pulumi.runtime.test(build)()
    return mocks.inputs
