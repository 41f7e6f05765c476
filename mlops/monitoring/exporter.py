"""Prometheus metrics of a drift run, in a registry of their own: written as a textfile for
node-exporter's textfile collector, or pushed to a Pushgateway (a CronJob has no scrape
endpoint). Names are used by `monitoring/rules/` and the serving dashboard."""

from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from mlops.monitoring.drift import DriftReport

JOB = "mlops-drift"


def drift_registry(report: DriftReport) -> CollectorRegistry:
    registry = CollectorRegistry()
    labels = ["model", "version", "feature"]
    psi = Gauge(
        "mlops_drift_psi", "Population Stability Index per feature.", labels, registry=registry
    )
    ks = Gauge("mlops_drift_ks_statistic", "Two-sample KS statistic per numeric feature.", labels,
               registry=registry)  # fmt: skip
    ks_p = Gauge("mlops_drift_ks_pvalue", "KS test p-value per numeric feature.", labels,
                 registry=registry)  # fmt: skip
    breached = Gauge("mlops_drift_breached", "1 when the feature breaches its drift thresholds.",
                     labels, registry=registry)  # fmt: skip
    rows = Gauge("mlops_drift_rows", "Logged rows compared against the reference.",
                 ["model", "version"], registry=registry)  # fmt: skip
    last = Gauge("mlops_drift_last_run_timestamp_seconds", "When the drift job last finished.",
                 ["model", "version"], registry=registry)  # fmt: skip
    for item in report.features:
        key = (report.model, report.version, item.feature)
        psi.labels(*key).set(item.psi)
        breached.labels(*key).set(1 if item.breached else 0)
        if item.ks_statistic is not None:
            ks.labels(*key).set(item.ks_statistic)
            ks_p.labels(*key).set(item.ks_pvalue or 0.0)
    rows.labels(report.model, report.version).set(report.current_rows)
    last.labels(report.model, report.version).set_to_current_time()
    return registry


def export(
    report: DriftReport, textfile: Path | None = None, pushgateway: str | None = None
) -> None:
    registry = drift_registry(report)
    if textfile is not None:
        textfile.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(textfile), registry)
    if pushgateway:
        push_to_gateway(
            pushgateway,
            job=JOB,
            registry=registry,
            grouping_key={"model": report.model, "version": report.version},
        )
