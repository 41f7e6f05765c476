"""The one way components create a customer-managed KMS key: rotated yearly, 30 days to undo
a deletion."""

import pulumi
import pulumi_aws as aws

DELETION_WINDOW_DAYS = 30


def rotating_key(
    name: str, description: str, tags: dict[str, str] | None, opts: pulumi.ResourceOptions
) -> aws.kms.Key:
    return aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=DELETION_WINDOW_DAYS,
        tags=tags,
        opts=opts,
    )
