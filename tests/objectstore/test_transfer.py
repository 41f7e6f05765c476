"""The model transfer of a promotion against the real store: the registered bytes are copied
into the released models with the transfer identity, verified on both sides; a tampered
registry copy is refused with nothing written; an identity without the grant cannot copy."""

import json
import uuid
from pathlib import Path

import pytest

from mlops.config.object_store import STORE_GRANTS, TRANSFER_GRANT, TRANSFER_IDENTITY
from mlops.errors import BadInputError, CheckFailedError
from mlops.objectstore.local import LocalStore
from mlops.promotion.transfer import (
    Destination,
    StoreAccess,
    TransferRefusedError,
    copy_segment,
    transfer,
)
from mlops.serving.digest import artifact_digest

REGISTRY = STORE_GRANTS["mlflow"].bucket
RELEASED = TRANSFER_GRANT.bucket
FILES = {"MLmodel": b"flavors: {}\n", "model.pkl": b"\x80\x04weights", "sub/conda.yaml": b"deps\n"}


def access(store: LocalStore, identity: str) -> StoreAccess:
    return StoreAccess(
        endpoint_url=store.url,
        access_key=identity,
        secret_key=store.keys[identity],
        region="us-east-1",
    )


def registered(store: LocalStore, tmp_path: Path) -> tuple[str, str, str]:
    """A model MLflow's identity wrote to the registry's bucket: (URI, digest, target prefix)."""
    run = uuid.uuid4().hex
    local = tmp_path / "model"
    for name, body in FILES.items():
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_bytes(body)
        store.client("mlflow").put_object(Bucket=REGISTRY, Key=f"{run}/model/{name}", Body=body)
    return f"s3://{REGISTRY}/{run}/model", artifact_digest(local), f"s3://{RELEASED}/{run}"


def released_keys(store: LocalStore, prefix: str) -> list[str]:
    bucket, _, key = prefix.removeprefix("s3://").partition("/")
    listed = store.client(TRANSFER_IDENTITY).list_objects_v2(Bucket=bucket, Prefix=key)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_the_registered_model_is_copied_verified_with_its_handover(store, tmp_path):
    source, digest, target = registered(store, tmp_path)
    identity = access(store, TRANSFER_IDENTITY)
    copied = transfer(
        source, digest, Destination(target, identity, identity), "credit-risk", "7",
        {"code_commit": "c" * 40},
    )  # fmt: skip
    named = f"credit-risk/7/sha256-{digest.removeprefix('sha256:')}"  # a copy names its bytes
    assert copied.target_uri == f"{target}/{named}/model"
    assert (copied.digest, copied.files) == (digest, len(FILES))
    assert copied.evidence()["identity"] == {
        "source": TRANSFER_IDENTITY,
        "target": TRANSFER_IDENTITY,
    }
    key = f"{target.removeprefix(f's3://{RELEASED}/')}/{named}"
    assert released_keys(store, target) == sorted(
        [f"{key}/handover.json"] + [f"{key}/model/{name}" for name in FILES]
    )
    reader = store.client("models")  # what the target's predictors read with
    handover = reader.get_object(Bucket=RELEASED, Key=f"{key}/handover.json")
    record = json.loads(handover["Body"].read())
    assert record == {"code_commit": "c" * 40, "model_digest": digest, "source_uri": source}
    body = reader.get_object(Bucket=RELEASED, Key=f"{key}/model/model.pkl")
    assert body["Body"].read() == FILES["model.pkl"]


def test_a_tampered_registry_copy_is_refused_and_nothing_is_written(store, tmp_path):
    source, digest, target = registered(store, tmp_path)
    run = source.removeprefix(f"s3://{REGISTRY}/").removesuffix("/model")
    store.client("mlflow").put_object(
        Bucket=REGISTRY, Key=f"{run}/model/model.pkl", Body=b"\x80\x04tampered"
    )
    identity = access(store, TRANSFER_IDENTITY)
    with pytest.raises(TransferRefusedError, match="differs from the registered"):
        transfer(source, digest, Destination(target, identity, identity), "credit-risk", "7", {})
    assert released_keys(store, target) == []


def test_the_copy_is_refused_when_the_target_holds_other_bytes(store, tmp_path):
    """A file left under the release's prefix changes what a predictor would load there."""
    source, digest, target = registered(store, tmp_path)
    key = f"{target.removeprefix(f's3://{RELEASED}/')}/credit-risk/7/{copy_segment(digest)}"
    writer = store.client(TRANSFER_IDENTITY)
    writer.put_object(Bucket=RELEASED, Key=f"{key}/model/extra.py", Body=b"x")
    identity = access(store, TRANSFER_IDENTITY)
    with pytest.raises(TransferRefusedError, match="the copy's digest"):
        transfer(source, digest, Destination(target, identity, identity), "credit-risk", "7", {})


@pytest.mark.parametrize("identity", ["models", "mlflow"])
def test_only_the_transfer_identity_can_copy(store, tmp_path, identity):
    """The model reader cannot read the registry; MLflow's identity cannot write released
    models: neither can stand in for the transfer."""
    source, digest, target = registered(store, tmp_path)
    other = access(store, identity)
    with pytest.raises(CheckFailedError, match="AccessDenied"):
        transfer(source, digest, Destination(target, other, other), "credit-risk", "7", {})
    assert released_keys(store, target) == []


