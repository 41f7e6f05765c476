"""aws-s3-bucket-require-encryption: every bucket encrypts by default with a KMS key, so access
to the objects also needs the key (and is logged by KMS). A stack policy: the encryption
configuration is a resource of its own in pulumi-aws 7."""

from mlops_policy_kit.aws import S3_ENCRYPTION, buckets, companions
from mlops_policy_kit.values import as_list, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}


def _uses_kms(configuration: object) -> bool:
    return any(
        dig(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") in KMS_ALGORITHMS
        for rule in as_list(dig(configuration, "rules")) + as_list(dig(configuration, "rule"))
    )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        configurations = [
            resource.props for resource in companions(args.resources, bucket, S3_ENCRYPTION)
        ]
        inline = dig(bucket.props, "serverSideEncryptionConfiguration")
        if inline:
            configurations.append(inline)
        if not any(_uses_kms(configuration) for configuration in configurations):
            report_violation(
                f"bucket '{bucket.name}' has no default encryption with aws:kms", bucket.urn
            )


POLICY = StackValidationPolicy(
    name="aws-s3-bucket-require-encryption",
    description="S3 buckets encrypt objects by default with a KMS key.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Declare an aws.s3.BucketServerSideEncryptionConfiguration for the bucket "
    "with sseAlgorithm aws:kms and a customer-managed key.",
)
