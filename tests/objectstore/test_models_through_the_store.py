"""A model's way through the real store, as in the cluster: MLflow's server writes artifacts
with its own identity (proxied artifacts), the model is registered, the promotion's transfer
copies it into the released models, and the predictor pulls the copy with the model reader's
read-only identity and serves it only at the registered digest."""

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlops.config.object_store import TRANSFER_GRANT, TRANSFER_IDENTITY
from mlops.demo.processes import Supervisor, free_port
from mlops.demo.services import child_env
from mlops.errors import CheckFailedError
from mlops.objectstore.local import LocalStore
from mlops.promotion.transfer import Destination, StoreAccess, transfer
from mlops.serving.digest import artifact_digest
from tests.objectstore.conftest import GRANTS

MODEL = "store-check"
ROW = {"income": 9.0, "debt": 0.1}


def identity_env(store: LocalStore, consumer: str) -> dict[str, str]:
    """The environment a consumer's pod gets from its key Secret and the store's endpoint."""
    return {
        **child_env(),
        "AWS_ACCESS_KEY_ID": consumer,
        "AWS_SECRET_ACCESS_KEY": store.keys[consumer],
        "AWS_DEFAULT_REGION": "us-east-1",
        "MLFLOW_S3_ENDPOINT_URL": store.url,
        "AWS_ENDPOINT_URL": store.url,
    }


@pytest.fixture(scope="module")
def supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervisor]:
    running = Supervisor(tmp_path_factory.mktemp("processes") / "state.json")
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def registered(store, supervisor, tmp_path_factory) -> tuple[str, str, list[int]]:
    """(s3 URI of version 1 of MODEL, its digest, its prediction for ROW), logged through an
    MLflow server whose artifacts go to the store with the mlflow identity."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    workdir = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    bucket = GRANTS["mlflow"].bucket
    argv = [sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
            "--artifacts-destination", f"s3://{bucket}", "--serve-artifacts",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]  # fmt: skip
    service = supervisor.start(
        "mlflow", argv, workdir / "mlflow.log", url=url, health=f"{url}/health",
        env=identity_env(store, "mlflow"), cwd=workdir,
    )  # fmt: skip
    supervisor.wait_ready(service)
    import pandas as pd

    frame = pd.DataFrame({"income": [1.0, 5.0, 2.0, 8.0], "debt": [4.0, 1.0, 3.0, 0.5]})
    model = LogisticRegression().fit(frame, [1, 0, 1, 0])
    local = workdir / "model"
    mlflow.sklearn.save_model(model, local, input_example=frame.head(1))
    mlflow.set_tracking_uri(url)
    client = mlflow.MlflowClient(url)
    experiment = client.create_experiment("store-check")
    run = client.create_run(experiment)
    client.log_artifacts(run.info.run_id, str(local), "model")
    client.create_registered_model(MODEL)
    source = f"{client.get_run(run.info.run_id).info.artifact_uri}/model"
    version = client.create_model_version(MODEL, source, run.info.run_id)
    stored = client.get_model_version_download_uri(MODEL, version.version)
    assert stored.startswith("mlflow-artifacts:/")
    expected = [int(label) for label in model.predict(pd.DataFrame([ROW]))]
    return (
        stored.replace("mlflow-artifacts:/", f"s3://{bucket}/", 1),
        artifact_digest(local),
        expected,
    )


def start_predictor(supervisor, store, workdir: Path, uri: str, digest: str):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "mlops", "serve", "--model-uri", uri, "--name", MODEL,
            "--expected-digest", digest, "--port", str(port)]  # fmt: skip
    service = supervisor.start(
        "predictor", argv, workdir / f"predictor-{port}.log", url=url,
        health=f"{url}/v2/health/ready", env=identity_env(store, "models"), cwd=workdir,
    )  # fmt: skip
    return service, url


@pytest.fixture(scope="module")
def released(store, registered) -> tuple[str, str, list[int]]:
    """The registered model as a promotion copies it: (its URI in the released models, its
    digest, its prediction for ROW)."""
    source, digest, expected = registered
    identity = StoreAccess(
        endpoint_url=store.url,
        access_key=TRANSFER_IDENTITY,
        secret_key=store.keys[TRANSFER_IDENTITY],
        region="us-east-1",
    )
    copied = transfer(
        source, digest, Destination(f"s3://{TRANSFER_GRANT.bucket}/promoted", identity, identity),
        MODEL, "1", {"registry_model": MODEL},
    )  # fmt: skip
    assert copied.source_uri == source and copied.digest == digest
    return copied.target_uri, digest, expected


def test_the_predictor_serves_the_released_copy_read_with_the_reader_identity(
    store, supervisor, released, tmp_path
):
    uri, digest, expected = released
    service, url = start_predictor(supervisor, store, tmp_path, uri, digest)
    supervisor.wait_ready(service)
    answer = httpx.post(
        f"{url}/v1/models/{MODEL}:predict",
        json={"instances": [ROW]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == expected
    supervisor.stop(service)


def test_the_predictor_refuses_the_model_at_another_digest(store, supervisor, released, tmp_path):
    uri, _, _ = released
    service, _ = start_predictor(supervisor, store, tmp_path, uri, "sha256:" + "0" * 64)
    with pytest.raises(CheckFailedError, match="exited with 1"):
        supervisor.wait_ready(service, timeout=120)
    supervisor.stop(service)
