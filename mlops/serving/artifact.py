"""Locating, verifying and loading the model artifact that a predictor or a batch job serves.

Verification comes before loading: an artifact whose digest differs from the release
descriptor's is refused, so nothing but the reviewed, promoted bytes ever answers a request.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from mlops.errors import BadInputError, CheckFailedError
from mlops.serving.digest import artifact_digest, normalize_digest


class DigestMismatchError(CheckFailedError):
    """The artifact is not the one the release descriptor names; the predictor will not start."""


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    digest: str
    pyfunc: Any
    columns: list[str] | None
    float_columns: frozenset[str] = frozenset()

    def inputs(self, frame: pd.DataFrame, source: object) -> pd.DataFrame:
        """The columns of `frame` the model takes, in its order (all of them when its signature
        names none); a missing one is bad input naming `source`."""
        if not self.columns:
            return frame
        missing = [column for column in self.columns if column not in frame.columns]
        if missing:
            raise BadInputError(
                f"{source}: missing the model's inputs {', '.join(missing)}; "
                f"it takes: {', '.join(self.columns)}"
            )
        return frame[self.columns]

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """JSON has no int/float distinction: widen integer columns the signature declares
        as floating point, so `30` is accepted where the model takes `30.0`."""
        widen = [
            c for c in self.float_columns if c in frame.columns and frame[c].dtype.kind in "iu"
        ]
        return frame.astype(dict.fromkeys(widen, "float64")) if widen else frame


def registry_storage_uri(uri: str, client: Any) -> str:
    """Where the artifact behind a `models:/` URI (name/version, name@alias or a logged model id)
    is stored, asked of `client`'s registry. Downloading through `models:/` itself writes a
    `registered_model_meta` file into the copy, whose digest is then not the registered one."""
    from mlflow.store.artifact.utils.models import get_model_name_and_version

    try:
        found = get_model_name_and_version(client, uri)
        if len(found) == 1:
            return str(client.get_logged_model(found[0]).artifact_location)
        return str(client.get_model_version_download_uri(*found))
    except Exception as error:  # MLflow raises several kinds; all mean "no such model"
        raise BadInputError(f"{uri}: not found in the model registry: {error}") from None


def local_path(uri: str) -> Path:
    """A local path or `file://` URI as is; any other MLflow-readable URI (models:/, runs:/,
    mlflow-artifacts:/ through the tracking server, s3://, gs://) is downloaded with MLflow into a temporary directory first, a `models:/` one
    from where the registry stores it. `models:/` and `runs:/` need a tracking server named:
    MLflow's fallback would create an empty `mlflow.db` in the current directory."""
    if uri.startswith(("models:/", "runs:/", "mlflow-artifacts:")):
        from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

        if not is_tracking_uri_set():
            raise BadInputError(
                f"{uri}: needs a tracking server; allowed: set MLFLOW_TRACKING_URI, or give a "
                "local path, file:// or s3:// URI"
            )
    if uri.startswith("models:/"):
        from mlflow import MlflowClient

        uri = registry_storage_uri(uri, MlflowClient())
    scheme = urlsplit(uri).scheme
    if scheme == "file":
        path = Path(uri.removeprefix("file://"))
    elif not scheme:
        path = Path(uri)
    else:
        import mlflow.artifacts

        try:
            target = tempfile.mkdtemp(prefix="mlops-model-")
            return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=target))
        except Exception as error:
            raise BadInputError(f"{uri}: cannot download the model: {error}") from None
    if not path.exists():
        raise BadInputError(f"{uri}: no such model artifact")
    return path


def verify(path: Path, expected: str | None) -> str:
    """The artifact's digest; DigestMismatchError when an expected digest is given and differs."""
    actual = artifact_digest(path)
    if expected is not None and actual != normalize_digest(expected, "expected digest"):
        raise DigestMismatchError(
            f"{path}: artifact digest {actual} differs from the release's "
            f"{normalize_digest(expected)}; refusing to serve it"
        )
    return actual


def load(uri: str, expected_digest: str | None) -> LoadedModel:
    """Locate, verify, then load an MLflow pyfunc model."""
    path = local_path(uri)
    digest = verify(path, expected_digest)
    if not (path / "MLmodel").is_file():
        raise BadInputError(f"{uri}: not an MLflow model directory (no MLmodel file)")
    import mlflow.pyfunc

    pyfunc = mlflow.pyfunc.load_model(str(path))
    signature = pyfunc.metadata.get_input_schema()
    columns = None
    floats: frozenset[str] = frozenset()
    if signature is not None and signature.has_input_names():
        columns = [str(name) for name in signature.input_names()]
        floats = frozenset(
            str(spec.name)
            for spec in signature.inputs
            if str(getattr(spec, "type", "")) in ("DataType.double", "DataType.float")
        )
    return LoadedModel(
        path=path, digest=digest, pyfunc=pyfunc, columns=columns, float_columns=floats
    )
