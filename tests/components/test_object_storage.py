import json

import pytest

from components.object_storage import KSERVE_S3_ANNOTATIONS, ObjectStorage, ObjectStorageArgs
from components.seaweedfs import IDENTITIES_FILE, IDENTITIES_SECRET
from mlops.config.model import ExternalStoreConfig, StackConfig, StorageConfig
from mlops.config.object_store import (
    ACCESS_KEY,
    CREDENTIALS_SECRET,
    SECRET_KEY,
    TRANSFER_CREDENTIALS_SECRET,
    TRANSFER_GRANT,
    TRANSFER_IDENTITY,
    Grant,
    in_cluster_url,
)
from mlops.objectstore.server import identities
from mlops.plan.capture import SECRET_PLACEHOLDER
from mlops.plan.runner import capture
from tests.components.helpers import of_type, plain_inputs, schema_errors

GRANTS = {
    "mlflow": Grant("mlflow-artifacts", write=True),
    "models": Grant("mlflow-artifacts", write=False, appends=("request-logs",)),
}
SECRET = "kubernetes:core/v1:Secret"


def storage_args(config: StackConfig, storage: StorageConfig | None = None) -> ObjectStorageArgs:
    return ObjectStorageArgs(
        cluster_name=f"mlops-{config.environment}",
        settings=storage or config.storage,
        namespace="object-storage",
        grants=GRANTS,
        transfer=TRANSFER_GRANT,
        monitoring_namespace="monitoring",
        tags={},
    )


def declare(config: StackConfig, storage: StorageConfig | None = None) -> tuple[list, dict]:
    args = storage_args(config, storage)
    found: dict = {}

    def program() -> None:
        found["storage"] = ObjectStorage("storage", args)

    return capture("test", program), found


def test_s3_buckets_are_private_encrypted_versioned_and_tls_only(stack_configs):
    resources, _ = declare(stack_configs["prod"])
    assert len(of_type(resources, "aws:s3/bucket:Bucket")) == len(StorageConfig(mode="s3").buckets)
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
    assert not [r for r in resources if r.type.startswith("kubernetes:")]


def test_in_cluster_store_gives_each_consumer_its_own_generated_key(stack_configs):
    config = stack_configs["dev"]
    resources, found = declare(config)
    keys = [
        s for s in of_type(resources, SECRET) if s.inputs["metadata"]["name"] == CREDENTIALS_SECRET
    ]
    assert {s.inputs["metadata"]["namespace"] for s in keys} == set(GRANTS)
    for secret in keys:
        namespace = secret.inputs["metadata"]["namespace"]
        data = secret.inputs["stringData"]
        assert set(data) == {ACCESS_KEY, SECRET_KEY} and data[SECRET_KEY] == SECRET_PLACEHOLDER
        assert data[ACCESS_KEY] in (namespace, SECRET_PLACEHOLDER)
        annotations = secret.inputs["metadata"]["annotations"]
        assert annotations == dict(
            zip(
                KSERVE_S3_ANNOTATIONS,
                ("seaweedfs.object-storage.svc.cluster.local:8333", "0", "us-east-1"),
                strict=True,
            )
        )
    (identity_file,) = [
        s for s in of_type(resources, SECRET) if s.inputs["metadata"]["name"] == IDENTITIES_SECRET
    ]
    assert identity_file.inputs["stringData"] == {IDENTITIES_FILE: SECRET_PLACEHOLDER}
    assert found["storage"].endpoint.url == in_cluster_url()
    assert schema_errors(resources) == []


