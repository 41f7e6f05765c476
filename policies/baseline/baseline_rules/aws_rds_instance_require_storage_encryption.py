"""aws-rds-instance-require-storage-encryption: the database's storage, snapshots and backups are
encrypted (the MLflow backend holds lineage and model metadata)."""

from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

RDS_INSTANCE = "aws:rds/instance:Instance"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if (
        args.resource_type == RDS_INSTANCE
        and as_bool(dig(args.props, "storageEncrypted")) is not True
    ):
        report_violation("storageEncrypted is not true", None)


POLICY = ResourceValidationPolicy(
    name="aws-rds-instance-require-storage-encryption",
    description="RDS instances encrypt their storage.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set storageEncrypted: true with a customer-managed kmsKeyId.",
)
