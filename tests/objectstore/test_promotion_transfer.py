"""`mlops promote` with a transfer destination on the scratch world and the real store: the
promotion commit names the copy in the target's released models, pinned by its digest, and the
copy is evidence in the audit log; a registry copy that is not the registered one stops the
promotion with nothing written, to the repository or to the target."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mlops.config.object_store import TRANSFER_GRANT, TRANSFER_IDENTITY
from mlops.gates import evidence_names as names
from mlops.gates.check import check_descriptor
from mlops.governance.entry import Subject
from mlops.objectstore.local import LocalStore
from mlops.promotion.promote import promote
from mlops.promotion.transfer import Destination, StoreAccess, TransferRefusedError
from tests.gates.scenario import MODEL, World, run_git

RELEASED = TRANSFER_GRANT.bucket


def destination(store: LocalStore, prefix: str) -> Destination:
    writer = StoreAccess(
        endpoint_url=store.url,
        access_key=TRANSFER_IDENTITY,
        secret_key=store.keys[TRANSFER_IDENTITY],
        region="us-east-1",
    )
    return Destination(f"s3://{RELEASED}/{prefix}", StoreAccess(), writer)


def registered_locally(world: World) -> tuple[str, Path]:
    """A version whose registry copy and handover documents are local files (as in an MLflow
    server over a local artifact root)."""
    artifact_root = world.root / "artifacts" / MODEL
    count = len(list(artifact_root.iterdir())) if artifact_root.is_dir() else 0
    artifact = artifact_root / str(count + 1) / "model"
    handover = artifact.parent / "handover"
    handover.mkdir(parents=True)
    (handover / "params.json").write_text('{"C": 1.0}\n')
    (handover / "requirements.txt").write_text("scikit-learn==1.8\n")
    version = world.register(
        storage_uri=artifact.as_uri(),
        parameters_reference=(handover / "params.json").as_uri(),
        environment_spec=(handover / "requirements.txt").as_uri(),
    )
    world.training_evidence(version)
    return version, artifact


def test_the_promotion_names_the_verified_copy_and_records_it(world: World, store, tmp_path):
    version, artifact = registered_locally(world)
    prefix = tmp_path.name
    outcome = promote(world.repo, MODEL, version, "dev", world.factory(),
                      destination=destination(store, prefix))  # fmt: skip
    copied = outcome.transferred
    assert copied is not None and copied.source_uri == artifact.as_uri()
    release = yaml.safe_load(world.descriptor("dev", ref=outcome.branch))
    assert release["storage_uri"] == copied.target_uri
    beside = copied.target_uri.removesuffix("/model")  # the documents travel with the model
    assert release["parameters_reference"] == f"{beside}/handover/params.json"
    assert release["environment_spec"] == f"{beside}/handover/requirements.txt"
    assert release["model_card"].startswith("https://")  # a web page is not copied
    assert copied.target_uri.startswith(f"s3://{RELEASED}/{prefix}/{MODEL}/{version}/sha256-")
    assert release["model_digest"] == copied.digest == world.tags(MODEL, version)["model_digest"]
    (entry,) = world.audit.query(
        Subject(model=MODEL, version=version, environment="dev"), names.PROMOTION_TRANSFER
    )
    assert entry.seq == outcome.transfer_entry
    assert entry.value["target_uri"] == copied.target_uri
    assert entry.value["measured_digest"] == {"source": copied.digest, "copy": copied.digest}
    assert entry.value["identity"]["target"] == TRANSFER_IDENTITY
    assert entry.artifacts == {names.ARTIFACT_MODEL: copied.digest}
    message = run_git(world.repo, "log", "-1", "--format=%B", outcome.branch)
    assert f"Model-Transfer: {artifact.as_uri()} -> {copied.target_uri}" in message
    key = copied.target_uri.removeprefix(f"s3://{RELEASED}/") + "/model.bin"
    served = store.client("models").get_object(Bucket=RELEASED, Key=key)["Body"].read()
    assert served == (artifact / "model.bin").read_bytes()


def test_ci_accepts_only_the_recorded_copy(world: World, store, tmp_path):
    """CI's re-check of the descriptor: the copies pass because the audit log records them; any
    other storage URI or document (one no verified transfer wrote) fails."""
    version, _ = registered_locally(world)
    outcome = promote(world.repo, MODEL, version, "dev", world.factory(),
                      destination=destination(store, tmp_path.name))  # fmt: skip
    assert outcome.transferred is not None
    run_git(world.repo, "checkout", "--quiet", outcome.branch)
    path = Path("gitops/envs/dev/models/credit-risk.yaml")
    ci = check_descriptor(path, world.context(), "ci", None)
    assert ci.passed, [c for c in ci.checks if not c.passed]
    descriptor = world.repo / path
    descriptor.write_text(
        descriptor.read_text().replace(outcome.transferred.target_uri, "s3://elsewhere/model")
    )
    forged = check_descriptor(path, world.context(), "ci", None)
    assert [c.name for c in forged.checks if not c.passed] == ["descriptor.storage_uri"]
    params = outcome.transferred.documents["parameters_reference"].target_uri
    descriptor.write_text(descriptor.read_text().replace(params, "s3://elsewhere/params.json"))
    forged = check_descriptor(path, world.context(), "ci", None)
    assert [c.name for c in forged.checks if not c.passed] == [
        "descriptor.storage_uri",
        "descriptor.parameters_reference",
    ]


def test_a_tampered_registry_copy_stops_the_promotion(world: World, store, tmp_path):
    """The handover's copy differs from the registered bytes (the gate, which reads the
    version's own source, passes): the transfer refuses it."""
    version, artifact = registered_locally(world)
    handed_over = tmp_path / "handed-over" / "model"
    shutil.copytree(artifact, handed_over)
    (handed_over / "model.bin").write_bytes(b"tampered")
    world.registry.client.set_model_version_tag(
        MODEL, version, names.HANDOVER_TAG_PREFIX + "storage_uri", handed_over.as_uri()
    )
    head = run_git(world.repo, "rev-parse", "HEAD")
    with pytest.raises(TransferRefusedError, match="differs from the registered"):
        promote(world.repo, MODEL, version, "dev", world.factory(),
                destination=destination(store, tmp_path.name))  # fmt: skip
    assert run_git(world.repo, "rev-parse", "HEAD") == head
    assert run_git(world.repo, "branch", "--format=%(refname:short)").split() == ["main"]
    listed = store.client(TRANSFER_IDENTITY).list_objects_v2(Bucket=RELEASED, Prefix=tmp_path.name)
    assert listed.get("KeyCount", 0) == 0
    assert not world.audit.query(Subject(model=MODEL, version=version), names.PROMOTION_TRANSFER)
