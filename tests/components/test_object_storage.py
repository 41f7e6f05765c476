import json

from components.object_storage import ObjectStorage, ObjectStorageArgs
from mlops.config.model import StackConfig
from mlops.plan.capture import SECRET_PLACEHOLDER
from mlops.plan.runner import capture
from tests.components.helpers import of_type, schema_errors

CONSUMERS = ("mlflow", "models")


def declare(config: StackConfig) -> list:
    args = ObjectStorageArgs(
        cluster_name=f"mlops-{config.environment}",
        settings=config.storage,
        namespace="object-storage",
        consumer_namespaces=CONSUMERS,
        minio_chart=config.charts.minio,
        tags={},
    )
    return capture("test", lambda: ObjectStorage("storage", args))


def test_s3_buckets_are_private_encrypted_versioned_and_tls_only(stack_configs):
    resources = declare(stack_configs["prod"])
    assert len(of_type(resources, "aws:s3/bucket:Bucket")) == 3
    for block in of_type(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        assert all(
            block.inputs[key] is True
            for key in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
    for versioning in of_type(resources, "aws:s3/bucketVersioning:BucketVersioning"):
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    for ownership in of_type(resources, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"):
        assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    for policy in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy"):
        statement = json.loads(policy.inputs["policy"])["Statement"][0]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert not of_type(resources, "kubernetes:helm.sh/v3:Release")


def test_minio_gives_each_consumer_its_own_credentials_and_keeps_them_out_of_values(stack_configs):
    resources = declare(stack_configs["dev"])
    (release,) = of_type(resources, "kubernetes:helm.sh/v3:Release")
    values = release.inputs["values"]
    assert release.inputs["version"] == stack_configs["dev"].charts.minio.version
    assert {user["accessKey"] for user in values["users"]} == set(CONSUMERS)
    assert all("secretKey" not in user and user["existingSecret"] for user in values["users"])
    assert all(bucket["versioning"] is True for bucket in values["buckets"])
    assert values["service"]["type"] == "ClusterIP"
    secrets = of_type(resources, "kubernetes:core/v1:Secret")
    namespaces = {s.inputs["metadata"]["namespace"] for s in secrets}
    assert namespaces == {"object-storage", *CONSUMERS}
    assert all(
        set(s.inputs["stringData"].values()) <= {SECRET_PLACEHOLDER, *CONSUMERS, "platform-admin"}
        for s in secrets
    )
    assert schema_errors(resources) == []
