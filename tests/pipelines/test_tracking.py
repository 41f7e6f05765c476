"""MLflow set-up: explicit URIs only, artifacts inside the work directory, telemetry off."""

import os
from pathlib import Path

import pytest

from mlops.errors import BadInputError
from mlops.pipelines import tracking


def test_telemetry_and_uv_export_are_off() -> None:
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert os.environ["MLFLOW_UV_AUTO_DETECT"] == "false"


def test_local_uri_is_sqlite_in_the_workdir(tmp_path: Path) -> None:
    assert tracking.local_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlflow.db"


@pytest.mark.parametrize("uri", ["mlruns", "databricks", "s3://bucket/x", ""])
def test_refuses_implicit_or_unknown_stores(uri: str) -> None:
    with pytest.raises(BadInputError, match=r"--tracking-uri: .* is not supported; allowed"):
        tracking.connect(uri)


def test_experiment_artifacts_live_in_the_workdir(store) -> None:
    client = tracking.connect(store.tracking_uri)
    first = tracking.experiment_id(client, "tracking-test", store.workdir / "mlartifacts")
    assert tracking.experiment_id(client, "tracking-test", None) == first
    location = client.get_experiment(first).artifact_location
    assert location == (store.workdir / "mlartifacts").resolve().as_uri()


def test_local_artifact_root_is_beside_the_sqlite_file(tmp_path: Path) -> None:
    uri = tracking.local_uri(tmp_path)
    assert tracking.local_artifact_root(uri) == tmp_path.resolve() / "mlartifacts"
    assert tracking.local_artifact_root("https://mlflow.example") is None