def test_the_transfer_identity_is_taken_from_an_aws_profile(store, tmp_path, monkeypatch):
    """What CI sets: a profile per store, with its endpoint and the identity's keys (or role)."""
    source, digest, target = registered(store, tmp_path)
    config = tmp_path / "aws-config"
    config.write_text(
        f"[profile registry]\nendpoint_url = {store.url}\nregion = us-east-1\n"
        f"aws_access_key_id = {TRANSFER_IDENTITY}\n"
        f"aws_secret_access_key = {store.keys[TRANSFER_IDENTITY]}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    profile = StoreAccess(profile="registry")
    copied = transfer(source, digest, Destination(target, profile, profile), "m", "1", {})
    assert copied.target_identity == TRANSFER_IDENTITY
    missing = StoreAccess(profile="nowhere")
    with pytest.raises(BadInputError, match="source store: The config profile"):
        transfer(source, digest, Destination(target, missing, missing), "m", "1", {})


@pytest.mark.parametrize(
    "target", ["http://bucket/x", "s3://", "s3://bucket/a/../b", "s3://bucket/x?y=1", "released"]
)
def test_a_target_that_is_not_an_s3_location_is_bad_input(target):
    with pytest.raises(BadInputError, match="--transfer-to"):
        Destination(target, StoreAccess(), StoreAccess()).location()


DOCUMENTS = {"parameters_reference": b'{"C": 1.0}\n', "environment_spec": b"scikit-learn==1.8\n"}


def proxied(store: LocalStore, tmp_path: Path) -> tuple[str, str, dict[str, str], str]:
    """A model and handover documents as a proxying MLflow server keeps them: objects under its
    artifacts destination, registered as `mlflow-artifacts:/` URIs. Returns the model's URI, its
    digest, the handover fields naming the documents, and the target prefix."""
    source, digest, target = registered(store, tmp_path)
    run = source.removeprefix(f"s3://{REGISTRY}/").removesuffix("/model")
    fields = {"model_card": "https://mlflow.example/get-artifact?path=handover/model_card.md"}
    for field, body in DOCUMENTS.items():
        name = "params.json" if field == "parameters_reference" else "requirements.txt"
        key = f"{run}/handover/{name}"
        store.client("mlflow").put_object(Bucket=REGISTRY, Key=key, Body=body)
        fields[field] = f"mlflow-artifacts:/{key}"
    return f"mlflow-artifacts:/{run}/model", digest, fields, target


def test_a_proxied_registrys_model_and_documents_are_read_from_its_store(store, tmp_path):
    source, digest, fields, target = proxied(store, tmp_path)
    identity = access(store, TRANSFER_IDENTITY)
    destination = Destination(target, identity, identity, f"s3://{REGISTRY}")
    copied = transfer(source, digest, destination, "credit-risk", "8", fields)
    assert (copied.source_uri, copied.source_digest, copied.copy_digest) == (source, digest, digest)
    assert set(copied.documents) == set(DOCUMENTS)  # the web page stays where it is
    reader = store.client("models")
    for field, document in copied.documents.items():
        assert document.source_uri == fields[field]
        bucket, _, key = document.target_uri.removeprefix("s3://").partition("/")
        assert key.startswith(
            copied.target_uri.removeprefix(f"s3://{bucket}/").removesuffix("model")
        )
        assert reader.get_object(Bucket=bucket, Key=key)["Body"].read() == DOCUMENTS[field]
    recorded = copied.evidence()["documents"]
    assert recorded["environment_spec"]["source_uri"] == fields["environment_spec"]


def test_a_proxied_uri_needs_the_registrys_root_and_stays_under_it(store, tmp_path):
    source, digest, fields, target = proxied(store, tmp_path)
    identity = access(store, TRANSFER_IDENTITY)
    with pytest.raises(BadInputError, match="set MLOPS_TRANSFER_SOURCE_ROOT"):
        transfer(source, digest, Destination(target, identity, identity), "m", "1", fields)
    rooted = Destination(target, identity, identity, f"s3://{REGISTRY}")
    with pytest.raises(BadInputError, match="not a path under the registry's store"):
        transfer("mlflow-artifacts:/../other/model", digest, rooted, "m", "1", fields)
    with pytest.raises(BadInputError, match="MLOPS_TRANSFER_SOURCE_ROOT"):
        Destination(target, identity, identity, "https://registry.example").check()
    assert released_keys(store, target) == []


def test_a_missing_handover_document_is_refused_before_anything_is_written(store, tmp_path):
    """Every source read comes before the first write: a document the registry lacks stops
    the copy with the target untouched (the model itself was fine)."""
    source, digest, fields, target = proxied(store, tmp_path)
    fields["environment_spec"] += ".missing"
    identity = access(store, TRANSFER_IDENTITY)
    with pytest.raises(CheckFailedError, match="reading the handover's environment_spec"):
        transfer(source, digest, Destination(target, identity, identity, f"s3://{REGISTRY}"),
                 "credit-risk", "9", fields)  # fmt: skip
    assert released_keys(store, target) == []
