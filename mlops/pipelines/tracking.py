"""MLflow set-up for pipelines: an explicit tracking URI and a local artifact root, so a local
run writes only into its work directory (telemetry is off: see `mlops.pipelines`)."""

from __future__ import annotations

from pathlib import Path

import mlflow
from mlflow import MlflowClient

from mlops.errors import BadInputError

ALLOWED = "sqlite:///PATH, postgresql://..., mysql://..., http(s)://HOST, file:///PATH"


def local_uri(workdir: Path) -> str:
    """The default store of a local run: SQLite inside the work directory."""
    return f"sqlite:///{workdir.resolve() / 'mlflow.db'}"


def local_artifact_root(tracking_uri: str) -> Path | None:
    """Beside a SQLite store, `mlartifacts/`; None for servers (they choose their own root)."""
    if tracking_uri.startswith("sqlite:///"):
        return Path(tracking_uri.removeprefix("sqlite:///")).parent / "mlartifacts"
    return None


def connect(tracking_uri: str) -> MlflowClient:
    """Point MLflow (tracking and registry) at `tracking_uri` and return a client."""
    if not tracking_uri.startswith(
        ("sqlite:///", "postgresql://", "mysql://", "http://", "https://", "file:///")
    ):
        raise BadInputError(
            f"--tracking-uri: {tracking_uri!r} is not supported; allowed: {ALLOWED}"
        )
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def experiment_id(client: MlflowClient, name: str, artifact_root: Path | None) -> str:
    """The experiment's id, created on first use (with its artifacts under `artifact_root` when
    given, so a local run writes nothing outside its work directory)."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = artifact_root.resolve().as_uri() if artifact_root else None
    return client.create_experiment(name, artifact_location=location)
