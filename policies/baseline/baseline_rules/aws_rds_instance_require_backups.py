"""aws-rds-instance-require-backups: automated backups are kept long enough to recover from a bad
migration noticed days later."""

from mlops_policy_kit.values import as_number, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
DEFAULT_MIN_DAYS = 7


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    minimum = args.get_config().get("minRetentionDays", DEFAULT_MIN_DAYS)
    days = as_number(dig(args.props, "backupRetentionPeriod"))
    if days is None or days < minimum:
        shown = "unset" if days is None else f"{days:g} days"
        report_violation(f"backupRetentionPeriod is {shown}; at least {minimum} required", None)


POLICY = ResourceValidationPolicy(
    name="aws-rds-instance-require-backups",
    description="RDS instances keep automated backups for a minimum number of days.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minRetentionDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": DEFAULT_MIN_DAYS,
            }
        }
    ),
    remediation_steps="Set database.backup_retention_days in the stack (backupRetentionPeriod).",
)
