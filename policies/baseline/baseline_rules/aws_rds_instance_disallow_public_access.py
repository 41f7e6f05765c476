"""aws-rds-instance-disallow-public-access: the database has no public address; only the
cluster's VPC reaches it."""

from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

RDS_INSTANCE = "aws:rds/instance:Instance"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == RDS_INSTANCE and as_bool(dig(args.props, "publiclyAccessible")):
        report_violation("publiclyAccessible is true", None)


POLICY = ResourceValidationPolicy(
    name="aws-rds-instance-disallow-public-access",
    description="RDS instances are not publicly accessible.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set publiclyAccessible: false and place the instance in private subnets.",
)
