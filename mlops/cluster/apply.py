"""Apply objects to the control plane as Pulumi and Argo CD do: server-side apply with a field
manager, conflicts forced, and strict field validation (an unknown or duplicated field is an
error, not a warning).

Discovery (kind -> REST path) is the kubernetes client's; the PATCH is sent directly, because
the client's dynamic layer has no `fieldValidation` parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class Refusal:
    """An object the API server refused, with its reason."""

    key: str
    status: int
    message: str


def key(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata", {})
    where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
    return f"{obj['kind']} {where}{metadata.get('name')}"


class Applier:
    """Server-side apply of plain objects through one API client."""

    def __init__(self, api: ApiClient, field_manager: str) -> None:
        self.api = api
        self.field_manager = field_manager
        self.dynamic = DynamicClient(api)

    def refresh(self) -> None:
        """Forget discovery: new CRDs serve new kinds."""
        self.dynamic = DynamicClient(self.api)

    def resource(self, obj: dict[str, Any]):
        try:
            return self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        except ResourceNotFoundError:
            self.refresh()
            return self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])

    def apply(self, obj: dict[str, Any], dry_run: bool = False) -> Refusal | dict[str, Any]:
        """The object as the server stored it, or why it was refused."""
        try:
            resource = self.resource(obj)
        except ResourceNotFoundError:
            return Refusal(
                key(obj), 404, f"the server has no kind {obj['kind']} in {obj['apiVersion']}"
            )
        metadata = obj["metadata"]
        namespace = metadata.get("namespace") if resource.namespaced else None
        if resource.namespaced and not namespace:
            namespace = "default"
        query = [
            ("fieldManager", self.field_manager),
            ("force", "true"),
            ("fieldValidation", "Strict"),
        ]
        if dry_run:
            query.append(("dryRun", "All"))
        try:
            # kubernetes' client is untyped; unloaded (_preload_content=False), this is urllib3's
            response: Any = self.api.call_api(
                resource.path(name=metadata["name"], namespace=namespace), "PATCH",
                query_params=query, header_params={"Content-Type": APPLY_PATCH, "Accept": "application/json"},
                body=obj, auth_settings=["BearerToken"], _preload_content=False,
                _return_http_data_only=True,
            )  # fmt: skip
        except ApiException as error:
            return Refusal(key(obj), error.status or 0, _message(error))
        return json.loads(response.data)


def _message(error: ApiException) -> str:
    try:
        return json.loads(error.body or "")["message"]
    except (TypeError, ValueError, KeyError):
        return str(error.reason)
