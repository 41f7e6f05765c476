"""A scratch world for gate and promotion tests: a Git repository holding a copy of the GitOps
tree, a real MLflow registry on SQLite and a real audit log, all in a tmp dir, no network."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlops.gates import evidence_names as names
from mlops.gates.context import Context
from mlops.gates.registry import MlflowRegistry
from mlops.governance.client import EmbeddedAuditClient
from mlops.governance.entry import Subject
from mlops.promotion.finalize import finalize
from mlops.promotion.promote import Outcome, promote
from mlops.serving.digest import artifact_digest
from tests.conftest import REPO

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
COPIED = ("Pulumi.yaml", "stacks", "gitops", "policies/gates", ".github/CODEOWNERS",
          ".github/branch-protection.json")  # fmt: skip
MODEL = "credit-risk"


def run_git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def make_repo(path: Path) -> Path:
    """`git init` a copy of the parts of this repository that promotion reads and writes."""
    path.mkdir(parents=True)
    for item in COPIED:
        source, target = REPO / item, path / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    run_git(path, "init", "--quiet", "-b", "main")
    run_git(path, "config", "user.email", "test@example.com")
    run_git(path, "config", "user.name", "test")
    run_git(path, "add", "--all")
    run_git(path, "commit", "--quiet", "-m", "scratch copy")
    return path


@dataclass
class World:
    root: Path
    repo: Path
    tracking_uri: str
    audit_url: str
    audit: EmbeddedAuditClient
    registry: MlflowRegistry
    versions: dict[str, str] = field(default_factory=dict)

    def context(self, tree: Path | None = None, hours_later: float = 0.0) -> Context:
        now = datetime.now(UTC) + timedelta(hours=hours_later)
        return Context(root=tree or self.repo, audit=self.audit, registry=self.registry, now=now)

    def factory(self, hours_later: float = 0.0):
        return lambda tree: self.context(tree, hours_later)

    def register(self, model: str = MODEL, payload: bytes = b"weights", **tags: str) -> str:
        """A new registered version with its artifact on disk and complete handover tags."""
        client = self.registry.client
        if not client.search_registered_models(filter_string=f"name = '{model}'"):
            client.create_registered_model(model)
        count = len(client.search_model_versions(f"name = '{model}'"))
        artifact = self.root / "artifacts" / model / str(count + 1) / "model"
        artifact.mkdir(parents=True)
        (artifact / "MLmodel").write_text(f"flavors: {{}}\nname: {model}\n")
        (artifact / "model.bin").write_bytes(payload + str(count).encode())
        handover = {
            "storage_uri": f"s3://mlflow-artifacts/7/{model}-{count + 1}/artifacts/model",
            "model_digest": artifact_digest(artifact),
            "code_repository": "https://github.com/example-org/credit-risk.git",
            "code_commit": f"{count + 1:x}".rjust(40, "a"),
            "data_reference": "s3://datasets/credit-risk/snapshots/2025-07-31/",
            "data_digest": "sha256:" + f"{count + 1}".rjust(64, "d"),
            "parameters_reference": f"s3://mlflow-artifacts/7/{model}-{count + 1}/params.yaml",
            "environment_spec": f"s3://mlflow-artifacts/7/{model}-{count + 1}/conda.yaml",
            "environment_digest": "sha256:" + "e" * 64,
            "model_card": f"https://governance.mlops.example.com/model-cards/{model}/{count + 1}",
        }
        handover.update(tags)
        all_tags = {names.HANDOVER_TAG_PREFIX + k: v for k, v in handover.items() if v}
        version = client.create_model_version(model, artifact.as_uri(), tags=all_tags)
        return str(version.version)

    def tags(self, model: str, version: str) -> dict[str, str]:
        found = self.registry.model_version(model, version)
        assert found is not None
        return {k.removeprefix(names.HANDOVER_TAG_PREFIX): v for k, v in found.tags.items()}

    def training_evidence(
        self, version: str, model: str = MODEL, roc_auc: float = 0.82, **overrides: object
    ) -> None:
        """What the analytics-prod pipeline records for a version it registered (the names and
        kinds of `pipelines/credit_risk/steps.py` and `handover.py`)."""
        tags = self.tags(model, version)
        subject = Subject(model=model, version=version, environment="prod", run="r1")
        evaluated = str(overrides.pop("evaluated_digest", tags.get("model_digest")))
        validated = str(overrides.pop("validated_digest", tags.get("data_digest")))
        passed = overrides.pop("validation_passed", True)
        entries: list[tuple[str, object, str, dict[str, str]]] = [
            (names.DATA_INGESTED, 1500, "measurement", {names.ARTIFACT_DATA: validated}),
            (names.DATA_VALIDATION, {"passed": passed, "findings": [] if passed else [
                {"column": "age", "rule": "range", "detail": "3 values below 18"}]}, "verdict", {}),
            (names.EVAL_ROC_AUC, roc_auc, "measurement", {}),
            (names.EVAL_GAIN_OVER_BASELINE, 0.07, "measurement", {}),
            (names.FAIRNESS_DEMOGRAPHIC_PARITY, 0.04, "measurement", {}),
            (names.FAIRNESS_EQUALIZED_ODDS, 0.05, "measurement", {}),
            (names.ANALYTICS_VERDICT, {"passed": True, "rules": []}, "verdict", {}),
            (names.HANDOVER_DOCUMENT, {"files": ["handover.json"]}, "document",
             {names.ARTIFACT_MODEL: evaluated, names.ARTIFACT_DATA: validated}),
        ]  # fmt: skip
        for name, default, kind, artifacts in entries:
            value = overrides.pop(name, default)
            if value is not None:
                self.audit.append(
                    subject, name, value, None, "credit-risk/evaluate", artifacts, kind=kind
                )
        assert not overrides, overrides

    def int_evidence(self, version: str, model: str = MODEL, p95: float = 120.0) -> None:
        """What `mlops loadtest` and the equivalence test record in serving-int."""
        subject = Subject(model=model, version=version, environment="int")
        for name, value in (
            (names.LOADTEST_P95_LATENCY_MS, p95),
            (names.LOADTEST_ERROR_RATE, 0.001),
            (names.LOADTEST_THROUGHPUT_RPS, 85.0),
            (names.EQUIVALENCE_MAX_ABS_DIFF, 0.0),
        ):
            self.audit.append(subject, name, value, None, "mlops loadtest")

    def merge(self, branch: str) -> None:
        """What the Git host does when the pull request is merged."""
        run_git(self.repo, "merge", "--quiet", "--no-ff", "-m", f"Merge {branch}", branch)

    def descriptor(self, env: str, model: str = MODEL, ref: str = "HEAD") -> bytes:
        return subprocess.run(
            ["git", "-C", str(self.repo), "show", f"{ref}:gitops/envs/{env}/models/{model}.yaml"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip


def promote_and_merge(
    world: World, version: str, env: str, hours_later: float = 0.0, **kw: Any
) -> Outcome:
    """`mlops promote`, its pull request merged, then `mlops promote --finalize` (the alias)."""
    outcome = promote(world.repo, MODEL, version, env, world.factory(hours_later), **kw)
    world.merge(outcome.branch)
    finalize(world.repo, MODEL, version, env, world.context())
    return outcome


def new_world(tmp: Path, mlflow_template: Path) -> World:
    db = tmp / "mlflow.db"
    shutil.copy2(mlflow_template, db)
    tracking = f"sqlite:///{db}"
    audit_url = f"sqlite:///{tmp / 'audit.db'}"
    return World(
        root=tmp, repo=make_repo(tmp / "repo"), tracking_uri=tracking, audit_url=audit_url,
        audit=EmbeddedAuditClient(audit_url), registry=MlflowRegistry(tracking),
    )  # fmt: skip


_TEMPLATE: list[Path] = []


def migrated_mlflow_db(directory: Path) -> Path:
    """An empty MLflow database with every migration applied, made once per test session (slow)
    and copied by each test."""
    if not _TEMPLATE:
        db = directory / "template.db"
        MlflowRegistry(f"sqlite:///{db}").client.search_registered_models()
        _TEMPLATE.append(db)
    return _TEMPLATE[0]
