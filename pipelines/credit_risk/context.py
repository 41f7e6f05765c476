"""What every step of one pipeline run shares: configuration, MLflow run, evidence subject.

The first step opens the run (`open_run`); on a cluster each later component re-attaches with
the identifiers the first one output (`attach_run`), so all steps write into one MLflow run and
under one audit subject.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from mlflow import MlflowClient

from mlops.config import environment as settings
from mlops.governance.client import (
    AuditClient,
    AuditUnavailableError,
    Subject,
    audit_client_from_url,
)
from mlops.pipelines import tracking
from mlops.pipelines.evidence import Evidence
from mlops.pipelines.provenance import code_ref
from mlops.repository import REPO_ROOT
from pipelines.credit_risk.config import ModeConfig, PipelineConfig, load_config

PIPELINE = "credit-risk-training"


@dataclass
class RunContext:
    config: PipelineConfig
    mode: str
    run: str
    workdir: Path
    client: MlflowClient
    mlflow_run_id: str
    version: str
    commit: str
    evidence: Evidence

    @property
    def settings(self) -> ModeConfig:
        return self.config.mode(self.mode)

    def ids(self) -> dict[str, str]:
        """What a later component needs to re-attach (see `attach_run`)."""
        return {
            "run": self.run,
            "mlflow_run_id": self.mlflow_run_id,
            "version": self.version,
            "commit": self.commit,
        }


def next_version(client: MlflowClient, name: str) -> str:
    """The version number the registry will give this run's model (the audit subject's version).

    `register` checks the number it actually gets against this one and refuses a mismatch."""
    versions = client.search_model_versions(f"name='{name}'")
    return str(max((int(v.version) for v in versions), default=0) + 1)


def _audit(url: str) -> AuditClient:
    return audit_client_from_url(url, settings.AUDIT_TOKEN.get())


def open_run(
    mode: str,
    workdir: Path,
    tracking_uri: str,
    audit_url: str,
    *,
    run: str | None = None,
    config: PipelineConfig | None = None,
) -> RunContext:
    """Start an MLflow run and fix the audit subject for the whole pipeline run."""
    config = config or load_config()
    config.mode(mode)
    client = tracking.connect(tracking_uri)
    experiment = tracking.experiment_id(
        client, config.experiment, tracking.local_artifact_root(tracking_uri)
    )
    run = run or f"{PIPELINE}-{uuid.uuid4().hex[:12]}"
    commit = code_ref(REPO_ROOT).commit
    mlflow_run = client.create_run(
        experiment,
        run_name=run,
        tags={"mlops.pipeline": PIPELINE, "mlops.pipeline.run": run, "mlops.mode": mode},
    )
    version = next_version(client, config.model_name)
    return _context(
        config, mode, run, workdir, client, mlflow_run.info.run_id, version, commit, audit_url
    )


def attach_run(
    mode: str,
    workdir: Path,
    tracking_uri: str,
    audit_url: str,
    ids: dict[str, str],
    config: PipelineConfig | None = None,
) -> RunContext:
    """Join the run another component opened."""
    client = tracking.connect(tracking_uri)
    return _context(
        config or load_config(),
        mode,
        ids["run"],
        workdir,
        client,
        ids["mlflow_run_id"],
        ids["version"],
        ids["commit"],
        audit_url,
    )


def _context(
    config: PipelineConfig,
    mode: str,
    run: str,
    workdir: Path,
    client: MlflowClient,
    mlflow_run_id: str,
    version: str,
    commit: str,
    audit_url: str,
) -> RunContext:
    subject = Subject(
        model=config.model_name, version=version, environment=mode, run=run, commit=commit
    )
    evidence = Evidence(_audit(audit_url), subject, PIPELINE, client, mlflow_run_id)
    return RunContext(config, mode, run, workdir, client, mlflow_run_id, version, commit, evidence)


def record_failure(ctx: RunContext, step: str, error: BaseException) -> None:
    """`pipeline.status` failed, with the step and the reason, and the MLflow run marked FAILED
    (also when the audit log itself is what failed)."""
    reason = f"{type(error).__name__}: {error}"[:2000]
    try:
        if not isinstance(error, AuditUnavailableError):
            ctx.evidence.measure(
                "pipeline", "pipeline.status", {"status": "failed", "step": step, "reason": reason}
            )
    finally:
        ctx.client.set_terminated(ctx.mlflow_run_id, "FAILED")
