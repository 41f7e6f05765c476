"""AWS resources as pulumi-aws 7 declares them, and the links between split S3 resources.

pulumi-aws 7 declares a bucket's public access block, encryption, versioning and ACL as separate
resources that name the bucket in their `bucket` input; only a stack policy sees them together.
"""

from collections.abc import Sequence
from typing import Any

from mlops_policy_kit.values import dig

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BUCKET_TYPES = (S3_BUCKET, "aws:s3/bucketV2:BucketV2")
S3_PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
S3_ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read"}
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}
GPU_INSTANCE = r"^(p\d+[a-z]*|g\d+[a-z]*|gr\d+[a-z]*)\."


def buckets(resources: Sequence[Any]) -> list[Any]:
    return [resource for resource in resources if resource.resource_type in S3_BUCKET_TYPES]


def companions(resources: Sequence[Any], bucket: Any, types: tuple[str, ...]) -> list[Any]:
    """The resources of `types` that configure `bucket`: linked by Pulumi's dependency on the
    bucket (`bucket=bucket.id`), or, once applied, by the bucket name they carry."""
    names = {value for value in (dig(bucket.props, "bucket"), dig(bucket.props, "id")) if value}
    found = []
    for resource in resources:
        if resource.resource_type not in types:
            continue
        linked = list(resource.property_dependencies.get("bucket", [])) or list(
            resource.dependencies
        )
        if any(other.urn == bucket.urn for other in linked) or (
            not linked and dig(resource.props, "bucket") in names
        ):
            found.append(resource)
    return found
