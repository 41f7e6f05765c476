"""The model registry as the gates and promotion see it: MLflow, read through its client.

Only what a gate or a promotion needs: a model version with its tags and source, which version
holds an alias, moving an alias, and a local copy of the artifact to digest. MLflow is imported
on first use, because importing it costs seconds and most commands never touch the registry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from mlops.errors import BadInputError

TRACKING_ENV = "MLFLOW_TRACKING_URI"


@dataclass(frozen=True)
class ModelVersion:
    """One registered model version: its source artifact and tags (the handover fields)."""

    name: str
    version: str
    source: str
    run_id: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


class Registry(Protocol):
    def model_version(self, name: str, version: str) -> ModelVersion | None: ...

    def version_by_alias(self, name: str, alias: str) -> str | None: ...

    def set_alias(self, name: str, alias: str, version: str) -> None: ...

    def local_artifact(self, source: str) -> Path: ...


class MlflowRegistry:
    """The MLflow model registry at a tracking URI (sqlite:///..., http(s)://...)."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def model_version(self, name: str, version: str) -> ModelVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version(name, version)
        except MlflowException:
            return None
        return ModelVersion(
            name=mv.name,
            version=str(mv.version),
            source=mv.source,
            run_id=mv.run_id,
            tags=dict(mv.tags or {}),
            aliases=tuple(mv.aliases or ()),
        )

    def version_by_alias(self, name: str, alias: str) -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            return None

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(name, alias, version)

    def local_artifact(self, source: str) -> Path:
        """A local path holding the artifact: file URIs directly, anything else downloaded."""
        parsed = urlparse(source)
        if parsed.scheme in ("", "file"):
            return Path(unquote(parsed.path))
        import mlflow.artifacts

        return Path(
            mlflow.artifacts.download_artifacts(artifact_uri=source, tracking_uri=self.tracking_uri)
        )


def registry_from(uri: str | None) -> MlflowRegistry:
    """`--tracking-uri`, else $MLFLOW_TRACKING_URI; no silent default to a local ./mlruns."""
    chosen = uri or os.environ.get(TRACKING_ENV)
    if not chosen:
        raise BadInputError(
            f"--tracking-uri: not given and {TRACKING_ENV} not set; "
            "allowed: sqlite:///PATH, http(s)://HOST"
        )
    return MlflowRegistry(chosen)
