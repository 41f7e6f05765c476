"""The bodies of the KFP components: files and strings in, files and strings out, around the same
step functions the local runner calls. Plain Python, so they are tested without KFP.

Between components, tables travel as CSV (`data.write_csv`), the model as a joblib file, and the
run's identifiers and measurements as JSON strings; each body re-attaches to the run the first
one opened (`context.attach_run`), and a failing body records `pipeline.status` before it raises.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import joblib
from threadpoolctl import threadpool_limits

from mlops.pipelines.evidence import Measurement
from pipelines.credit_risk import data, steps
from pipelines.credit_risk.config import Candidate
from pipelines.credit_risk.context import RunContext, attach_run, open_run, record_failure
from pipelines.credit_risk.handover import DataRef, register


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="credit-risk-"))


def evidence_json(ctx: RunContext) -> str:
    return json.dumps([asdict(m) for m in ctx.evidence.recorded], default=str)


@contextmanager
def recorded_failure(ctx: RunContext, step: str) -> Iterator[None]:
    """Record `pipeline.status` failed (step, reason) and mark the MLflow run FAILED, then
    re-raise; close the audit client and remove the body's scratch directory either way."""
    try:
        yield
    except Exception as error:
        record_failure(ctx, step, error)
        raise
    finally:
        ctx.evidence.audit.close()
        shutil.rmtree(ctx.workdir, ignore_errors=True)


def _attach(mode: str, tracking_uri: str, audit_url: str, ids: str) -> RunContext:
    return attach_run(mode, _scratch(), tracking_uri, audit_url, json.loads(ids))


def ingest(
    mode: str, tracking_uri: str, audit_url: str, source: str, run: str, raw_path: str
) -> tuple[str, str, str]:
    """Open the run, read the data; returns (ids, data reference, evidence) as JSON."""
    ctx = open_run(mode, _scratch(), tracking_uri, audit_url, run=run or None)
    with recorded_failure(ctx, "ingest"):
        ingested = steps.ingest(ctx, Path(source) if source else None)
        data.write_csv(ingested.frame, Path(raw_path))
        ref = DataRef(ingested.uri, ingested.sha256, ingested.source_rows, len(ingested.frame))
        return json.dumps(ctx.ids()), json.dumps(asdict(ref)), evidence_json(ctx)


def validate(mode: str, tracking_uri: str, audit_url: str, ids: str, raw_path: str) -> str:
    ctx = _attach(mode, tracking_uri, audit_url, ids)
    with recorded_failure(ctx, "validate"):
        steps.validate_data(ctx, data.read_csv(Path(raw_path)))
        return evidence_json(ctx)


def features(
    mode: str, tracking_uri: str, audit_url: str, ids: str, raw_path: str, prepared_path: str
) -> str:
    ctx = _attach(mode, tracking_uri, audit_url, ids)
    with recorded_failure(ctx, "features"):
        prepared = steps.engineer_features(ctx, data.read_csv(Path(raw_path)))
        data.write_csv(prepared, Path(prepared_path))
        return evidence_json(ctx)


def split(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    prepared_path: str,
    train_path: str,
    validation_path: str,
    test_path: str,
) -> str:
    ctx = _attach(mode, tracking_uri, audit_url, ids)
    with recorded_failure(ctx, "split"):
        parts = steps.split(ctx, data.read_csv(Path(prepared_path)))
        for frame, path in (
            (parts.train, train_path),
            (parts.validation, validation_path),
            (parts.test, test_path),
        ):
            data.write_csv(frame, Path(path))
        return evidence_json(ctx)


def tune(
    mode: str, tracking_uri: str, audit_url: str, ids: str, train_path: str, validation_path: str
) -> tuple[str, str]:
    """Returns (chosen hyper-parameters, evidence) as JSON."""
    ctx = _attach(mode, tracking_uri, audit_url, ids)
    with recorded_failure(ctx, "tune"), threadpool_limits(limits=ctx.settings.threads):
        chosen = steps.tune(
            ctx, data.read_csv(Path(train_path)), data.read_csv(Path(validation_path))
        )
        return chosen.model_dump_json(), evidence_json(ctx)


def train(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    train_path: str,
    validation_path: str,
    params: str,
    model_path: str,
) -> str:
    ctx = _attach(mode, tracking_uri, audit_url, ids)
    with recorded_failure(ctx, "train"), threadpool_limits(limits=ctx.settings.threads):
        fitted = steps.train(
            ctx,
            data.read_csv(Path(train_path)),
            data.read_csv(Path(validation_path)),
            Candidate.model_validate_json(params),
        )
        Path(model_path).parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(fitted, model_path)
        return evidence_json(ctx)


def evaluate(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    model_path: str,
    train_path: str,
    validation_path: str,
    test_path: str,
) -> tuple[str, str, str]:
    """Returns (evaluation, fairness, evidence) as JSON."""
    ctx = _attach(mode, tracking_uri, audit_url, ids)
    with recorded_failure(ctx, "evaluate"), threadpool_limits(limits=ctx.settings.threads):
        fitted = joblib.load(model_path)
        test = data.read_csv(Path(test_path))
        evaluation = steps.evaluate(
            ctx,
            fitted,
            data.read_csv(Path(train_path)),
            data.read_csv(Path(validation_path)),
            test,
        )
        fair = steps.fairness(ctx, fitted, test)
        return json.dumps(asdict(evaluation)), json.dumps(fair), evidence_json(ctx)


def _restore(ctx: RunContext, evidence: list[str]) -> None:
    """Give the register step the measurements earlier components recorded (for the card)."""
    for chunk in evidence:
        ctx.evidence.recorded.extend(Measurement(**item) for item in json.loads(chunk))


def gate_and_register(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    model_path: str,
    train_path: str,
    params: str,
    data_ref: str,
    evaluation: str,
    fairness: str,
    evidence: list[str],
) -> tuple[str, bool]:
    """Gate, register with the handover, alias when passed; returns (version, alias set)."""
    ctx = _attach(mode, tracking_uri, audit_url, ids)
    _restore(ctx, evidence)
    with recorded_failure(ctx, "register"):
        verdict = steps.gate(ctx, steps.Evaluation(**json.loads(evaluation)), json.loads(fairness))
        registration = register(
            ctx,
            joblib.load(model_path),
            Candidate.model_validate_json(params),
            DataRef(**json.loads(data_ref)),
            data.read_csv(Path(train_path)),
            verdict,
        )
        status = "succeeded" if verdict.passed else "gates_failed"
        ctx.evidence.measure("pipeline", "pipeline.status", {"status": status, "step": "register"})
        ctx.client.set_terminated(ctx.mlflow_run_id, "FINISHED")
        return registration.version, registration.alias_set
