"""Fixtures for the pipeline tests: a step context without MLflow (unit tests) and one MLflow
store shared by the whole session (creating an MLflow SQLite schema takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from threadpoolctl import threadpool_limits

from mlops.governance.client import EmbeddedAuditClient, Subject
from mlops.pipelines.evidence import Evidence
from mlops.pipelines.tracking import local_uri
from pipelines.credit_risk.config import PipelineConfig, load_config
from pipelines.credit_risk.context import PIPELINE, RunContext


@dataclass
class FakeMlflow:
    """Records what steps log to MLflow; enough for unit tests of single steps."""

    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self.params[key] = value

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self.tags[key] = value

    def get_model_version_by_alias(self, name: str, alias: str) -> Any:
        from mlflow.exceptions import MlflowException

        raise MlflowException(f"{name}@{alias} not found")


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> Iterator[None]:
    """Small data: one OpenMP/BLAS thread is faster and steadier on a shared 2-core machine."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def config() -> PipelineConfig:
    return load_config()


@pytest.fixture
def make_ctx(tmp_path: Path, config: PipelineConfig) -> Iterator[Any]:
    """`make_ctx(mode)`: a RunContext with an embedded audit log in tmp_path and a fake MLflow."""
    opened: list[EmbeddedAuditClient] = []

    def make(mode: str = "int", cfg: PipelineConfig | None = None) -> RunContext:
        audit = EmbeddedAuditClient(f"sqlite:///{tmp_path / 'audit.db'}")
        opened.append(audit)
        subject = Subject(
            model="credit-risk", version="1", environment=mode, run="unit", commit="c"
        )
        evidence = Evidence(audit, subject, PIPELINE)
        return RunContext(
            cfg or config, mode, "unit", tmp_path, FakeMlflow(), "mlrun", "1", "c", evidence
        )  # type: ignore[arg-type]

    yield make
    for audit in opened:
        audit.close()


@dataclass(frozen=True)
class Store:
    workdir: Path
    tracking_uri: str

    def run_options(self) -> list[str]:
        """What `mlops pipeline run` needs to run against this store."""
        return ["--workdir", str(self.workdir), "--tracking-uri", self.tracking_uri]


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One MLflow tracking + registry store (SQLite, artifacts beside it) for the session."""
    workdir = tmp_path_factory.mktemp("mlflow")
    return Store(workdir, local_uri(workdir))
