"""Policy configuration per stack, resolved the way the Pulumi CLI resolves it.

Sources, later ones winning: each policy's own enforcement level and schema defaults, the pack's
config file for the stack's environment, and the few settings that come from the stack's own
configuration (its allowed registries, its ingress namespace), so
that one value in the stack file drives both the platform and the policy.
"""

from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from mlops.config.model import StackConfig
from mlops.config.namespaces import NAMESPACES
from mlops.errors import BadInputError
from mlops.inputs import load_json
from mlops.policy.packs import Pack

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


@dataclass(frozen=True)
class PolicySpec:
    """What a pack says about one policy (from the analyzer's GetAnalyzerInfo)."""

    name: str
    description: str
    enforcement: str
    kind: str  # "resource" or "stack"
    schema: dict[str, Any]
    required: list[str]
    fix: str


@dataclass(frozen=True)
class PolicySetting:
    enforcement: str
    properties: dict[str, Any]


def stack_settings(config: StackConfig) -> dict[str, dict[str, Any]]:
    """Policy settings that the stack's own configuration decides."""
    settings: dict[str, dict[str, Any]] = {
        "kubernetes-pod-require-allowed-registry": {"allowedRegistries": config.allowed_registries},
        "kubernetes-service-disallow-loadbalancer": {
            "allowedNamespaces": [NAMESPACES["gateway"].name]
        },
    }
    return settings


def pack_file_settings(pack: Pack, environment: str) -> dict[str, Any]:
    path = pack.config_file(environment)
    document = load_json(path)
    if not isinstance(document, dict):
        raise BadInputError(f"{path}: must be an object of policy name to settings")
    return document


def preview_config(pack: Pack, config: StackConfig) -> dict[str, Any]:
    """The `--policy-pack-config` document of one pack for a stack, as `pulumi preview` reads
    it: the pack's config file for the stack's environment plus what the stack file decides."""
    document = pack_file_settings(pack, config.environment)
    for name, value in stack_settings(config).items():
        merged = document.get(name, {})
        merged = {"enforcementLevel": merged} if isinstance(merged, str) else dict(merged)
        document[name] = merged | value
    return document


def resolve(
    pack: Pack, specs: list[PolicySpec], environment: str, config: StackConfig
) -> dict[str, PolicySetting]:
    """Every policy's enforcement level and validated properties for one stack."""
    path = pack.config_file(environment)
    known = {spec.name: spec for spec in specs}
    from_file = pack_file_settings(pack, environment)
    unknown = sorted(set(from_file) - set(known))
    if unknown:
        raise BadInputError(
            f"{path}: unknown policy '{unknown[0]}'; allowed: {', '.join(sorted(known))}"
        )
    from_stack = {name: value for name, value in stack_settings(config).items() if name in known}
    resolved = {}
    for spec in specs:
        enforcement = spec.enforcement
        properties = {
            key: schema["default"] for key, schema in spec.schema.items() if "default" in schema
        }
        for source, layer in ((str(path), from_file), ("stack configuration", from_stack)):
            enforcement = _apply(source, spec, layer.get(spec.name), properties, enforcement)
        _validate(str(path), spec, properties)
        resolved[spec.name] = PolicySetting(enforcement, properties)
    return resolved


def _apply(
    source: str, spec: PolicySpec, value: Any, properties: dict[str, Any], enforcement: str
) -> str:
    if value is None:
        return enforcement
    if isinstance(value, str):
        value = {"enforcementLevel": value}
    if not isinstance(value, dict):
        raise BadInputError(
            f"{source}: {spec.name}: must be an enforcement level or an object of settings"
        )
    level = value.get("enforcementLevel", enforcement)
    if level not in ENFORCEMENT_LEVELS:
        raise BadInputError(
            f"{source}: {spec.name}.enforcementLevel: '{level}'; allowed: "
            + ", ".join(ENFORCEMENT_LEVELS)
        )
    properties.update({key: item for key, item in value.items() if key != "enforcementLevel"})
    return level


def _validate(source: str, spec: PolicySpec, properties: dict[str, Any]) -> None:
    schema = {
        "type": "object",
        "properties": spec.schema,
        "required": spec.required,
        "additionalProperties": False,
    }
    # Draft 7, as the Pulumi engine validates policy config; the pack's own schema is not
    # re-validated against the metaschema for every stack (a fifth of a four-stack check).
    error = best_match(jsonschema.Draft7Validator(schema).iter_errors(properties))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path)
        raise BadInputError(f"{source}: {spec.name}{'.' + where if where else ''}: {error.message}")
