"""Registration with the whole handover artifact (Zwiesler 2.3): code reference, data reference
and digest, parameters, the model with its signature, the environment specification and the
model card, as MLflow tags and artifacts. The alias `candidate` is set only when the analytics
gates passed."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import mlflow
import mlflow.artifacts as mlflow_artifacts
import mlflow.sklearn as mlflow_sklearn
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema, TensorSpec
from sklearn.pipeline import Pipeline

from mlops.config import environment as settings
from mlops.errors import CheckFailedError
from mlops.gates.evidence_names import HANDOVER_TAG_PREFIX
from mlops.pipelines.provenance import (
    code_ref,
    code_repository,
    environment_spec,
    sha256_bytes,
)
from mlops.repository import REPO_ROOT
from mlops.serving.digest import artifact_digest
from mlops.serving.explain import REFERENCE_KEY, reference_values
from pipelines.credit_risk import data, model_card
from pipelines.credit_risk.config import Candidate
from pipelines.credit_risk.context import RunContext
from pipelines.credit_risk.data import file_digest
from pipelines.credit_risk.features import inputs
from pipelines.credit_risk.gates import GateResult
from pipelines.credit_risk.schema import SCHEMA_PATH

ALIAS = "candidate"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # `pipelines/`
TRUSTED_TYPES = [
    "pipelines.credit_risk.features.CreditFeatures",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
MODEL_REQUIREMENTS = ("scikit-learn", "numpy", "pandas", "scipy", "skops", "mlflow")


@dataclass(frozen=True)
class DataRef:
    uri: str
    sha256: str
    source_rows: int
    rows: int


@dataclass(frozen=True)
class Registration:
    version: str
    model_uri: str
    alias_set: bool
    handover: dict[str, Any]


def signature(sample: pd.DataFrame, fitted: Pipeline) -> ModelSignature:
    """Input schema from the data contract (optional where the schema allows missing values);
    output schema from what `predict_proba` returns."""
    kinds = {name: "long" for name in data.INTEGER} | {name: "string" for name in data.CATEGORICAL}
    columns: list[ColSpec | TensorSpec] = [
        ColSpec(kinds.get(name, "double"), name, required=name != "employment_years")
        for name in data.INPUTS
    ]
    scores = fitted.predict_proba(inputs(sample))
    outputs = Schema([TensorSpec(scores.dtype, (-1, scores.shape[1]))])
    return ModelSignature(inputs=Schema(columns), outputs=outputs)


def _requirements() -> list[str]:
    return [f"{name}=={importlib.metadata.version(name)}" for name in MODEL_REQUIREMENTS]


def _evidence_values(ctx: RunContext) -> dict[str, Any]:
    return {m.name: m.value for m in ctx.evidence.recorded}


def _model_code(scratch: Path) -> Path:
    """The code the model needs to load (its feature transformer), as a clean `pipelines`
    package: only those modules, no caches, and no import of the `mlops` package."""
    package = scratch / "code" / "pipelines"
    (package / "credit_risk").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Model code shipped with the credit-risk model."""\n')
    for module in ("__init__.py", "data.py", "features.py"):
        shutil.copyfile(PACKAGE_DIR / "credit_risk" / module, package / "credit_risk" / module)
    return package


def _local(uri: str, scratch: Path) -> Path:
    """A local directory holding the artifact at `uri` (file URIs read in place)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path))
    return Path(mlflow_artifacts.download_artifacts(artifact_uri=uri, dst_path=str(scratch)))


def _card_url(artifact_uri: str, run_id: str) -> str:
    """The model card as a browsable URL when the MLflow server's public address is known."""
    public = settings.MLFLOW_PUBLIC_URL.get("").rstrip("/")
    if public:
        return f"{public}/get-artifact?path=handover/model_card.md&run_uuid={run_id}"
    return f"{artifact_uri}/handover/model_card.md"


def _create_version(
    ctx: RunContext, name: str, storage_uri: str, model_id: str, tags: dict[str, str]
) -> str:
    """Register the stored artifact itself as the version's source (linked to the run and the
    logged model), so whoever reads `source` digests exactly what serving loads."""
    try:
        ctx.client.get_registered_model(name)
    except MlflowException:
        ctx.client.create_registered_model(name)
    created = ctx.client.create_model_version(
        name, storage_uri, run_id=ctx.mlflow_run_id, tags=tags, model_id=model_id
    )
    return str(created.version)


