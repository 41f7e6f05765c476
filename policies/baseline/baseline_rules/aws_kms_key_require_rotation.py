"""aws-kms-key-require-rotation: symmetric customer-managed keys rotate yearly, limiting what one
leaked key version can decrypt."""

from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

KMS_KEY = "aws:kms/key:Key"
SYMMETRIC = "SYMMETRIC_DEFAULT"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    spec = dig(args.props, "customerMasterKeySpec") or dig(args.props, "keySpec") or SYMMETRIC
    if spec == SYMMETRIC and as_bool(dig(args.props, "enableKeyRotation")) is not True:
        report_violation("enableKeyRotation is not true", None)


POLICY = ResourceValidationPolicy(
    name="aws-kms-key-require-rotation",
    description="Symmetric KMS keys have automatic rotation enabled.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set enableKeyRotation: true on the key.",
)
