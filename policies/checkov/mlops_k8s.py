"""Helpers for the CKV_MLOPS checks (checkov puts this folder on sys.path; this module defines no
check of its own). Checkov hands each check the whole Kubernetes object as a dict."""

import re
from collections.abc import Iterator
from typing import Any

GPU_RESOURCE = "nvidia.com/gpu"
GPU_RUNTIME_CLASS = "nvidia"
ENVIRONMENT_LABEL = "mlops.platform/environment"
PRODUCTION = "prod"
ISVC_COMPONENTS = ("predictor", "transformer", "explainer")
MODEL_KEYS = ("model", "sklearn", "xgboost", "tensorflow", "pytorch", "onnx", "triton", "lightgbm")
IMMUTABLE_REVISION = re.compile(r"^([0-9a-f]{40}|v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?)$")


def get(obj: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return default if obj is None else obj


def metadata_map(conf: dict[str, Any], key: str) -> dict[str, Any]:
    """`metadata.labels` or `metadata.annotations` as one mapping (checkov's parser turns
    annotations into a list of mappings, to keep its line numbers)."""
    value = get(conf, "metadata", key, default={})
    parts = value if isinstance(value, list) else [value]
    merged: dict[str, Any] = {}
    for part in parts:
        if isinstance(part, dict):
            merged.update({k: v for k, v in part.items() if not k.startswith("__")})
    return merged


def isvc_containers(conf: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(component, where, container-like spec) for every InferenceService container: the model
    spec (`predictor.model`, or a framework key) and custom `containers`."""
    spec = get(conf, "spec", default={})
    for component in ISVC_COMPONENTS:
        part = get(spec, component)
        if not isinstance(part, dict):
            continue
        for key in MODEL_KEYS:
            if isinstance(part.get(key), dict):
                yield component, f"spec.{component}.{key}", part[key]
        for index, container in enumerate(part.get("containers") or []):
            if isinstance(container, dict):
                yield component, f"spec.{component}.containers[{index}]", container


def application_specs(conf: dict[str, Any]) -> list[dict[str, Any]]:
    """The Application spec(s) an object defines: an Application's own, an ApplicationSet's
    template."""
    if conf.get("kind") == "Application":
        return [get(conf, "spec", default={})]
    if conf.get("kind") == "ApplicationSet":
        return [get(conf, "spec", "template", "spec", default={})]
    return []


def is_production(conf: dict[str, Any]) -> bool:
    """An Application(Set) that deploys to prod: labelled so, on itself or its template, or
    generated for the environment `prod` by a list generator."""
    labels = [
        metadata_map(conf, "labels"),
        get(conf, "spec", "template", "metadata", "labels", default={}),
    ]
    if any(label.get(ENVIRONMENT_LABEL) == PRODUCTION for label in labels):
        return True
    return any(
        isinstance(element, dict) and element.get("environment") == PRODUCTION
        for generator in get(conf, "spec", "generators", default=[])
        if isinstance(generator, dict)
        for element in get(generator, "list", "elements", default=[])
    )
