"""Registration with the whole handover artifact (Zwiesler 2.3): code reference, data reference
and digest, parameters, the model with its signature, the environment specification and the
model card, as MLflow tags and artifacts. The alias `candidate` is set only when the analytics
gates passed."""

from __future__ import annotations

import importlib.metadata
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema, TensorSpec
from sklearn.pipeline import Pipeline

from mlops.errors import CheckFailedError
from mlops.pipelines.provenance import LOCK_ENV, code_ref, environment_spec, sha256_bytes
from pipelines.credit_risk import data, model_card
from pipelines.credit_risk.config import Candidate
from pipelines.credit_risk.context import REPO_ROOT, RunContext
from pipelines.credit_risk.data import file_digest
from pipelines.credit_risk.features import inputs
from pipelines.credit_risk.gates import GateResult
from pipelines.credit_risk.schema import SCHEMA_PATH

ALIAS = "candidate"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # `pipelines/`, shipped with the model
TRUSTED_TYPES = [
    "pipelines.credit_risk.features.CreditFeatures",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
MODEL_REQUIREMENTS = ("scikit-learn", "numpy", "pandas", "scipy", "skops", "mlflow")
# Tags every registered version carries; the integration test and promotion gates read them.
HANDOVER_TAGS = (
    "mlops.code.commit",
    "mlops.code.dirty",
    "mlops.data.uri",
    "mlops.data.sha256",
    "mlops.data.rows",
    "mlops.params",
    "mlops.env.python",
    "mlops.env.requirements_sha256",
    "mlops.env.uv_lock_sha256",
    "mlops.model_card",
    "mlops.handover",
    "mlops.pipeline.run",
    "mlops.mode",
    "mlops.audit.subject",
    "mlops.gates.passed",
)


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
    columns = [
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


def register(
    ctx: RunContext,
    fitted: Pipeline,
    params: Candidate,
    data_ref: DataRef,
    sample: pd.DataFrame,
    gates: GateResult,
) -> Registration:
    """Log model and handover to the run, register a version, alias it when the gates passed."""

    name = ctx.config.model_name
    code = code_ref(REPO_ROOT)
    env = environment_spec(REPO_ROOT)
    parameters = {**params.model_dump(), "seed": ctx.settings.seed}
    handover: dict[str, Any] = {
        "model": name,
        "version": ctx.version,
        "pipeline_run": ctx.run,
        "mode": ctx.mode,
        "mlflow_run_id": ctx.mlflow_run_id,
        "audit_subject": ctx.evidence.subject.render(),
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
    card = model_card.render(handover, _evidence_values(ctx))
    tags = {
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
        "model_card.md": card,
        "requirements.txt": env.requirements,
        "schema.json": SCHEMA_PATH.read_text(encoding="utf-8"),
        "evidence.json": json.dumps(
            [m.__dict__ for m in ctx.evidence.recorded], indent=2, default=str
        )
        + "\n",
    }
    lock = Path(os.environ.get(LOCK_ENV, REPO_ROOT / "uv.lock"))
    if lock.is_file():
        files["uv.lock"] = lock.read_text(encoding="utf-8")
    digests = {key: sha256_bytes(text.encode()) for key, text in files.items()}
    with tempfile.TemporaryDirectory(dir=ctx.workdir) as scratch:
        folder = Path(scratch) / "handover"
        folder.mkdir()
        for file_name, text in files.items():
            (folder / file_name).write_text(text, encoding="utf-8")
        ctx.client.log_artifacts(ctx.mlflow_run_id, str(folder), "handover")
        for key, value in tags.items():
            ctx.client.set_tag(ctx.mlflow_run_id, key, value)
        with mlflow.start_run(run_id=ctx.mlflow_run_id):
            info = mlflow.sklearn.log_model(
                fitted,
                name="model",
                signature=signature(sample.head(50), fitted),
                input_example=inputs(sample.head(3)),
                pip_requirements=_requirements(),
                code_paths=[str(PACKAGE_DIR)],
                pyfunc_predict_fn="predict_proba",
                skops_trusted_types=TRUSTED_TYPES,
            )
        location = ctx.client.get_logged_model(info.model_id).artifact_location
        model_file = mlflow.artifacts.download_artifacts(
            artifact_uri=f"{location}/model.skops", dst_path=scratch
        )
        digests["model"] = file_digest(Path(model_file))
    digests["data"] = data_ref.sha256
    version = mlflow.register_model(info.model_uri, name, tags=tags).version
    if str(version) != ctx.version:
        raise CheckFailedError(
            f"registry: {name} got version {version} but this run's evidence is recorded for "
            f"version {ctx.version}; another run registered in between, rerun the pipeline"
        )
    ctx.evidence.measure(
        "register",
        "handover.artifact",
        {"model_uri": info.model_uri, "files": sorted(files), "tags": sorted(tags)},
        artifacts=digests,
        kind="document",
    )
    if gates.passed:
        ctx.client.set_registered_model_alias(name, ALIAS, ctx.version)
    ctx.evidence.measure("register", "registry.version", ctx.version)
    ctx.evidence.measure("register", f"registry.alias.{ALIAS}", gates.passed)
    return Registration(ctx.version, info.model_uri, gates.passed, handover)