def register(
    ctx: RunContext,
    fitted: Pipeline,
    params: Candidate,
    data_ref: DataRef,
    sample: pd.DataFrame,
    gates: GateResult,
) -> Registration:
    """Log the model and the handover to the run, register a version with the handover tags,
    set the alias `candidate` when the gates passed, record the digests in the audit log."""
    name = ctx.config.model_name
    code = code_ref(REPO_ROOT)
    env = environment_spec(REPO_ROOT)
    parameters = {**params.model_dump(), "seed": ctx.settings.seed}
    artifact_uri = ctx.client.get_run(ctx.mlflow_run_id).info.artifact_uri
    if artifact_uri is None:
        raise CheckFailedError(f"MLflow run {ctx.mlflow_run_id} has no artifact location")
    with tempfile.TemporaryDirectory(dir=ctx.workdir) as tmp:
        scratch = Path(tmp)
        # not `with start_run()`: its untyped __exit__ reads as one that may swallow errors
        mlflow.start_run(run_id=ctx.mlflow_run_id)
        status = "FAILED"
        try:
            info = mlflow_sklearn.log_model(
                fitted,
                name="model",
                signature=signature(sample.head(50), fitted),
                input_example=inputs(sample.head(3)),
                pip_requirements=_requirements(),
                code_paths=[str(_model_code(scratch))],
                pyfunc_predict_fn="predict_proba",
                skops_trusted_types=TRUSTED_TYPES,
                # what the predictor's `reference` explanations perturb towards
                metadata={REFERENCE_KEY: reference_values(inputs(sample))},
            )
            status = "FINISHED"
        finally:
            mlflow.end_run(status)
        storage_uri = ctx.client.get_logged_model(info.model_id).artifact_location
        model_digest = artifact_digest(_local(storage_uri, scratch / "model"))
        fields = {
            "storage_uri": storage_uri,
            "model_digest": model_digest,
            "code_repository": code_repository(REPO_ROOT, ctx.config.code_repository),
            "code_commit": code.commit,
            "data_reference": data_ref.uri,
            "data_digest": data_ref.sha256,
            "parameters_reference": f"{artifact_uri}/handover/params.json",
            "environment_spec": f"{artifact_uri}/handover/requirements.txt",
            "environment_digest": env.requirements_sha256,
            "model_card": _card_url(artifact_uri, ctx.mlflow_run_id),
        }
        handover: dict[str, Any] = {
            "model": name,
            "version": ctx.version,
            "pipeline_run": ctx.run,
            "mode": ctx.mode,
            "mlflow_run_id": ctx.mlflow_run_id,
            "model_uri": info.model_uri,
            "audit_subject": ctx.evidence.subject.render(),
            "fields": fields,
            "code": {"commit": code.commit, "dirty": code.dirty, "source": code.source},
            "data": {
                "uri": data_ref.uri,
                "sha256": data_ref.sha256,
                "source_rows": data_ref.source_rows,
                "rows": data_ref.rows,
                "schema_sha256": file_digest(SCHEMA_PATH),
            },
            "parameters": parameters,
            "environment": {
                "python": env.python,
                "platform": env.platform,
                "requirements": "handover/requirements.txt",
                "requirements_sha256": env.requirements_sha256,
                "uv_lock_sha256": env.lock_sha256,
                "model_requirements": _requirements(),
            },
            "model_card": "handover/model_card.md",
            "gates": gates.as_dict(),
        }
        tags = {
            **{f"{HANDOVER_TAG_PREFIX}{key}": value for key, value in fields.items()},
            "mlops.code.commit": code.commit,
            "mlops.code.dirty": str(code.dirty).lower(),
            "mlops.data.uri": data_ref.uri,
            "mlops.data.sha256": data_ref.sha256,
            "mlops.data.rows": str(data_ref.rows),
            "mlops.params": json.dumps(parameters, sort_keys=True),
            "mlops.env.python": env.python,
            "mlops.env.requirements_sha256": env.requirements_sha256,
            "mlops.env.uv_lock_sha256": env.lock_sha256 or "none",
            "mlops.model_card": "handover/model_card.md",
            "mlops.handover": "handover/handover.json",
            "mlops.pipeline.run": ctx.run,
            "mlops.mode": ctx.mode,
            "mlops.audit.subject": ctx.evidence.subject.render(),
            "mlops.gates.passed": str(gates.passed).lower(),
        }
        files = {
            "handover.json": json.dumps(handover, indent=2, sort_keys=True) + "\n",
            "model_card.md": model_card.render(handover, _evidence_values(ctx)),
            "params.json": json.dumps(parameters, indent=2, sort_keys=True) + "\n",
            "requirements.txt": env.requirements,
            "schema.json": SCHEMA_PATH.read_text(encoding="utf-8"),
            "evidence.json": json.dumps(
                [m.__dict__ for m in ctx.evidence.recorded], indent=2, default=str
            )
            + "\n",
        }
        lock = settings.UV_LOCK.get(REPO_ROOT / "uv.lock")
        if lock.is_file():
            files["uv.lock"] = lock.read_text(encoding="utf-8")
        folder = scratch / "handover"
        folder.mkdir()
        for file_name, text in files.items():
            (folder / file_name).write_text(text, encoding="utf-8")
        ctx.client.log_artifacts(ctx.mlflow_run_id, str(folder), "handover")
    for key, value in tags.items():
        ctx.client.set_tag(ctx.mlflow_run_id, key, value)
    version = _create_version(ctx, name, storage_uri, info.model_id, tags)
    if str(version) != ctx.version:
        raise CheckFailedError(
            f"registry: {name} got version {version} but this run's evidence is recorded for "
            f"version {ctx.version}; another run registered in between, rerun the pipeline"
        )
    digests = {key: sha256_bytes(text.encode()) for key, text in files.items()}
    digests |= {"model": model_digest, "data": data_ref.sha256}
    ctx.evidence.measure(
        "register",
        "handover.artifact",
        {"model_uri": info.model_uri, "storage_uri": storage_uri, "files": sorted(files)},
        artifacts=digests,
        kind="document",
    )
    if gates.passed:
        ctx.client.set_registered_model_alias(name, ALIAS, ctx.version)
    ctx.evidence.measure("register", "registry.version", ctx.version)
    ctx.evidence.measure("register", f"registry.alias.{ALIAS}", gates.passed)
    return Registration(ctx.version, info.model_uri, gates.passed, handover)
