"""Strict validation of Kubernetes objects: core kinds with kubernetes-validate, custom kinds
against the vendored upstream CRD schemas (unknown fields rejected, as `kubectl --validate=strict`).

A kind with no schema is an error, never a silent pass.
"""

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate.utils
import yaml
from jsonschema.protocols import Validator
from referencing import Registry, Resource

CRD_DIR = Path(__file__).parent / "crds"
KUBERNETES_VERSION = "1.35.0"  # schemas of the oldest Kubernetes the stacks allow


# Which vendored file holds the CRD of each (group, kind): parsing all of them costs seconds, so
# validation reads only the file it needs. tests/manifests/test_schema.py checks this index.
CRD_FILES: dict[tuple[str, str], str] = {
    ("argoproj.io", "Application"): "argoproj.io_application-crd.yaml",
    ("argoproj.io", "ApplicationSet"): "argoproj.io_applicationset-crd.yaml",
    ("argoproj.io", "AppProject"): "argoproj.io_appproject-crd.yaml",
    ("cert-manager.io", "ClusterIssuer"): "cert-manager.io_clusterissuers.yaml",
    ("gateway.envoyproxy.io", "EnvoyProxy"): "gateway.envoyproxy.io_envoyproxies.yaml",
    ("gateway.envoyproxy.io", "SecurityPolicy"): "gateway.envoyproxy.io_securitypolicies.yaml",
    ("gateway.networking.k8s.io", "Gateway"): "gateway.networking.k8s.io_gateways.yaml",
    ("gateway.networking.k8s.io", "GatewayClass"): "gateway.networking.k8s.io_gatewayclasses.yaml",
    ("gateway.networking.k8s.io", "HTTPRoute"): "gateway.networking.k8s.io_httproutes.yaml",
    (
        "gateway.networking.k8s.io",
        "ReferenceGrant",
    ): "gateway.networking.k8s.io_referencegrants.yaml",
    ("monitoring.coreos.com", "PodMonitor"): "monitoring.coreos.com_podmonitors.yaml",
    ("monitoring.coreos.com", "PrometheusRule"): "monitoring.coreos.com_prometheusrules.yaml",
    ("monitoring.coreos.com", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
    ("operator.knative.dev", "KnativeServing"): "operator.knative.dev_knativeservings.yaml",
    ("postgresql.cnpg.io", "Cluster"): "postgresql.cnpg.io_clusters.yaml",
    ("serving.kserve.io", "ClusterServingRuntime"): "serving.kserve.io_clusterservingruntimes.yaml",
    ("serving.kserve.io", "InferenceService"): "serving.kserve.io_inferenceservices.yaml",
    ("serving.kserve.io", "ServingRuntime"): "serving.kserve.io_servingruntimes.yaml",
}


@cache
def crd_file_schemas(file_name: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Map (apiVersion, kind) to a strict JSON schema, for every version a vendored file holds."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    text = (CRD_DIR / file_name).read_text(encoding="utf-8")
    for crd in yaml.load_all(text, Loader=yaml.CSafeLoader):  # vendored, trusted input
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = version.get("schema", {}).get("openAPIV3Schema")
            if schema is not None:
                schemas[(f"{group}/{version['name']}", kind)] = _strict(schema, top=True)
    return schemas


def has_crd(api_version: str, kind: str) -> bool:
    """True when a vendored CRD defines the kind."""
    return _crd_schema(api_version, kind) is not None


def is_core_kind(api_version: str, kind: str) -> bool:
    """True for the kinds Kubernetes itself serves (no CRD needed)."""
    return _core_validator(api_version, kind) is not None


def _crd_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    group = api_version.split("/", maxsplit=1)[0] if "/" in api_version else ""
    file_name = CRD_FILES.get((group, kind))
    return crd_file_schemas(file_name).get((api_version, kind)) if file_name else None


def _strict(schema: dict[str, Any], top: bool = False) -> dict[str, Any]:
    """Translate a structural schema to JSON schema that rejects unknown fields."""
    result = copy.copy(schema)
    if result.pop("x-kubernetes-int-or-string", False):
        result.pop("type", None)
        result["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = result.pop("x-kubernetes-preserve-unknown-fields", False)
    for key in [key for key in result if key.startswith("x-kubernetes-")]:
        result.pop(key)
    if "properties" in result:
        result["properties"] = {name: _strict(sub) for name, sub in result["properties"].items()}
        if top:  # the API server accepts these on every object, whatever the CRD lists
            result["properties"].setdefault("metadata", {"type": "object"})
            result["properties"].setdefault("apiVersion", {"type": "string"})
            result["properties"].setdefault("kind", {"type": "string"})
        if not preserve and "additionalProperties" not in result:
            result["additionalProperties"] = False
    if isinstance(extra := result.get("additionalProperties"), dict):
        result["additionalProperties"] = _strict(extra)
    if "items" in result and isinstance(result["items"], dict):
        result["items"] = _strict(result["items"])
    for combinator in ("allOf", "anyOf", "oneOf"):
        if combinator in result:
            result[combinator] = [_strict(sub) for sub in result[combinator]]
    if "not" in result:
        result["not"] = _strict(result["not"])
    return result


@cache
def _crd_validator(api_version: str, kind: str) -> Validator | None:
    schema = _crd_schema(api_version, kind)
    return None if schema is None else jsonschema.Draft7Validator(schema)


def validation_errors(manifest: dict[str, Any], partial: bool = False) -> list[str]:
    """Every schema violation of one object; empty when it is valid. A `partial` object (a
    server-side-apply patch) may leave out required fields but may not add unknown ones."""
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["object has no apiVersion or kind"]
    crd = _crd_validator(api_version, kind)
    if crd is not None:
        return _messages(crd, manifest, partial)
    core = _core_validator(api_version, kind)
    if core is None:
        return [f"{kind} {_name(manifest)}: no schema for {api_version} {kind} (vendor its CRD)"]
    return _messages(core, manifest, partial)


def _messages(validator: Validator, manifest: dict[str, Any], partial: bool) -> list[str]:
    errors = validator.iter_errors(manifest)
    if partial:
        errors = (error for error in errors if error.validator != "required")
    return [
        f"{manifest['kind']} {_name(manifest)}: "
        f"{'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in sorted(errors, key=lambda e: list(e.absolute_path))
    ]


@cache
def _core_definitions() -> Resource:
    return Resource.from_contents(_core_schema("_definitions.json"))


@cache
def _core_validator(api_version: str, kind: str) -> Validator | None:
    """The strict upstream schema of a core kind, as kubernetes-validate bundles it (cached:
    loading its shared definitions costs about a second)."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = _core_schema(f"{kind.lower()}-{group_version}.json")
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(schema) @ (_core_definitions() @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _core_schema(file_name: str) -> Any:
    folder = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"
    return kubernetes_validate.utils.schema_contents(f"{folder}/{file_name}", KUBERNETES_VERSION)


def _name(manifest: dict[str, Any]) -> str:
    metadata = manifest.get("metadata") or {}
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '?')}".lstrip("/")
