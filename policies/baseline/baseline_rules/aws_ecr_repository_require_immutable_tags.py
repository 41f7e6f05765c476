"""aws-ecr-repository-require-immutable-tags: a pushed tag never moves, so an image reference in a
release descriptor or Helm value always means the same bytes."""

from mlops_policy_kit.values import dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

ECR_REPOSITORY = "aws:ecr/repository:Repository"
IMMUTABLE = {"IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != ECR_REPOSITORY:
        return
    mutability = dig(args.props, "imageTagMutability")
    if mutability not in IMMUTABLE:
        report_violation(f"imageTagMutability is {mutability or 'unset (MUTABLE)'}", None)


POLICY = ResourceValidationPolicy(
    name="aws-ecr-repository-require-immutable-tags",
    description="ECR repositories have immutable image tags.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set imageTagMutability: IMMUTABLE on the repository.",
)
