"""`mlops evidence`: the CABC mapper (IML4E 4.4) that carries operation into the evidence log.

`collect` runs on a schedule (a CronJob per environment, rendered from the stack); `outcomes`
runs when delayed ground truth arrives. Both append to the Audit API; an entry that breaks a
certificate's rules revokes it there. `collect` exits 1 when a live quality goal is breached."""

from pathlib import Path
from typing import Annotated

import typer

from mlops.cli.console import out, print_json
from mlops.cli.options import AuditOpt, AuditTokenOpt
from mlops.config import environment as settings
from mlops.errors import BadInputError, CheckFailedError

app = typer.Typer(help="Continuous evidence: live serving figures, drift, ground truth.",
                  no_args_is_help=True)  # fmt: skip

EnvOpt = Annotated[str, typer.Option("--env", help="Environment (dev, int, prod).")]
RequestLogOpt = Annotated[
    str | None,
    typer.Option(
        "--request-log",
        envvar=settings.REQUEST_LOG.name,
        help="Request log: s3://BUCKET/PREFIX (the predictors' log in the store), "
        "sqlite:///PATH or PATH.jsonl.",
    ),
]


def _audit(audit_url: str | None, token: str | None):
    from mlops.governance.client import audit_client_from_url

    if not audit_url:
        raise BadInputError(f"--audit: required (or {settings.AUDIT.name}): the evidence log")
    return audit_client_from_url(audit_url, token)


def _retraining(kfp: str | None, pipeline: str | None, experiment: str | None):
    from mlops.evidence.retrain import Retraining

    if not pipeline:
        if kfp:
            raise BadInputError("--kfp-pipeline: required with --kfp, as PIPELINE_ID:VERSION_ID")
        return None
    pipeline_id, sep, version_id = pipeline.partition(":")
    if not sep or not pipeline_id or not version_id:
        raise BadInputError(f"--kfp-pipeline {pipeline!r}: allowed: PIPELINE_ID:VERSION_ID")
    return Retraining(kfp, pipeline_id, version_id, experiment)


