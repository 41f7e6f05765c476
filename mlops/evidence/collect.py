"""`mlops evidence collect`: one run of the CABC mapper for one environment.

Per model version it finds (in the serving figures or the request log) it appends, with the
environment in the subject and source `evidence-collector`:
- serving: `serving.requests`, `serving.error_rate`, `serving.p95_latency_ms` (Prometheus over
  the window, or the predictors' metrics endpoints, which the result then says);
- drift of the requests logged since the previous run (at most `max_rows`, newest) against the
  training reference, with the one drift implementation (`mlops.monitoring.drift`):
  `drift.rows`, `drift.psi.<feature>` per feature, `drift.breached_features`;
- the assessment against the environment's live quality goals (from its stack), as the verdict
  `gate.live-<env>`, whose rules a certificate issued over it carries: from then on the Audit
  API revokes that certificate on the first entry that breaks one (as for every certificate);
- on a model breach (drift; not latency or errors, which retraining does not fix) a retraining
  run requested from Kubeflow Pipelines: `retraining.requested` (1 submitted, 0 not) with the
  run id in the subject and the request's digest;
- `evidence.collected`: the run's marker; the next run reads the request log after it (after a
  week without a run, the newest `max_rows` rows).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from mlops.evidence.live import LiveReading, read_live
from mlops.evidence.retrain import Retraining, submit
from mlops.governance.certificates import REVOKED
from mlops.governance.client import AuditClient, Entry, Subject
from mlops.governance.entry import TIME_FORMAT
from mlops.governance.quality import Rule, Verdict, record_verdict
from mlops.monitoring.drift import (
    DriftReport,
    DriftThresholds,
    FeatureReference,
    compare,
    load_reference,
    logged_inputs,
)

SOURCE = "evidence-collector"
MARKER = "evidence.collected"
RETRAINING = "retraining.requested"
LOOKBACK_DAYS = 7


@dataclass(frozen=True)
class Goals:
    """The live quality goals of an environment (stack: `monitoring.collector`)."""

    max_p95_latency_ms: float = 300.0
    max_error_rate: float = 0.005
    max_drifted_features: int = 0


@dataclass
class CollectOptions:
    environment: str
    prometheus: str | None = None
    metrics_urls: list[str] = field(default_factory=list)
    window: str = "1h"
    request_log: str | None = None
    reference: Path | None = None
    model: str | None = None
    goals: Goals = Goals()
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)
    max_rows: int = 5000
    retraining: Retraining | None = None
    kfp_transport: httpx.BaseTransport | None = None


@dataclass
class SubjectResult:
    model: str
    version: str
    measurements: dict[str, Any] = field(default_factory=dict)
    drift: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    retraining: dict[str, Any] | None = None
    revoked: list[str] = field(default_factory=list)

    @property
    def breached(self) -> bool:
        return bool(self.verdict) and not self.verdict["passed"]  # type: ignore[index]


@dataclass
class CollectResult:
    environment: str
    live_source: str
    live_detail: str
    subjects: list[SubjectResult] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def breached(self) -> list[SubjectResult]:
        return [s for s in self.subjects if s.breached]

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "live": {"source": self.live_source, "detail": self.live_detail},
            "subjects": [s.__dict__ for s in self.subjects],
            "entries": self.entries,
            "notes": self.notes,
            "breached": [f"{s.model} v{s.version}" for s in self.breached],
        }


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def previous_run(audit: AuditClient, environment: str) -> datetime | None:
    """When the previous collection of this environment finished (its marker entry)."""
    # only the last week's markers: the log keeps every run's, and the newest is all we need
    week_ago = (datetime.now(UTC) - timedelta(days=LOOKBACK_DAYS)).strftime(TIME_FORMAT)
    markers = audit.query(Subject(environment=environment), name=MARKER, since=week_ago)
    return _parse_time(markers[-1].time) if markers else None


def recent_records(records: list[dict[str, Any]], since: datetime | None) -> list[dict[str, Any]]:
    if since is None:
        return records
    return [r for r in records if (_parse_time(str(r.get("time"))) or since) > since]


def _drift(reference: pd.DataFrame | dict[str, FeatureReference], reference_name: str,
           records: list[dict[str, Any]], model: str, version: str, options: CollectOptions,
           log_name: str) -> tuple[DriftReport | None, int]:  # fmt: skip
    rows = logged_inputs(records, model, version)
    rows = rows.tail(options.max_rows)
    if len(rows) < options.thresholds.min_samples:
        return None, len(rows)
    known = set(reference.columns if isinstance(reference, pd.DataFrame) else reference)
    features = [c for c in rows.columns if c in known]
    report = compare(reference, rows, model=model, version=version, reference_name=reference_name,
                     current_name=log_name, thresholds=options.thresholds,
                     features=features or None)  # fmt: skip
    return report, len(rows)


def _reference(path: Path) -> pd.DataFrame | dict[str, FeatureReference]:
    if path.suffix.lower() == ".json":
        return load_reference(path)
    from mlops.serving.batch import read_table

    return read_table(path)


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class _Recorder:
    def __init__(self, audit: AuditClient, result: CollectResult) -> None:
        self.audit, self.result = audit, result

    def append(self, subject: Subject, name: str, value: Any, unit: str | None = None,
               artifacts: dict[str, str] | None = None) -> Entry:  # fmt: skip
        entry = self.audit.append(subject, name, value, unit=unit, source=SOURCE,
                                  artifacts=artifacts)  # fmt: skip
        self.result.entries.append(entry.seq)
        return entry


def _serving(recorder: _Recorder, subject: Subject, live: LiveReading, done: SubjectResult,
             goals: Goals) -> list[Rule]:  # fmt: skip
    figures = live.figures.get((done.model, done.version))
    if figures is None or figures.requests <= 0:
        return []
    done.measurements["serving.requests"] = figures.requests
    recorder.append(subject, "serving.requests", figures.requests, "count")
    rate = round(figures.error_rate or 0.0, 6)
    done.measurements["serving.error_rate"] = rate
    entry = recorder.append(subject, "serving.error_rate", rate, "ratio")
    rules = [Rule(measurement="serving.error_rate", op="<=", required=goals.max_error_rate,
                  actual=rate, passed=rate <= goals.max_error_rate, evidence_seq=entry.seq)]  # fmt: skip
    if figures.p95_latency_ms is not None:
        p95 = figures.p95_latency_ms
        done.measurements["serving.p95_latency_ms"] = p95
        entry = recorder.append(subject, "serving.p95_latency_ms", p95, "ms")
        rules.append(Rule(measurement="serving.p95_latency_ms", op="<=",
                          required=goals.max_p95_latency_ms, actual=p95,
                          passed=p95 <= goals.max_p95_latency_ms, evidence_seq=entry.seq))  # fmt: skip
    return rules


def _drift_rules(recorder: _Recorder, subject: Subject, done: SubjectResult,
                 reference: pd.DataFrame | dict[str, FeatureReference],
                 records: list[dict[str, Any]], options: CollectOptions) -> list[Rule]:  # fmt: skip
    assert options.request_log is not None
    report, rows = _drift(reference, str(options.reference), records, done.model, done.version,
                          options, options.request_log)  # fmt: skip
    if report is None:
        done.drift = {"rows": rows, "assessed": False,
                      "reason": f"fewer than {options.thresholds.min_samples} logged rows since "
                      "the previous run"}  # fmt: skip
        return []
    artifacts = {"reference": _digest(report.reference)}
    recorder.append(subject, "drift.rows", rows, "count", artifacts)
    for item in report.features:
        recorder.append(subject, f"drift.psi.{item.feature}", item.psi, "psi")
    breached = len(report.breached)
    entry = recorder.append(subject, "drift.breached_features", breached, "count")
    allowed = options.goals.max_drifted_features
    done.drift = {"rows": rows, "assessed": True, "breached": [
        {"feature": f.feature, "psi": f.psi, "reasons": f.reasons} for f in report.breached]}  # fmt: skip
    return [Rule(measurement="drift.breached_features", op="<=", required=allowed,
                 actual=breached, passed=breached <= allowed, evidence_seq=entry.seq)]  # fmt: skip


def _subjects(
    live: LiveReading, records: list[dict[str, Any]], model: str | None
) -> list[tuple[str, str]]:
    found = set(live.figures)
    found |= {(str(r.get("model")), str(r.get("version"))) for r in records
              if r.get("model") is not None}  # fmt: skip
    return sorted(s for s in found if model is None or s[0] == model)


def _assess(audit: AuditClient, recorder: _Recorder, done: SubjectResult, rules: list[Rule],
            options: CollectOptions) -> None:  # fmt: skip
    """The verdict of the live goals; on a drift breach, the retraining request."""
    subject = Subject(model=done.model, version=done.version, environment=options.environment)
    verdict = Verdict(gate=f"live-{options.environment}", passed=all(r.passed for r in rules),
                      rules=rules)  # fmt: skip
    entry = record_verdict(audit, subject, verdict, source=SOURCE)
    recorder.result.entries.append(entry.seq)
    done.verdict = {"gate": verdict.gate, "passed": verdict.passed, "entry": entry.seq,
                    "failed": [f"{r.measurement} = {r.actual!r}, required {r.op} {r.required!r}"
                               for r in rules if not r.passed]}  # fmt: skip
    drifted = [f["feature"] for f in (done.drift or {}).get("breached", [])]
    if len(drifted) > options.goals.max_drifted_features and options.retraining is not None:
        outcome = submit(options.retraining, done.model, done.version,
                         "drift: " + ", ".join(drifted), options.kfp_transport)  # fmt: skip
        done.retraining = outcome
        run_subject = subject.model_copy(update={"run": outcome.get("run_id")})
        recorder.append(run_subject, RETRAINING, 1 if outcome["submitted"] else 0, "bool",
                        {"request": _digest(outcome["request"])})  # fmt: skip


@dataclass
class Inputs:
    """What a run reads before it writes anything: bad input fails here, with nothing written."""

    live: LiveReading
    records: list[dict[str, Any]]
    reference: pd.DataFrame | dict[str, FeatureReference] | None


def gather(options: CollectOptions) -> Inputs:
    from mlops.serving.sinks import read_records

    live = read_live(options.prometheus, options.metrics_urls, options.window)
    records = read_records(options.request_log) if options.request_log else []
    reference = _reference(options.reference) if options.reference else None
    return Inputs(live, records, reference)


def collect(
    audit: AuditClient, options: CollectOptions, inputs: Inputs | None = None
) -> CollectResult:
    """One collection run; see the module docstring for what it records."""
    inputs = inputs or gather(options)
    live, reference = inputs.live, inputs.reference
    result = CollectResult(options.environment, live.source, live.detail)
    records = recent_records(inputs.records, previous_run(audit, options.environment))
    if reference is None or not options.request_log:
        result.notes.append("drift not assessed: needs --request-log and --reference")
    subjects = _subjects(live, records, options.model)
    if not subjects:
        result.notes.append("no model version served or logged: nothing to assess")
    recorder = _Recorder(audit, result)
    for model, version in subjects:
        done = SubjectResult(model, version)
        subject = Subject(model=model, version=version, environment=options.environment)
        first = len(result.entries)
        rules = _serving(recorder, subject, live, done, options.goals)
        if reference is not None and options.request_log:
            rules += _drift_rules(recorder, subject, done, reference, records, options)
        if rules:
            _assess(audit, recorder, done, rules, options)
        if len(result.entries) > first:
            first_seq = result.entries[first]
            done.revoked = [
                str(e.value.get("certificate_id"))
                for e in audit.query(Subject(model=model, version=version), name=REVOKED,
                                     kind="certificate")
                if e.seq > first_seq and isinstance(e.value, dict)
            ]  # fmt: skip
        result.subjects.append(done)
        recorder.append(subject, MARKER, len(result.entries) - first, "count")
    if not subjects:
        recorder.append(Subject(environment=options.environment), MARKER, 0, "count")
    return result
