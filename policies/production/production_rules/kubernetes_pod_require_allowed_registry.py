"""kubernetes-pod-require-allowed-registry: in int and prod every image comes from a registry the
stack allows (its own mirror, scanned and with immutable tags), so what runs there was vetted.
Images a Helm chart picks by default are not visible here; Helm values that name one are."""

from mlops_policy_kit.images import registry_allowed
from mlops_policy_kit.kubernetes import container_images
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed = [str(entry) for entry in args.get_config().get("allowedRegistries", [])]
    for path, image in container_images(args.resource_type, args.props):
        if not registry_allowed(image, allowed):
            report_violation(
                f"{path} '{image.text}' is from {image.registry}, not an allowed registry "
                f"({', '.join(allowed) or 'none configured'})",
                None,
            )


POLICY = ResourceValidationPolicy(
    name="kubernetes-pod-require-allowed-registry",
    description="Container images come from the stack's allowed registries.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedRegistries": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        }
    ),
    remediation_steps="Mirror the image into an allowed registry (security.allowed_registries in "
    "the stack) and reference it there.",
)