@app.command("collect")
def collect(
    env: EnvOpt,
    prometheus: Annotated[
        str | None,
        typer.Option(
            "--prometheus",
            envvar=settings.PROMETHEUS.name,
            help="Prometheus HTTP API; without, --metrics-url is read directly.",
        ),
    ] = None,
    metrics_url: Annotated[
        list[str] | None,
        typer.Option(
            "--metrics-url",
            help="A predictor's metrics endpoint (repeat); used where Prometheus is absent.",
        ),
    ] = None,
    window: Annotated[str, typer.Option("--window", help="PromQL range, e.g. 30m, 1h.")] = "1h",
    request_log: RequestLogOpt = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="Training reference: a data schema (.json, its reference bins) or rows "
            "(.csv, .jsonl, .parquet); default: the training pipeline's committed schema.",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="Ground truth where present: as for `outcomes`, recorded with this run.",
        ),
    ] = None,
    max_p95_latency_ms: Annotated[float, typer.Option("--max-p95-latency-ms", min=0)] = 300.0,
    max_error_rate: Annotated[float, typer.Option("--max-error-rate", min=0, max=1)] = 0.005,
    max_drifted_features: Annotated[int, typer.Option("--max-drifted-features", min=0)] = 0,
    psi_threshold: Annotated[float, typer.Option("--psi-threshold", min=0)] = 0.2,
    min_samples: Annotated[int, typer.Option("--min-samples", min=1)] = 50,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Newest logged rows assessed for drift.")
    ] = 5000,
    kfp: Annotated[
        str | None,
        typer.Option("--kfp", envvar=settings.KFP.name, help="Kubeflow Pipelines API host."),
    ] = None,
    kfp_pipeline: Annotated[
        str | None,
        typer.Option(
            "--kfp-pipeline",
            help="Retraining pipeline: PIPELINE_ID:VERSION_ID; "
            "without --kfp the request is recorded, not sent.",
        ),
    ] = None,
    kfp_experiment: Annotated[str | None, typer.Option("--kfp-experiment")] = None,
    audit_url: AuditOpt = None,
    audit_token: AuditTokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """One run of the mapper: serving figures, request-log drift, the live verdict."""
    from mlops.evidence.collect import CollectOptions, Goals, collect, gather
    from mlops.evidence.live import LiveSourceError
    from mlops.monitoring.drift import DriftThresholds

    if request_log and reference is None:
        from pipelines.credit_risk.schema import SCHEMA_PATH

        reference = SCHEMA_PATH  # what the pipeline's data validation compares against
    options = CollectOptions(
        environment=env, prometheus=prometheus, metrics_urls=list(metrics_url or []),
        window=window, request_log=request_log, reference=reference, model=model,
        goals=Goals(max_p95_latency_ms, max_error_rate, max_drifted_features),
        thresholds=DriftThresholds(psi_threshold=psi_threshold, min_samples=min_samples),
        max_rows=max_rows, retraining=_retraining(kfp, kfp_pipeline, kfp_experiment),
    )  # fmt: skip
    if not audit_url:
        raise BadInputError(f"--audit: required (or {settings.AUDIT.name}): the evidence log")
    try:
        inputs = gather(options)
    except LiveSourceError as error:
        raise CheckFailedError(f"serving figures unavailable: {error}") from None
    measured = _outcomes(labels, request_log, inputs.records) if labels else []
    audit = _audit(audit_url, audit_token)
    try:
        result = collect(audit, options, inputs)
        if labels:
            from mlops.evidence.outcomes import record_quality

            result.entries += record_quality(audit, env, measured, labels)
            result.notes.append(f"ground truth from {labels}: " + "; ".join(
                f"{m.model} v{m.version} ROC AUC {m.roc_auc}" for m in measured))  # fmt: skip
    finally:
        audit.close()
    if as_json:
        print_json(result.as_dict())
    else:
        out.print(f"serving figures: {result.live_detail}")
        for note in result.notes:
            out.print(f"note: {note}")
        for item in result.subjects:
            verdict = item.verdict or {}
            mark = "no goals measured" if not verdict else (
                "ok" if verdict["passed"] else "BREACH: " + "; ".join(verdict["failed"]))  # fmt: skip
            out.print(f"{item.model} v{item.version} ({env}): {item.measurements} {mark}")
            if item.retraining is not None:
                state = item.retraining.get("run_id") or item.retraining.get("reason")
                out.print(f"  retraining requested: {state}")
            for certificate in item.revoked:
                out.print(f"  certificate {certificate} revoked")
        out.print(f"{len(result.entries)} evidence entries appended")
    if result.breached:
        raise CheckFailedError(
            "live quality goals breached: "
            + ", ".join(f"{s.model} v{s.version}" for s in result.breached)
        )


def _outcomes(labels: Path, request_log: str | None, records: list) -> list:
    from mlops.evidence.outcomes import GROUP, join, quality

    if not request_log:
        raise BadInputError("--labels: needs --request-log (the predictions to join)")
    return quality(join(labels, records, GROUP), GROUP)


@app.command("outcomes")
def outcomes(
    labels: Annotated[
        Path,
        typer.Option(
            "--labels", help="Outcomes: request_id, label[, row, group] (.csv, .jsonl, .parquet)."
        ),
    ],
    env: EnvOpt,
    request_log: RequestLogOpt = None,
    group: Annotated[
        str, typer.Option("--group", help="Sensitive attribute the fairness gaps slice by.")
    ] = "sex",
    audit_url: AuditOpt = None,
    audit_token: AuditTokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Join delayed ground truth to logged predictions; record live ROC AUC and fairness."""
    from mlops.evidence.outcomes import join, quality, record_quality
    from mlops.serving.sinks import read_records

    if not request_log:
        raise BadInputError(f"--request-log: required (or {settings.REQUEST_LOG.name})")
    joined = join(labels, read_records(request_log), group)
    measured = quality(joined, group)
    audit = _audit(audit_url, audit_token)
    try:
        entries = record_quality(audit, env, measured, labels)
    finally:
        audit.close()
    if as_json:
        print_json({"environment": env, "quality": [m.__dict__ for m in measured],
                    "entries": entries})  # fmt: skip
        return
    for item in measured:
        auc = "n/a (one class)" if item.roc_auc is None else f"{item.roc_auc:.4f}"
        gaps = ", ".join(f"{k} {v:.4f}" for k, v in item.fairness.items()) or "no fairness slices"
        out.print(f"{item.model} v{item.version} ({env}): {item.outcomes} outcomes, "
                  f"ROC AUC {auc}; {gaps}")  # fmt: skip
    out.print(f"{len(entries)} evidence entries appended")
