"""`mlops drift`: the drift monitoring job. Compares logged inputs with the training reference,
exports Prometheus metrics, and on a breach records audit evidence and can trigger retraining.
Exit 1 when a feature breaches, 0 otherwise."""

from pathlib import Path
from typing import Annotated

import typer

from mlops.cli.console import out, print_json
from mlops.cli.options import AuditOpt, AuditTokenOpt
from mlops.config import environment as settings
from mlops.errors import CheckFailedError


def drift(
    reference: Annotated[
        Path, typer.Option("--reference", help="Training reference rows: .csv, .jsonl, .parquet.")
    ],
    log: Annotated[
        str, typer.Option("--log", help="Request log to read: sqlite:///PATH or PATH.jsonl.")
    ],
    model: Annotated[str, typer.Option("--model", help="Model name (filters the log).")],
    version: Annotated[
        str | None, typer.Option("--version", help="Only this version's requests.")
    ] = None,
    environment: Annotated[
        str | None, typer.Option("--environment", envvar=settings.ENVIRONMENT.name)
    ] = None,
    feature: Annotated[
        list[str] | None, typer.Option("--feature", help="Only these features (repeat).")
    ] = None,
    psi_threshold: Annotated[float, typer.Option("--psi-threshold")] = 0.2,
    ks_alpha: Annotated[float, typer.Option("--ks-alpha")] = 0.01,
    ks_min_statistic: Annotated[float, typer.Option("--ks-min-statistic")] = 0.1,
    min_samples: Annotated[int, typer.Option("--min-samples")] = 50,
    metrics_file: Annotated[
        Path | None, typer.Option("--metrics-file", help="Write metrics in Prometheus text format.")
    ] = None,
    pushgateway: Annotated[
        str | None, typer.Option("--pushgateway", help="Push metrics to this Pushgateway.")
    ] = None,
    audit_url: AuditOpt = None,
    audit_token: AuditTokenOpt = None,
    retrain_command: Annotated[
        str | None, typer.Option("--retrain-command", help="Run on a breach (report on stdin).")
    ] = None,
    retrain_kfp: Annotated[
        str | None, typer.Option("--retrain-kfp", help="KFP API host to start a run on a breach.")
    ] = None,
    retrain_pipeline: Annotated[
        str | None, typer.Option("--retrain-pipeline", help="PIPELINE_ID:PIPELINE_VERSION_ID.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """PSI and Kolmogorov-Smirnov per feature, logged inputs against the training reference."""
    from mlops.governance.client import Subject, audit_client_from_url
    from mlops.monitoring.breach import record_breach, report_json, trigger_from_options
    from mlops.monitoring.drift import DriftThresholds, compare, logged_inputs
    from mlops.monitoring.exporter import export
    from mlops.serving.batch import read_table
    from mlops.serving.digest import file_sha256
    from mlops.serving.sinks import read_records

    trigger = trigger_from_options(retrain_command, retrain_kfp, retrain_pipeline)
    thresholds = DriftThresholds(
        psi_threshold=psi_threshold, ks_alpha=ks_alpha, ks_min_statistic=ks_min_statistic,
        min_samples=min_samples,
    )  # fmt: skip
    reference_frame = read_table(reference)
    current = logged_inputs(read_records(log), model, version)
    report = compare(
        reference_frame, current, model=model, version=version or "", reference_name=str(reference),
        current_name=log, thresholds=thresholds, features=feature,
    )  # fmt: skip
    export(report, metrics_file, pushgateway)
    result = {**report_json(report), "breached": [f.feature for f in report.breached]}
    if report.breached and audit_url:
        audit = audit_client_from_url(audit_url, audit_token)
        try:
            subject = Subject(model=model, version=version, environment=environment)
            artifacts = {"reference": "sha256:" + file_sha256(reference)}
            result["audit_entries"] = record_breach(audit, report, subject, artifacts)
            if trigger is not None:
                outcome = trigger(report)
                result["retraining"] = outcome
                run_subject = subject.model_copy(update={"run": outcome.get("run_id")})
                audit.append(run_subject, "drift.retraining_triggered", 1 if outcome["ok"] else 0,
                             unit="bool", source="drift-monitor")  # fmt: skip
        finally:
            audit.close()
    elif report.breached and trigger is not None:
        result["retraining"] = trigger(report)
    if as_json:
        print_json(result)
    else:
        for item in report.features:
            ks = (
                ""
                if item.ks_statistic is None
                else f" KS {item.ks_statistic:.3f} p={item.ks_pvalue:.2g}"
            )
            mark = "BREACH" if item.breached else "ok"
            out.print(f"{item.feature}: PSI {item.psi:.3f}{ks} {mark}")
        if "retraining" in result:
            out.print(f"retraining: {result['retraining']}")
    if report.breached:
        raise CheckFailedError(f"{model}: drift in {', '.join(f.feature for f in report.breached)}")