def test_in_cluster_server_is_versioned_encrypted_sized_and_restricted(stack_configs):
    config = stack_configs["dev"]
    resources, _ = declare(config)
    (claim,) = of_type(resources, "kubernetes:core/v1:PersistentVolumeClaim")
    assert (
        claim.inputs["spec"]["resources"]["requests"]["storage"]
        == f"{config.storage.volume_size_gb}Gi"
    )
    (deployment,) = of_type(resources, "kubernetes:apps/v1:Deployment")
    pod = deployment.inputs["spec"]["template"]["spec"]
    (server,) = pod["containers"]
    assert server["image"] == config.storage.image
    assert f"-bucket={','.join(config.storage.buckets)}" in server["args"]
    assert "-filer.encryptVolumeData" in server["args"]
    script = server["lifecycle"]["postStart"]["exec"]["command"][-1]
    assert all(
        f"s3.bucket.versioning -name {b} -status Enabled" in script for b in config.storage.buckets
    )
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert server["securityContext"]["readOnlyRootFilesystem"] is True
    assert server["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False


def test_in_cluster_endpoint_admits_only_the_consumers(stack_configs):
    resources, _ = declare(stack_configs["local"])
    (policy,) = of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    s3, metrics = policy.inputs["spec"]["ingress"]
    (peer,) = s3["from"]
    (selector,) = peer["namespaceSelector"]["matchExpressions"]
    assert selector["values"] == sorted(GRANTS)
    assert s3["ports"] == [{"port": 8333, "protocol": "TCP"}]
    assert metrics["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "monitoring"
    ]
    (service,) = of_type(resources, "kubernetes:core/v1:Service")
    assert service.inputs["spec"]["type"] == "ClusterIP"


def test_an_external_store_installs_nothing_and_uses_the_operators_secret(stack_configs):
    external = StorageConfig(
        mode="external",
        external=ExternalStoreConfig(
            endpoint_url="https://minio.example.internal:9000", credentials_secret="my-keys"
        ),
    )
    resources, found = declare(stack_configs["dev"], external)
    assert [r.type for r in resources] == ["mlops:object_storage:ObjectStorage"]
    endpoint = found["storage"].endpoint
    assert (endpoint.url, endpoint.credentials_secret, endpoint.address) == (
        "https://minio.example.internal:9000",
        "my-keys",
        "minio.example.internal:9000",
    )


def test_the_model_reader_may_read_and_list_but_not_write():
    document = identities(GRANTS, {"mlflow": "k1", "models": "k2"})
    by_name = {identity["name"]: identity for identity in document["identities"]}
    assert by_name["models"]["actions"] == [
        "Read:mlflow-artifacts",
        "List:mlflow-artifacts",
        "Write:request-logs",  # its predictors append request logs, nothing else
    ]
    assert "Write:mlflow-artifacts" in by_name["mlflow"]["actions"]
    assert by_name["models"]["credentials"] == [{"accessKey": "models", "secretKey": "k2"}]
    assert not any(a.startswith("Admin") for i in document["identities"] for a in i["actions"])


@pytest.mark.parametrize("mode", ["in_cluster", "s3"])
def test_a_mismatched_external_section_is_refused(mode):
    with pytest.raises(ValueError, match="'external'"):
        StorageConfig(
            mode=mode,
            external=ExternalStoreConfig(endpoint_url="https://x.example", credentials_secret="k"),
        )


def test_predictors_may_only_put_request_logs_on_s3():
    from components.object_storage import _s3_policy

    document = json.loads(_s3_policy("arn:kms", "models-bucket", GRANTS["models"], ["logs-bucket"]))
    by_resource = {tuple(st["Resource"]): set(st["Action"]) for st in document["Statement"]}
    assert by_resource[("arn:aws:s3:::logs-bucket/*",)] == {"s3:PutObject"}
    assert by_resource[("arn:aws:s3:::models-bucket/*",)] == {"s3:GetObject", "s3:GetObjectVersion"}
    assert by_resource[("arn:kms",)] == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert [r for r in by_resource if any("logs-bucket" in x for x in r)] == [
        ("arn:aws:s3:::logs-bucket/*",)
    ]


def test_in_cluster_store_holds_the_promoters_identity_in_its_own_namespace_only(stack_configs):
    """The model-transfer key lives beside the store, where no consumer namespace reads it and
    the NetworkPolicy admits no namespace of that name; the server's identity file gives that
    identity exactly the transfer's grant (mlops.objectstore.server.identities, which
    tests/objectstore runs on the real server)."""
    resources, found = declare(stack_configs["dev"])
    (secret,) = [
        s
        for s in of_type(resources, SECRET)
        if s.inputs["metadata"]["name"] == TRANSFER_CREDENTIALS_SECRET
    ]
    assert secret.inputs["metadata"]["namespace"] == "object-storage"
    assert found["storage"].transfer_secret == f"object-storage/{TRANSFER_CREDENTIALS_SECRET}"
    (policy,) = of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    admitted = policy.inputs["spec"]["ingress"][0]["from"][0]["namespaceSelector"]
    assert admitted["matchExpressions"][0]["values"] == sorted(GRANTS)

    declared = plain_inputs(lambda: ObjectStorage("storage", storage_args(stack_configs["dev"])))
    keys = declared[f"storage-{TRANSFER_IDENTITY}-credentials"]["stringData"]
    served = json.loads(declared["storage-seaweedfs-identities"]["stringData"][IDENTITIES_FILE])
    grants = {**GRANTS, TRANSFER_IDENTITY: TRANSFER_GRANT}
    expected = identities(grants, dict.fromkeys(grants, "any"))["identities"]
    assert [i["actions"] for i in served["identities"]] == [i["actions"] for i in expected]
    (transfer,) = [i for i in served["identities"] if i["name"] == TRANSFER_IDENTITY]
    assert transfer["credentials"] == [
        {"accessKey": keys[ACCESS_KEY], "secretKey": keys[SECRET_KEY]}
    ]
