"""Every MLOPS_* setting the platform reads from the environment, in one typed place (after
mlflow's `environment_variables.py`). Code reads a setting through its `Setting` (`.get()`, or
`.name` for a CLI option's `envvar`), never by spelling the name; the README's "Settings" table
lists exactly these (tests/config/test_environment.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar, overload

from mlops.errors import BadInputError

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: its name, what it is for, the values it takes and its type."""

    name: str
    doc: str
    allowed: str
    parse: Callable[[str], T]

    @overload
    def get(self) -> T | None: ...
    @overload
    def get(self, default: T) -> T: ...
    def get(self, default: T | None = None) -> T | None:
        """The typed value; `default` when unset or empty. A value that does not parse is bad
        input naming the variable and what it allows."""
        raw = os.environ.get(self.name, "")
        if not raw:
            return default
        try:
            return self.parse(raw)
        except ValueError:
            raise BadInputError(f"{self.name}={raw!r}: allowed: {self.allowed}") from None


def _text(raw: str) -> str:
    return raw


def _path(raw: str) -> Path:
    return Path(raw)


AUDIT = Setting(
    "MLOPS_AUDIT",
    "the evidence log every command reads or writes (`--audit`)",
    "a file path, sqlite:///PATH, postgresql://... or http(s)://AUDIT-API",
    _text,
)
AUDIT_TOKEN = Setting(
    "MLOPS_AUDIT_TOKEN",
    "bearer token for the Audit API (`--audit-token`)",
    "a token listed in the service's tokens file",
    _text,
)
AUDIT_TOKEN_FILE = Setting(
    "MLOPS_AUDIT_TOKEN_FILE",
    "a file holding the bearer token for the Audit API, where `MLOPS_AUDIT_TOKEN` is unset",
    "a file path (a mounted Secret's key)",
    _path,
)
AUDIT_TOKENS_FILE = Setting(
    "MLOPS_AUDIT_TOKENS_FILE",
    "the Audit API's tokens, mounted from a Secret",
    "a JSON file mapping sha256(token) hex to a role or roles",
    _path,
)
AUDIT_SIGNING_KEY_FILE = Setting(
    "MLOPS_AUDIT_SIGNING_KEY_FILE",
    "the key that signs checkpoints, bundles and certificates (`--key`)",
    "an Ed25519 PKCS#8 PEM private key file",
    _path,
)
AUDIT_CERTIFICATION_KEY_FILE = Setting(
    "MLOPS_AUDIT_CERTIFICATION_KEY_FILE",
    "the certification body's own key, never the log's (`--certification-key`)",
    "an Ed25519 PKCS#8 PEM private key file",
    _path,
)
AUDIT_PUBLIC_MODELS = Setting(
    "MLOPS_AUDIT_PUBLIC_MODELS",
    "models whose quality record the Audit API shows without a token",
    "comma-separated model names (default: none)",
    _text,
)
AUDIT_PUBLIC_SECTIONS = Setting(
    "MLOPS_AUDIT_PUBLIC_SECTIONS",
    "what the public quality record shows",
    "comma-separated: model_card, certificates, gates (default: all three)",
    _text,
)
MODEL_URI = Setting(
    "MLOPS_MODEL_URI",
    "the model the predictor serves (`mlops serve --model-uri`)",
    "a directory, file://, models:/, runs:/ or s3:// URI (image: /mnt/models)",
    _text,
)
MODEL_NAME = Setting(
    "MLOPS_MODEL_NAME", "model name in the URL paths", "a registered model name", _text
)
MODEL_VERSION = Setting(
    "MLOPS_MODEL_VERSION", "registry version served", "a registry version", _text
)
MODEL_SHA256 = Setting(
    "MLOPS_MODEL_SHA256",
    "expected artifact digest: the predictor exits 1 on a mismatch",
    "64 hex digits",
    _text,
)
ENVIRONMENT = Setting(
    "MLOPS_ENVIRONMENT",
    "the environment a predictor or job runs in, recorded with its evidence",
    "local, dev, int or prod",
    _text,
)
HTTP_HOST = Setting(
    "MLOPS_HTTP_HOST",
    "the predictor's listen address (image: 0.0.0.0)",
    "an IP address (default 127.0.0.1)",
    _text,
)
HTTP_PORT = Setting("MLOPS_HTTP_PORT", "the predictor's HTTP port", "1-65535 (default 8080)", int)
MAX_REQUEST_BYTES = Setting(
    "MLOPS_MAX_REQUEST_BYTES",
    "largest request body the predictor reads; larger ones get 413",
    "a positive integer (default 8 MiB)",
    int,
)
REQUEST_LOG = Setting(
    "MLOPS_REQUEST_LOG",
    "where the predictor logs requests",
    "s3://BUCKET/PREFIX (the platform's store), http(s)://collector (CloudEvents), "
    "sqlite:///PATH or PATH.jsonl",
    _text,
)
REQUEST_LOG_DURABILITY = Setting(
    "MLOPS_REQUEST_LOG_DURABILITY",
    "when a logged request is written",
    "sync (before the answer, default) or buffered",
    _text,
)
REQUEST_LOG_FLUSH_SECONDS = Setting(
    "MLOPS_REQUEST_LOG_FLUSH_SECONDS",
    "how often a buffered request log writes a batch (one object on s3://)",
    "seconds (default 0.05)",
    float,
)
REQUEST_LOG_SAMPLE_RATE = Setting(
    "MLOPS_REQUEST_LOG_SAMPLE_RATE", "share of requests logged", "0.0-1.0 (default 1.0)", float
)
REQUEST_LOG_MASK = Setting(
    "MLOPS_REQUEST_LOG_MASK",
    "input fields masked in the request log",
    "comma-separated field names",
    _text,
)
SHADOW_URL = Setting(
    "MLOPS_SHADOW_URL", "a shadow candidate requests are mirrored to", "an http(s) URL", _text
)
SHADOW_PERCENT = Setting(
    "MLOPS_SHADOW_PERCENT", "share of requests mirrored to the shadow", "0-100", float
)
SHADOW_PROTOCOL = Setting(
    "MLOPS_SHADOW_PROTOCOL", "the shadow's protocol", "v1 (default) or v2 (Open Inference)", _text
)
EXPLAIN = Setting(
    "MLOPS_EXPLAIN",
    "per-request explanations in the request log",
    "none (default), linear, reference (per-feature perturbation) or auto",
    _text,
)
CODE_COMMIT = Setting(
    "MLOPS_CODE_COMMIT",
    "the commit a pipeline image was built from (no .git in the image)",
    "a Git commit id",
    _text,
)
CODE_REPOSITORY = Setting(
    "MLOPS_CODE_REPOSITORY",
    "the repository recorded in a pipeline run's provenance",
    "a Git remote URL",
    _text,
)
UV_LOCK = Setting(
    "MLOPS_UV_LOCK",
    "the lock file whose digest is a pipeline run's environment specification",
    "a file path (default: the repository's uv.lock)",
    _path,
)
MLFLOW_PUBLIC_URL = Setting(
    "MLOPS_MLFLOW_PUBLIC_URL",
    "the MLflow address model cards link to",
    "an https URL",
    _text,
)
DRIFT_REPORT = Setting(
    "MLOPS_DRIFT_REPORT",
    "set for a drift breach command: the file holding the drift report",
    "(set by `mlops drift`, read by your command)",
    _path,
)
PROMETHEUS = Setting(
    "MLOPS_PROMETHEUS",
    "the Prometheus `mlops evidence collect` reads serving figures from (`--prometheus`)",
    "an http(s) URL of Prometheus's HTTP API (unset: the predictors' metrics endpoints)",
    _text,
)
REQUEST_LOG = Setting(
    "MLOPS_REQUEST_LOG",
    "the request log `mlops evidence` reads predictions and inputs from (`--request-log`)",
    "s3://BUCKET/PREFIX (the predictors' log in the store), sqlite:///PATH or PATH.jsonl",
    _text,
)
KFP = Setting(
    "MLOPS_KFP",
    "the Kubeflow Pipelines API a breach submits a retraining run to (`--kfp`)",
    "an http(s) URL (unset: the request is recorded, not sent)",
    _text,
)
KFP_TOKEN = Setting(
    "MLOPS_KFP_TOKEN",
    "bearer token for the Kubeflow Pipelines API (retraining runs)",
    "a token KFP accepts",
    _text,
)
KFP_TOKEN_FILE = Setting(
    "MLOPS_KFP_TOKEN_FILE",
    "a file holding the Kubeflow Pipelines bearer token, read at each request, where "
    "`MLOPS_KFP_TOKEN` is unset",
    "a file path (a projected service-account token, audience pipelines.kubeflow.org)",
    _path,
)
STORE_KEYS_DIR = Setting(
    "MLOPS_STORE_KEYS_DIR",
    "a directory holding the object store's keys as the files AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (a mounted Secret), used where the environment has no AWS keys",
    "a directory path",
    _path,
)
TRANSFER_TO = Setting(
    "MLOPS_TRANSFER_TO",
    "where `mlops promote` copies the model: the target environment's released models "
    "(`--transfer-to`)",
    "s3://BUCKET or s3://BUCKET/PREFIX (unset: no copy; the descriptor names the registry's URI)",
    _text,
)
TRANSFER_SOURCE_PROFILE = Setting(
    "MLOPS_TRANSFER_SOURCE_PROFILE",
    "the AWS profile the model transfer reads the registry's store with",
    "a profile of the AWS config (role or keys, endpoint_url); unset: the default chain",
    _text,
)
TRANSFER_SOURCE_ROOT = Setting(
    "MLOPS_TRANSFER_SOURCE_ROOT",
    "where the registry's MLflow server keeps the artifacts it serves as `mlflow-artifacts:/` "
    "(its --artifacts-destination), which the model transfer reads directly",
    "s3://BUCKET or s3://BUCKET/PREFIX (unset: a registered `mlflow-artifacts:/` URI is refused)",
    _text,
)
TRANSFER_TARGET_PROFILE = Setting(
    "MLOPS_TRANSFER_TARGET_PROFILE",
    "the AWS profile the model transfer writes the target environment's store with",
    "a profile of the AWS config (role or keys, endpoint_url); unset: the default chain",
    _text,
)
BUCKET = Setting(
    "MLOPS_BUCKET",
    "set in notebook pods: the object-store bucket of the environment",
    "(set by the platform)",
    _text,
)
PIPELINE_BUCKET = Setting(
    "MLOPS_PIPELINE_BUCKET",
    "set for Kubeflow Pipelines: the bucket of pipeline artifacts",
    "(set by the platform)",
    _text,
)
DEMO_REPO = Setting(
    "MLOPS_DEMO_REPO",
    "set by `mlops demo`'s env.sh: the demo's scratch clone",
    "(set by the demo)",
    _path,
)

SETTINGS: tuple[Setting, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, Setting)
)
