"""What a gate is evaluated against: the subject, the evidence, the registry and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mlops.errors import BadInputError
from mlops.gates.registry import Registry
from mlops.governance.client import AuditClient
from mlops.governance.entry import Entry, Subject


@dataclass(frozen=True)
class Target:
    """The subject a gate admits: a model version, or a code commit."""

    kind: Literal["model", "code"]
    environment: str
    model: str | None = None
    version: str | None = None
    commit: str | None = None

    @property
    def subject(self) -> Subject:
        """The audit subject of the verdict (environment = where it is admitted to)."""
        if self.kind == "model":
            return Subject(model=self.model, version=self.version, environment=self.environment)
        return Subject(commit=self.commit, environment=self.environment)

    @property
    def evidence_subject(self) -> Subject:
        """Evidence about the subject, recorded in any environment."""
        if self.kind == "model":
            return Subject(model=self.model, version=self.version)
        return Subject(commit=self.commit)

    def label(self) -> str:
        if self.kind == "model":
            return f"{self.model} v{self.version} -> {self.environment}"
        return f"commit {self.commit} -> {self.environment}"


@dataclass
class Context:
    """Everything evaluation reads; nothing here is written until the verdict is recorded."""

    root: Path
    audit: AuditClient
    registry: Registry | None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    reviews: list[dict[str, Any]] | None = None
    _cache: dict[Subject, list[Entry]] = field(default_factory=dict)

    def entries(self, subject: Subject) -> list[Entry]:
        """All entries about a subject, oldest first (read once per evaluation)."""
        if subject not in self._cache:
            self._cache[subject] = self.audit.query(subject)
        return self._cache[subject]

    def seen(self) -> dict[int, Entry]:
        """Every entry read so far, by sequence number."""
        return {entry.seq: entry for rows in self._cache.values() for entry in rows}

    def need_registry(self) -> Registry:
        if self.registry is None:
            raise BadInputError(
                "--tracking-uri: this gate reads the MLflow registry; allowed: sqlite:///PATH, "
                "http(s)://HOST (or set MLFLOW_TRACKING_URI)"
            )
        return self.registry
