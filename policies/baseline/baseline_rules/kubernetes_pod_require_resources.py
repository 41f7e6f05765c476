"""kubernetes-pod-require-resources: every container states CPU and memory requests and limits,
so the scheduler places it honestly and one runaway pod cannot starve a node (or a GPU node's
neighbours). Covers typed workloads, KServe runtimes and `resources` blocks in Helm values."""

from collections.abc import Mapping
from typing import Any

from mlops_policy_kit.kubernetes import containers, helm_resource_blocks, helm_values
from mlops_policy_kit.values import dig, is_mapping
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

DEFAULT_RESOURCES = ["cpu", "memory"]


def missing(resources: Mapping[str, Any], required: list[str]) -> list[str]:
    """`requests.cpu`-style names of the settings a resources block lacks."""
    return [
        f"{section}.{name}"
        for section in ("requests", "limits")
        for name in required
        if not is_mapping(dig(resources, section)) or dig(resources, section, name) is None
    ]


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    required = list(args.get_config().get("resources", DEFAULT_RESOURCES))
    for container in containers(args.resource_type, args.props):
        lacking = missing(dig(container.spec, "resources", default={}), required)
        if lacking:
            report_violation(
                f"container '{container.name}' ({container.path}) lacks {', '.join(lacking)}", None
            )
    for path, block in helm_resource_blocks(helm_values(args.resource_type, args.props)):
        lacking = missing(block, required)
        if lacking:
            report_violation(f"{path} lacks {', '.join(lacking)}", None)


POLICY = ResourceValidationPolicy(
    name="kubernetes-pod-require-resources",
    description="Containers set CPU and memory requests and limits.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "resources": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_RESOURCES,
            }
        }
    ),
    remediation_steps="Give every container resources {requests: {cpu, memory}, limits: {cpu, "
    "memory}}; in Helm values, fill the chart's resources block.",
)
