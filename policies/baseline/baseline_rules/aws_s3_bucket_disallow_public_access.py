"""aws-s3-bucket-disallow-public-access: every bucket has a public access block with all four
switches on, and no public ACL. A stack policy: pulumi-aws 7 declares the block and the ACL as
resources of their own, so only the whole stack shows whether a bucket has them."""

from mlops_policy_kit.aws import PUBLIC_ACLS, S3_ACL, S3_PUBLIC_ACCESS_BLOCK, buckets, companions
from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

SWITCHES = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for bucket in buckets(args.resources):
        blocks = companions(args.resources, bucket, S3_PUBLIC_ACCESS_BLOCK)
        if not blocks:
            report_violation(f"bucket '{bucket.name}' has no BucketPublicAccessBlock", bucket.urn)
        for block in blocks:
            off = [name for name in SWITCHES if as_bool(dig(block.props, name)) is not True]
            if off:
                report_violation(
                    f"bucket '{bucket.name}': public access block '{block.name}' leaves "
                    f"{', '.join(off)} off",
                    block.urn,
                )
        acls = [dig(bucket.props, "acl")] + [
            dig(acl.props, "acl") for acl in companions(args.resources, bucket, S3_ACL)
        ]
        for acl in sorted({str(acl) for acl in acls if acl in PUBLIC_ACLS}):
            report_violation(f"bucket '{bucket.name}' has the public ACL '{acl}'", bucket.urn)


POLICY = StackValidationPolicy(
    name="aws-s3-bucket-disallow-public-access",
    description="S3 buckets block every form of public access.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Declare an aws.s3.BucketPublicAccessBlock for the bucket with "
    "blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true, "
    "and no public ACL.",
)
