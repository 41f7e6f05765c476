"""On S3, the IAM policy each identity's role carries allows exactly its grant. Each policy the
object-storage component writes is attached to a role in moto's IAM, and moto's policy
evaluation answers every S3 request made with that role's session: the S3 counterpart of
tests/objectstore/test_permissions.py, which asks the real SeaweedFS. (KMS grants are not
evaluated here: moto does not check them on S3 requests.)"""

import json
from collections.abc import Callable
from typing import Any

import boto3
import pulumi
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count
from moto.iam.access_control import S3IAMRequest

from components.object_storage import ObjectStorage, ObjectStorageArgs
from mlops.config.object_store import STORE_GRANTS, TRANSFER_GRANT, TRANSFER_SIDES, Grant

REGION = "us-east-1"
PROBE = "probe/object"
IDENTITIES: dict[str, Grant] = {
    **STORE_GRANTS,
    **{f"transfer-{side}": grant for side, grant in TRANSFER_SIDES.items()},
}
Operation = Callable[[object, str], object]
OPERATIONS: dict[str, Operation] = {
    "list": lambda s3, bucket: s3.list_objects_v2(Bucket=bucket),
    "get": lambda s3, bucket: s3.get_object(Bucket=bucket, Key=PROBE),
    "put": lambda s3, bucket: s3.put_object(Bucket=bucket, Key="written", Body=b"x"),
    "delete": lambda s3, bucket: s3.delete_object(Bucket=bucket, Key=PROBE),
}


def granted(grant: Grant, bucket: str) -> set[str]:
    """What the grant says the identity may do in `bucket` (docs/object-store.md's table)."""
    allowed: set[str] = set()
    if bucket == grant.bucket:
        allowed |= {"list", "get"} | ({"put", "delete"} if grant.write else set())
    if bucket in grant.appends:
        allowed |= {"put"}
    if bucket in grant.reads:
        allowed |= {"list", "get"}
    return allowed


@pytest.fixture(scope="module")
def policies(stack_configs) -> tuple[dict[str, str], dict[str, str]]:
    """The prod stack's buckets (logical -> S3 name) and each identity's policy document."""
    config = stack_configs["prod"]
    found: dict[str, object] = {}

    @pulumi.runtime.test
    def declare() -> pulumi.Output:
        storage = ObjectStorage(
            "object-storage",
            ObjectStorageArgs(
                cluster_name="mlops-prod",
                settings=config.storage,
                namespace="object-storage",
                grants={},
                transfer=TRANSFER_GRANT,
                monitoring_namespace="monitoring",
                tags={},
            ),
        )
        names = list(IDENTITIES)
        documents = [storage.access_policy(grant) for grant in IDENTITIES.values()]
        return pulumi.Output.all(pulumi.Output.all(**storage.buckets), *documents).apply(
            lambda values: found.update(
                buckets=values[0], policies=dict(zip(names, values[1:], strict=True))
            )
        )

    from mlops.config.loader import PROJECT
    from mlops.plan.capture import PlatformMocks

    pulumi.runtime.set_mocks(PlatformMocks(), project=PROJECT, stack="prod", preview=False)
    declare()
    return found["buckets"], found["policies"]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def measured(policies) -> dict[str, dict[str, set[str]]]:
    """Per identity and bucket, the operations moto's IAM let through."""
    buckets, documents = policies
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(S3IAMRequest, "check_action_permitted", _as_aws_authorizes)
        return _measure(buckets, documents)


# Moto authorizes each S3 operation as the IAM action of its own name. AWS does so for the
# object operations used here, but listing a bucket (ListObjectsV2) needs s3:ListBucket (AWS's
# "Actions, resources, and condition keys for Amazon S3").
_AWS_ACTIONS = {"s3:ListObjectsV2": "s3:ListBucket"}
_moto_check = S3IAMRequest.check_action_permitted


def _as_aws_authorizes(request: S3IAMRequest, resource: str) -> None:
    request._action = _AWS_ACTIONS.get(request._action, request._action)
    _moto_check(request, resource)


@set_initial_no_auth_action_count(3)  # the administrator's user, policy and key; then enforced
def _measure(buckets: dict[str, str], documents: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    """An administrator creates the buckets, a probe object in each and one IAM principal per
    identity carrying its policy (a user: moto evaluates a user's and a role's identity policies
    alike; the roles' trust is checked in tests/components/test_model_transfer.py); then each
    identity tries every operation on every bucket."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="admin")
    iam.put_user_policy(
        UserName="admin",
        PolicyName="admin",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    admin = _client("iam", iam.create_access_key(UserName="admin")["AccessKey"])
    admin_s3 = _client("s3", admin.create_access_key(UserName="admin")["AccessKey"])
    for bucket in buckets.values():
        admin_s3.create_bucket(Bucket=bucket)
        admin_s3.put_object(Bucket=bucket, Key=PROBE, Body=b"probe")
    result: dict[str, dict[str, set[str]]] = {}
    for identity, document in documents.items():
        admin.create_user(UserName=identity)
        admin.put_user_policy(UserName=identity, PolicyName=identity, PolicyDocument=document)
        s3 = _client("s3", admin.create_access_key(UserName=identity)["AccessKey"])
        result[identity] = {
            logical: {name for name, op in OPERATIONS.items() if allowed(s3, bucket, op)}
            for logical, bucket in buckets.items()
        }
    return result


def _client(service: str, key: dict[str, str]) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )


def allowed(s3: object, bucket: str, operation: Operation) -> bool:
    """Whether IAM let the request through: a missing key (another identity deleted the probe)
    is S3 answering after authorization."""
    try:
        operation(s3, bucket)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "AccessDenied":
            return False
        if code != "NoSuchKey":
            raise
    return True


@pytest.mark.parametrize("identity", sorted(IDENTITIES))
def test_each_identity_may_do_exactly_what_its_grant_says(identity, policies, measured):
    buckets, _ = policies
    grant = IDENTITIES[identity]
    assert measured[identity] == {logical: granted(grant, logical) for logical in buckets}
