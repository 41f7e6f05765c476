"""aws-s3-bucket-require-versioning: every bucket keeps object versions, so a model artifact or
dataset that a release descriptor points at cannot be silently overwritten. A stack policy: the
versioning configuration is a resource of its own in pulumi-aws 7."""

from mlops_policy_kit.aws import S3_VERSIONING, buckets, companions
from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        statuses = [
            dig(resource.props, "versioningConfiguration", "status")
            for resource in companions(args.resources, bucket, S3_VERSIONING)
        ]
        inline = as_bool(dig(bucket.props, "versioning", "enabled"))
        if "Enabled" not in statuses and inline is not True:
            report_violation(f"bucket '{bucket.name}' does not enable versioning", bucket.urn)


POLICY = StackValidationPolicy(
    name="aws-s3-bucket-require-versioning",
    description="S3 buckets keep object versions.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Declare an aws.s3.BucketVersioning for the bucket with "
    "versioningConfiguration.status Enabled.",
)
