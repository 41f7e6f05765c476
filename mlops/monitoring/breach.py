"""What a drift breach sets in motion: evidence in the audit log, and optionally a retraining
run (Zwiesler 2.4: observations from production feed back into training).

Audit entries (kind measurement, source `drift-monitor`), per breached feature:
`drift.psi.<feature>` (unit psi) and, for numeric features, `drift.ks_statistic.<feature>`;
plus `drift.breached_features` (count). The subject is the model, version and environment.

Retraining triggers (`trigger_from_options`):
- command: an argv run with the JSON drift report on stdin and in `MLOPS_DRIFT_REPORT` (a file
  path); for example `mlops pipelines run ...`, a CI dispatch via `gh`, or `kubectl create`.
- KFP: `POST <host>/apis/v2beta1/runs` of a registered pipeline version, with parameters
  `model`, `version`, `reason` (the breached features); the bearer token, if any, from
  `MLOPS_KFP_TOKEN`. The answer's run id goes into the audit log as `drift.retraining_run`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from mlops.config import environment as settings
from mlops.errors import BadInputError
from mlops.governance.client import AuditClient, Subject
from mlops.monitoring.drift import DriftReport

SOURCE = "drift-monitor"


def _metric_name(prefix: str, feature: str) -> str:
    return f"{prefix}.{re.sub(r'[^A-Za-z0-9_.:/@+-]', '_', feature)}"[:256]


def record_breach(audit: AuditClient, report: DriftReport, subject: Subject,
                  artifacts: dict[str, str] | None = None) -> list[int]:  # fmt: skip
    """Append the breach evidence; returns the entries' sequence numbers."""
    seqs = []
    for item in report.breached:
        seqs.append(audit.append(subject, _metric_name("drift.psi", item.feature), item.psi,
                                 unit="psi", source=SOURCE, artifacts=artifacts).seq)  # fmt: skip
        if item.ks_statistic is not None:
            seqs.append(audit.append(subject, _metric_name("drift.ks_statistic", item.feature),
                                     item.ks_statistic, unit="ratio", source=SOURCE,
                                     artifacts=artifacts).seq)  # fmt: skip
    seqs.append(audit.append(subject, "drift.breached_features", len(report.breached),
                             unit="count", source=SOURCE, artifacts=artifacts).seq)  # fmt: skip
    return seqs


class RetrainTrigger(Protocol):
    def __call__(self, report: DriftReport) -> dict[str, Any]: ...


@dataclass
class CommandTrigger:
    """Runs a configured command; its exit status decides success."""

    argv: list[str]
    timeout: float = 300.0

    def __call__(self, report: DriftReport) -> dict[str, Any]:
        text = report.model_dump_json()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write(text)
        try:
            done = subprocess.run(
                self.argv, input=text, capture_output=True, text=True, timeout=self.timeout,
                env={**os.environ, settings.DRIFT_REPORT.name: handle.name}, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as error:
            return {"trigger": "command", "ok": False, "error": str(error)}
        finally:
            Path(handle.name).unlink(missing_ok=True)
        return {"trigger": "command", "ok": done.returncode == 0, "exit_code": done.returncode,
                "output": done.stdout[-2000:]}  # fmt: skip


@dataclass
class KfpTrigger:
    """Creates a Kubeflow Pipelines run of a registered pipeline version (API v2beta1), with the
    request the evidence collector makes (`mlops.evidence.retrain`: one implementation)."""

    host: str
    pipeline_id: str
    pipeline_version_id: str
    experiment_id: str | None = None
    transport: httpx.BaseTransport | None = None

    def __call__(self, report: DriftReport) -> dict[str, Any]:
        from mlops.evidence.retrain import Retraining, submit

        target = Retraining(self.host, self.pipeline_id, self.pipeline_version_id,
                            self.experiment_id)  # fmt: skip
        reason = "drift: " + ",".join(f.feature for f in report.breached)
        outcome = submit(target, report.model, report.version, reason, self.transport)
        if outcome["ok"]:
            return {"trigger": "kfp", "ok": True, "run_id": outcome["run_id"]}
        return {"trigger": "kfp", "ok": False, "error": outcome["reason"]}


def trigger_from_options(command: str | None, kfp_host: str | None,
                         kfp_pipeline: str | None) -> RetrainTrigger | None:  # fmt: skip
    """`--retrain-command "CMD ARGS"` or `--retrain-kfp HOST --retrain-pipeline ID:VERSION_ID`."""
    import shlex

    if command and kfp_host:
        raise BadInputError("--retrain-command and --retrain-kfp: choose one")
    if command:
        return CommandTrigger(shlex.split(command))
    if kfp_host:
        pipeline, sep, version = (kfp_pipeline or "").partition(":")
        if not sep or not pipeline or not version:
            raise BadInputError("--retrain-pipeline: required with --retrain-kfp as "
                                "PIPELINE_ID:PIPELINE_VERSION_ID")  # fmt: skip
        return KfpTrigger(kfp_host, pipeline, version)
    return None


def report_json(report: DriftReport) -> dict[str, Any]:
    return json.loads(report.model_dump_json())
