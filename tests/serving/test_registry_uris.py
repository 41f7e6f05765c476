"""A model named by `models:/` is read from where the registry stores it, byte for byte: MLflow's
own `models:/` download adds a `registered_model_meta` file, which would change the digest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mlops.errors import BadInputError
from mlops.gates.registry import MlflowRegistry
from mlops.serving.artifact import load, local_path
from mlops.serving.digest import artifact_digest
from tests.serving.conftest import training_frame


@contextmanager
def tracking_uri(uri: str) -> Iterator[None]:
    """MLflow configured as a fresh `mlops serve` process is: by MLFLOW_TRACKING_URI and
    MLFLOW_REGISTRY_URI only. Other tests in this process set MLflow's process-wide URIs
    (`mlflow.set_registry_uri` also writes the environment), so both are held here and restored."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracking_utils, "_tracking_uri", None)
        patch.setattr(registry_utils, "_registry_uri", None)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.setenv("MLFLOW_REGISTRY_URI", uri)
        yield


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> tuple[str, str, Path]:
    """(tracking URI, logged-model source of version 1, the stored artifact directory)."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("registry")
    tracking = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    experiment = client.create_experiment("models", artifact_location=str(root / "artifacts"))
    frame = training_frame(rows=40)
    model = LogisticRegression().fit(frame, (frame.income > 50).astype(int))
    with tracking_uri(tracking):  # a logged model's id resolves in the process-wide store
        with mlflow.start_run(experiment_id=experiment):
            info = mlflow.sklearn.log_model(
                model, name="model", serialization_format="cloudpickle", pip_requirements=[]
            )
        client.create_registered_model("credit")
        version = client.create_model_version("credit", info.model_uri, model_id=info.model_id)
    stored = Path(client.get_logged_model(info.model_id).artifact_location)
    assert version.source == info.model_uri and info.model_uri.startswith("models:/m-")
    return tracking, version.source, stored


@pytest.mark.parametrize("uri", ["models:/credit/1", "source"])
def test_serving_reads_the_stored_artifact_unaltered(registered, uri):
    tracking, source, stored = registered
    uri = source if uri == "source" else uri
    with tracking_uri(tracking):
        path = local_path(uri)
        loaded = load(uri, artifact_digest(stored))  # `mlops serve --expected-digest` passes
    assert not (path / "registered_model_meta").exists()
    assert artifact_digest(path) == artifact_digest(stored) == loaded.digest


def test_the_gates_digest_the_registered_source_unaltered(registered):
    tracking, source, stored = registered
    path = MlflowRegistry(tracking).local_artifact(source)
    assert artifact_digest(path) == artifact_digest(stored)


def test_an_unknown_registered_model_is_bad_input(registered):
    with (
        tracking_uri(registered[0]),
        pytest.raises(BadInputError, match="models:/nope/3: not found in the model registry"),
    ):
        local_path("models:/nope/3")


def test_a_proxied_artifact_is_asked_of_the_tracking_server_not_read_as_a_path(tmp_path):
    """`mlflow-artifacts:/` (what a server that serves artifacts hands out) has no `//`: it was
    once taken for a relative path."""
    from mlflow.tracking._tracking_service import utils as tracking_utils

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracking_utils, "_tracking_uri", None)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.chdir(tmp_path)
        with pytest.raises(BadInputError, match="needs a tracking server"):
            local_path("mlflow-artifacts:/1/models/m-1/artifacts")
