"""The model registry as the gates and promotion see it: MLflow.

Only what a gate or a promotion needs: a model version with its tags and source, which version
holds an alias, moving an alias, and a local copy of the artifact to digest. A tracking server
(`http(s)://`, what CI and the platform use) is read through MLflow's REST API with httpx; a
database URI (`sqlite:///`, `postgresql://`) through the MLflow client, imported on first use
because importing MLflow costs seconds.
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
            os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
            from mlflow.tracking import MlflowClient

            # registry_uri too: otherwise MLflow takes the process-wide one (mlflow.set_registry_uri)
            self._client = MlflowClient(
                tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
            )
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
        """A local path holding the artifact: file URIs directly, anything else downloaded
        (a `models:/` source from where this registry stores it, unaltered)."""
        if source.startswith("models:/"):
            from mlops.serving.artifact import registry_storage_uri

            source = registry_storage_uri(source, self.client)
        parsed = urlparse(source)
        if parsed.scheme in ("", "file"):
            return Path(unquote(parsed.path))
        import mlflow.artifacts

        return Path(
            mlflow.artifacts.download_artifacts(artifact_uri=source, tracking_uri=self.tracking_uri)
        )


class RestRegistry:
    """An MLflow tracking server through its REST API (auth as MLflow's own client reads it:
    $MLFLOW_TRACKING_TOKEN, or $MLFLOW_TRACKING_USERNAME and $MLFLOW_TRACKING_PASSWORD)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        auth = None
        headers = {}
        if os.environ.get("MLFLOW_TRACKING_TOKEN"):
            headers["Authorization"] = f"Bearer {os.environ['MLFLOW_TRACKING_TOKEN']}"
        elif os.environ.get("MLFLOW_TRACKING_USERNAME"):
            auth = (
                os.environ["MLFLOW_TRACKING_USERNAME"],
                os.environ.get("MLFLOW_TRACKING_PASSWORD", ""),
            )
        self._http = httpx.Client(
            base_url=self.base_url + "/api/2.0/mlflow", headers=headers, auth=auth, timeout=timeout
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
        """The JSON answer, or None when MLflow says the resource does not exist."""
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise RegistryUnavailableError(f"{self.base_url}: {error}") from None
        if response.status_code == 404 or (
            response.status_code == 400 and "not found" in response.text  # a missing alias
        ):
            return None
        if response.status_code >= 300:
            raise RegistryUnavailableError(
                f"{self.base_url}{path}: HTTP {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    @staticmethod
    def _version(data: dict[str, Any]) -> ModelVersion:
        return ModelVersion(
            name=data["name"],
            version=str(data["version"]),
            source=data.get("source", ""),
            run_id=data.get("run_id") or None,
            tags={tag["key"]: tag.get("value", "") for tag in data.get("tags", [])},
            aliases=tuple(data.get("aliases", [])),
        )

    def model_version(self, name: str, version: str) -> ModelVersion | None:
        data = self._call("GET", "/model-versions/get", params={"name": name, "version": version})
        return self._version(data["model_version"]) if data else None

    def version_by_alias(self, name: str, alias: str) -> str | None:
        data = self._call("GET", "/registered-models/alias", params={"name": name, "alias": alias})
        return str(data["model_version"]["version"]) if data else None

    def set_alias(self, name: str, alias: str, version: str) -> None:
        body = {"name": name, "alias": alias, "version": version}
        if self._call("POST", "/registered-models/alias", json=body) is None:
            raise BadInputError(f"MLflow: no model version {name}/{version} to alias {alias}")

    def local_artifact(self, source: str) -> Path:
        parsed = urlparse(source)
        if parsed.scheme in ("", "file"):
            return Path(unquote(parsed.path))
        return MlflowRegistry(self.base_url).local_artifact(source)


class RegistryUnavailableError(Exception):
    """The tracking server could not be reached or failed (not a caller mistake)."""


def registry_from(uri: str | None) -> Registry:
    """`--tracking-uri`, else $MLFLOW_TRACKING_URI; no silent default to a local ./mlruns."""
    chosen = uri or os.environ.get(TRACKING_ENV)
    if not chosen:
        raise BadInputError(
            f"--tracking-uri: not given and {TRACKING_ENV} not set; "
            "allowed: sqlite:///PATH, http(s)://HOST"
        )
    if chosen.startswith(("http://", "https://")):
        return RestRegistry(chosen)
    return MlflowRegistry(chosen)
