"""aws-rds-instance-require-deletion-protection: the database behind the model registry and its
lineage cannot be deleted by one mistaken `pulumi destroy` or console click."""

from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

RDS_INSTANCE = "aws:rds/instance:Instance"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    if as_bool(dig(args.props, "deletionProtection")) is not True:
        report_violation("deletionProtection is not true", None)
    if as_bool(dig(args.props, "skipFinalSnapshot")) is True:
        report_violation(
            "skipFinalSnapshot is true: deleting it would keep no final snapshot", None
        )


POLICY = ResourceValidationPolicy(
    name="aws-rds-instance-require-deletion-protection",
    description="RDS instances have deletion protection and keep a final snapshot.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Keep database.deletion_protection: true in the stack (the default).",
)
