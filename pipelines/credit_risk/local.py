"""Run the whole pipeline in this process: the same step functions the KFP components call,
chained in order, with MLflow on SQLite and the audit log in the work directory by default."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from mlops.errors import BadInputError
from mlops.pipelines.tracking import local_uri
from pipelines.credit_risk import MODEL_NAME, steps
from pipelines.credit_risk.config import PipelineConfig
from pipelines.credit_risk.context import RunContext, open_run, record_failure
from pipelines.credit_risk.handover import DataRef, register


@dataclass
class RunResult:
    run: str
    mode: str
    status: str  # succeeded | gates_failed
    version: str
    mlflow_run_id: str
    model_uri: str
    candidate: bool
    gate_failures: str
    tracking_uri: str
    audit_url: str
    metrics: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_audit_url(workdir: Path) -> str:
    return f"sqlite:///{workdir.resolve() / 'audit.db'}"


def _chain(ctx: RunContext, source: Path | None, at: list[str]) -> RunResult:
    at[0] = "ingest"
    ingested = steps.ingest(ctx, source)
    at[0] = "validate"
    steps.validate_data(ctx, ingested.frame)
    at[0] = "features"
    prepared = steps.engineer_features(ctx, ingested.frame)
    at[0] = "split"
    parts = steps.split(ctx, prepared)
    at[0] = "tune"
    params = steps.tune(ctx, parts.train, parts.validation)
    at[0] = "train"
    fitted = steps.train(ctx, parts.train, parts.validation, params)
    at[0] = "evaluate"
    evaluation = steps.evaluate(ctx, fitted, parts.train, parts.validation, parts.test)
    at[0] = "fairness"
    fair = steps.fairness(ctx, fitted, parts.test)
    at[0] = "gate"
    verdict = steps.gate(ctx, evaluation, fair)
    at[0] = "register"
    data_ref = DataRef(ingested.uri, ingested.sha256, ingested.source_rows, len(ingested.frame))
    registration = register(ctx, fitted, params, data_ref, parts.train, verdict)
    numbers = {
        m.name: m.value
        for m in ctx.evidence.recorded
        if m.kind == "measurement" and not m.name.startswith("training.seconds")
    }
    return RunResult(
        run=ctx.run,
        mode=ctx.mode,
        status="succeeded" if verdict.passed else "gates_failed",
        version=registration.version,
        mlflow_run_id=ctx.mlflow_run_id,
        model_uri=registration.model_uri,
        candidate=registration.alias_set,
        gate_failures=verdict.failures(),
        tracking_uri="",
        audit_url="",
        metrics=numbers,
    )


def run_local(
    mode: str,
    workdir: Path,
    *,
    tracking_uri: str | None = None,
    audit_url: str | None = None,
    data: Path | None = None,
    config: PipelineConfig | None = None,
    run: str | None = None,
) -> RunResult:
    """Run every step; a failing step records `pipeline.status` (failed, step, reason) in the
    audit log, marks the MLflow run FAILED and re-raises. Gate failures do not raise: the model
    is registered without the alias and the result says `gates_failed`."""
    if data is not None and not data.is_file():
        raise BadInputError(f"--data: {data}: file not found; allowed: a CSV file")
    workdir.mkdir(parents=True, exist_ok=True)
    tracking_uri = tracking_uri or local_uri(workdir)
    audit_url = audit_url or default_audit_url(workdir)
    ctx = open_run(mode, workdir, tracking_uri, audit_url, run=run, config=config)
    at = ["start"]
    try:
        with threadpool_limits(limits=ctx.settings.threads):
            result = _chain(ctx, data, at)
        ctx.evidence.measure(
            "pipeline", "pipeline.status", {"status": result.status, "step": at[0]}
        )
        ctx.client.set_terminated(ctx.mlflow_run_id, "FINISHED")
    except Exception as error:
        record_failure(ctx, at[0], error)
        raise
    finally:
        ctx.evidence.audit.close()
    result.tracking_uri, result.audit_url = tracking_uri, audit_url
    return result


def run_kfp_local(
    mode: str,
    workdir: Path,
    *,
    tracking_uri: str | None = None,
    audit_url: str | None = None,
    data: Path | None = None,
) -> dict[str, Any]:
    """Run the compiled-pipeline path with KFP's own local runner: every component in its own
    subprocess of this Python environment (`SubprocessRunner(use_venv=False)`, nothing is
    installed). Slower than `run_local` (each component re-imports its libraries), but it
    exercises the component wiring. A failed task raises `CheckFailedError` with the reason the
    failing step recorded in the audit log."""
    from kfp import local

    from mlops.errors import CheckFailedError
    from mlops.governance.client import Subject, audit_client_from_url
    from pipelines.credit_risk.pipeline import build

    if data is not None and not data.is_file():
        raise BadInputError(f"--data: {data}: file not found; allowed: a CSV file")
    workdir.mkdir(parents=True, exist_ok=True)
    tracking_uri = tracking_uri or local_uri(workdir)
    audit_url = audit_url or default_audit_url(workdir)
    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(workdir.resolve() / "kfp"),
        raise_on_error=False,
    )
    started = datetime.now(UTC)
    with contextlib.redirect_stdout(sys.stderr):  # the runner echoes task logs; keep stdout clean
        build(gpus=0)(
            mode=mode,
            tracking_uri=tracking_uri,
            audit_url=audit_url,
            source=str(data.resolve()) if data else "",
        )
    audit = audit_client_from_url(audit_url)
    try:
        statuses = audit.query(Subject(model=MODEL_NAME), name="pipeline.status", since=started)
    finally:
        audit.close()
    if not statuses:
        raise CheckFailedError("pipeline failed (KFP local runner) before recording a status")
    last = statuses[-1]
    if last.value["status"] == "failed":
        raise CheckFailedError(f"pipeline failed at {last.value['step']}: {last.value['reason']}")
    return {
        "run": last.subject.run,
        "mode": mode,
        "status": last.value["status"],
        "version": last.subject.version,
        "candidate": last.value["status"] == "succeeded",
        "tracking_uri": tracking_uri,
        "audit_url": audit_url,
    }
