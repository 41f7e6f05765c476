"""aws-ecr-repository-require-scan-on-push: every pushed image is scanned for known
vulnerabilities before anything can pull it."""

from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

ECR_REPOSITORY = "aws:ecr/repository:Repository"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != ECR_REPOSITORY:
        return
    if as_bool(dig(args.props, "imageScanningConfiguration", "scanOnPush")) is not True:
        report_violation("imageScanningConfiguration.scanOnPush is not true", None)


POLICY = ResourceValidationPolicy(
    name="aws-ecr-repository-require-scan-on-push",
    description="ECR repositories scan images on push.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set imageScanningConfiguration {scanOnPush: true} on the repository.",
)
