"""Evidence recording: every measurement goes to the audit log the moment it is produced.

The subject names the pipeline run, model, version, environment and commit; `source` names the
producing step (`<pipeline>/<step>`). Numeric measurements are also logged as MLflow metrics of
the run, so the registry and the audit log show the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mlflow import MlflowClient

from mlops.governance.client import AuditClient, Subject
from mlops.governance.kinds import Kind


@dataclass(frozen=True)
class Measurement:
    step: str
    name: str
    value: Any
    unit: str | None
    kind: str


@dataclass
class Evidence:
    audit: AuditClient
    subject: Subject
    pipeline: str
    mlflow: MlflowClient | None = None
    mlflow_run_id: str | None = None
    recorded: list[Measurement] = field(default_factory=list)

    def measure(
        self,
        step: str,
        name: str,
        value: Any,
        unit: str | None = None,
        artifacts: dict[str, str] | None = None,
        *,
        kind: Kind = "measurement",
    ) -> None:
        """Append to the audit log (returns once stored), then mirror numbers to MLflow."""
        self.audit.append(
            self.subject,
            name,
            value,
            unit=unit,
            source=f"{self.pipeline}/{step}",
            artifacts=artifacts,
            kind=kind,
        )
        self.recorded.append(Measurement(step, name, value, unit, kind))
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if self.mlflow and self.mlflow_run_id and is_number and math.isfinite(value):
            self.mlflow.log_metric(self.mlflow_run_id, name, float(value))
