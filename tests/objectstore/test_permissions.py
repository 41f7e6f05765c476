"""Each consumer's identity on the real server: its own bucket, only the actions its grant names.
Widening any grant (the model reader allowed to write, a consumer allowed another's bucket)
makes these tests fail."""

import uuid

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from mlops.config.object_store import STORE_GRANTS, TRANSFER_GRANT, TRANSFER_IDENTITY
from tests.objectstore.conftest import BUCKETS, GRANTS

DENIED = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch")


def refused(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    code = caught.value.response["Error"]["Code"]
    assert code in DENIED, code
    return code


def key() -> str:
    return f"test/{uuid.uuid4().hex}"


def test_the_buckets_exist_and_are_versioned(store):
    for bucket in BUCKETS:
        assert "Enabled" in store.shell(f"s3.bucket.versioning -name {bucket}\n"), bucket
    writers = {grant.bucket for grant in GRANTS.values() if grant.write}
    appended = {bucket for grant in GRANTS.values() for bucket in grant.appends}
    assert writers | appended == set(BUCKETS)  # every bucket has a writer: none is unreachable


@pytest.mark.parametrize("consumer", sorted(GRANTS))
def test_a_consumer_uses_its_own_bucket_as_its_grant_says(store, consumer):
    grant = GRANTS[consumer]
    client = store.client(consumer)
    client.list_objects_v2(Bucket=grant.bucket)
    name = key()
    put = lambda: client.put_object(Bucket=grant.bucket, Key=name, Body=b"x")  # noqa: E731
    if grant.write:
        put()
        assert client.get_object(Bucket=grant.bucket, Key=name)["Body"].read() == b"x"
        client.delete_object(Bucket=grant.bucket, Key=name)
    else:
        refused(put)


@pytest.mark.parametrize("consumer", sorted(GRANTS))
def test_a_consumer_is_refused_on_every_other_bucket(store, consumer):
    client = store.client(consumer)
    grant = GRANTS[consumer]
    for bucket in set(BUCKETS) - {grant.bucket}:
        if bucket not in grant.reads:
            refused(lambda bucket=bucket: client.list_objects_v2(Bucket=bucket))
            refused(lambda bucket=bucket: client.get_object(Bucket=bucket, Key="anything"))
        if bucket not in grant.appends:
            refused(lambda bucket=bucket: client.put_object(Bucket=bucket, Key=key(), Body=b"x"))
            refused(lambda bucket=bucket: client.delete_object(Bucket=bucket, Key="anything"))


def test_predictors_append_request_logs_and_cannot_read_or_delete_them(store):
    (bucket,) = GRANTS["models"].appends
    name = key()
    reader = store.client("models")
    reader.put_object(Bucket=bucket, Key=name, Body=b"record")
    refused(lambda: reader.get_object(Bucket=bucket, Key=name))
    refused(lambda: reader.list_objects_v2(Bucket=bucket))


def test_the_model_reader_reads_released_models_and_cannot_change_them(store):
    bucket = GRANTS["models"].bucket
    assert bucket == TRANSFER_GRANT.bucket  # it reads what the transfer writes, nothing else
    name = key()
    store.client(TRANSFER_IDENTITY).put_object(Bucket=bucket, Key=name, Body=b"model")
    reader = store.client("models")
    assert reader.get_object(Bucket=bucket, Key=name)["Body"].read() == b"model"
    refused(lambda: reader.put_object(Bucket=bucket, Key=name, Body=b"tampered"))
    refused(lambda: reader.delete_object(Bucket=bucket, Key=name))
    refused(lambda: reader.create_bucket(Bucket="models-own"))
    refused(lambda: reader.list_objects_v2(Bucket=STORE_GRANTS["mlflow"].bucket))  # no registry
    assert reader.get_object(Bucket=bucket, Key=name)["Body"].read() == b"model"


def test_the_transfer_identity_reads_the_registry_and_cannot_change_it(store):
    registry = STORE_GRANTS["mlflow"].bucket
    assert TRANSFER_GRANT.reads == (registry,)
    name = key()
    store.client("mlflow").put_object(Bucket=registry, Key=name, Body=b"registered")
    transfer = store.client(TRANSFER_IDENTITY)
    assert transfer.get_object(Bucket=registry, Key=name)["Body"].read() == b"registered"
    assert any(o["Key"] == name for o in transfer.list_objects_v2(Bucket=registry)["Contents"])
    refused(lambda: transfer.put_object(Bucket=registry, Key=name, Body=b"tampered"))
    refused(lambda: transfer.delete_object(Bucket=registry, Key=name))
    refused(lambda: transfer.put_object(Bucket=registry, Key=key(), Body=b"new"))
    assert store.client("mlflow").get_object(Bucket=registry, Key=name)["Body"].read() == (
        b"registered"
    )


def test_nobody_administers_buckets_and_anonymous_requests_are_refused(store):
    for consumer in GRANTS:
        refused(
            lambda consumer=consumer: store.client(consumer).create_bucket(Bucket=f"x-{consumer}")
        )
        refused(
            lambda consumer=consumer: store.client(consumer).delete_bucket(
                Bucket=GRANTS[consumer].bucket
            )
        )
    import boto3

    anonymous = boto3.client(
        "s3",
        endpoint_url=store.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED),
    )
    refused(lambda: anonymous.list_objects_v2(Bucket=BUCKETS[0]))
    wrong_key = store.client("mlflow")
    wrong_key._request_signer._credentials.secret_key = "not-the-key"
    refused(lambda: wrong_key.list_objects_v2(Bucket=GRANTS["mlflow"].bucket))


def test_overwritten_objects_keep_their_earlier_versions(store):
    bucket = GRANTS["mlflow"].bucket
    client = store.client("mlflow")
    name = key()
    client.put_object(Bucket=bucket, Key=name, Body=b"first")
    client.put_object(Bucket=bucket, Key=name, Body=b"second")
    versions = client.list_object_versions(Bucket=bucket, Prefix=name)["Versions"]
    bodies = {
        client.get_object(Bucket=bucket, Key=name, VersionId=v["VersionId"])["Body"].read()
        for v in versions
    }
    assert bodies == {b"first", b"second"}


def test_objects_are_encrypted_on_the_volume(store):
    marker = f"plaintext-marker-{uuid.uuid4().hex}".encode() * 64
    store.client("notebooks").put_object(Bucket=GRANTS["notebooks"].bucket, Key=key(), Body=marker)
    files = [path for path in store.data_dir.rglob("*") if path.is_file()]
    assert sum(path.stat().st_size for path in files) >= len(marker)
    assert not any(marker[:64] in path.read_bytes() for path in files)


def test_keys_in_the_environment_never_reach_the_server():
    """`weed` would turn AWS_* keys in its environment into an admin identity."""
    from mlops.objectstore.server import server_environment

    kept = server_environment(
        {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "S3_BUCKET": "c", "PATH": "/bin"}
    )
    assert kept == {"PATH": "/bin"}
