"""Evidence pre-fill: each rule fires on what exists in a repository, and cites it."""

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from mlops.errors import BadInputError
from mlops.governance.entry import Subject
from mlops.governance.log import EvidenceLog
from mlops.maturity.answers import parse_answers
from mlops.maturity.evidence import Finding, collect
from mlops.maturity.prefill import prefill
from mlops.maturity.scheme import Scheme

CI = """\
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: uv run pytest -q
      - run: pulumi preview --stack int --policy-pack policies/crossguard
"""
DEPLOY = """\
  release:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: mlops promote --to serving-int
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def platform_repo(tmp_path: Path) -> Path:
    """A repository with CI, CD, policy packs, two gates, MLflow, a training pipeline, monitors."""
    return _write(
        tmp_path / "repo",
        {
            ".github/workflows/ci.yml": CI + DEPLOY,
            "tests/test_app.py": "def test_ok():\n    assert True\n",
            "policies/crossguard/PulumiPolicy.yaml": "runtime: python\n",
            "policies/gates/dev-to-int.yaml": "rules: []\n",
            "policies/gates/int-to-prod.yaml": "name: int-to-prod\nrules: []\n",
            "components/tracking.py": "# MLflow tracking server\nIMAGE = 'ghcr.io/mlflow/mlflow'\n",
            "pipelines/train.py": "import mlflow\nmlflow.register_model('runs:/1/model', 'm')\n",
            "gitops/int/monitor.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n",
        },
    )


def _by_key(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {f.key: f for f in findings}


def _cited_paths(finding: Finding) -> list[str]:
    return [item.split(":", 1)[0] for item in finding.evidence if not item.startswith("...")]


def test_empty_repository_proves_nothing(tmp_path: Path) -> None:
    collected = collect(tmp_path)
    assert collected.findings == []
    assert any("no CI workflow" in note for note in collected.notes)


def test_full_platform_prefills_with_cited_evidence(platform_repo: Path) -> None:
    found = _by_key(collect(platform_repo).findings)
    assert {k: f.level for k, f in found.items()} == {
        ("release_integration", "application_tests"): 2,
        ("release_integration", "release_management"): 4,
        ("release_integration", "release_automation"): 4,
        ("release_integration", "release_process"): 4,
        ("tooling", "lifecycle_tooling"): 2,
        ("testing_validation", "compliance"): 2,
        ("model_creation", "experiment_tracking"): 4,
        ("model_creation", "code_and_model_versioning"): 3,
        ("visualization_monitoring_documentation", "monitoring"): 2,
    }
    for finding in found.values():
        assert finding.evidence, finding
        for path in _cited_paths(finding):
            assert (platform_repo / path).exists(), (finding.factor, path)
    tests = found[("release_integration", "application_tests")].evidence
    assert ".github/workflows/ci.yml:8: - run: uv run pytest -q" in tests
    assert "tests/: 1 test files" in tests
    release = found[("release_integration", "release_automation")].evidence
    assert ".github/workflows/ci.yml:14: - run: mlops promote --to serving-int" in release
    compliance = found[("testing_validation", "compliance")].evidence
    assert "policies/crossguard/PulumiPolicy.yaml" in compliance
    assert any(e.startswith(".github/workflows/ci.yml:9:") for e in compliance)
    tracking = found[("model_creation", "experiment_tracking")].evidence
    assert tracking == (
        "components/tracking.py:2: IMAGE = 'ghcr.io/mlflow/mlflow'",
        "pipelines/train.py:1: import mlflow",
        "pipelines/train.py:2: mlflow.register_model('runs:/1/model', 'm')",
    )


def test_ci_without_deployment_proves_tests_only(tmp_path: Path) -> None:
    repo = _write(tmp_path, {".github/workflows/ci.yml": CI, "tests/test_a.py": "x = 1\n"})
    found = _by_key(collect(repo).findings)
    assert set(found) == {("release_integration", "application_tests")}


def test_policies_that_no_ci_runs_are_not_evidence(tmp_path: Path) -> None:
    repo = _write(tmp_path, {"policies/crossguard/PulumiPolicy.yaml": "runtime: python\n"})
    collected = collect(repo)
    assert collected.findings == []
    assert any("no CI workflow runs them" in note for note in collected.notes)


def test_broken_or_jobless_workflows_are_not_evidence(tmp_path: Path) -> None:
    repo = _write(
        tmp_path,
        {
            ".github/workflows/a.yml": "jobs: [\n",
            ".github/workflows/b.yaml": "name: nothing\n",
            "tests/test_a.py": "x = 1\n",
        },
    )
    collected = collect(repo)
    assert collected.findings == []
    assert any(n.startswith(".github/workflows/a.yml: not used") for n in collected.notes)
    assert any(
        n.startswith(".github/workflows/b.yaml: not used as evidence: no jobs")
        for n in collected.notes
    )


def test_argo_cd_applications_count_as_cd(tmp_path: Path) -> None:
    app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: serving}\n"
    repo = _write(tmp_path, {".github/workflows/ci.yml": CI, "gitops/apps/serving.yaml": app})
    found = _by_key(collect(repo).findings)
    release = found[("release_integration", "release_management")]
    assert release.level == 3  # CD proven; no test files, so CI running the tests is not
    assert "gitops/apps/serving.yaml:2: kind: Application" in release.evidence
    assert ".github/workflows/ci.yml" in release.evidence


def _log(path: Path, gates: list[str]) -> str:
    with EvidenceLog.open(str(path)) as log:  # signed: <db>.key.pem beside it
        for gate in gates:
            verdict = {"gate": gate, "passed": True, "rules": []}
            subject = Subject(model="churn", version="3")
            log.append(subject, f"gate.{gate}", verdict, kind="verdict")
    return str(path)


def test_verdicts_for_every_gate_with_ci_policies_is_continuous_audit(
    platform_repo: Path, tmp_path: Path
) -> None:
    db = _log(tmp_path / "audit.db", ["dev-to-int", "int-to-prod"])
    finding = _by_key(collect(platform_repo, db).findings)[("testing_validation", "compliance")]
    assert finding.level == 4
    assert (
        f"{db}#seq=1: verdict gate.dev-to-int = pass [model=churn,version=3]"
        in finding.evidence[-2]
    )
    assert finding.evidence[-1].startswith(f"{db}#seq=2: verdict gate.int-to-prod")


def test_verdicts_for_some_gates_only(platform_repo: Path, tmp_path: Path) -> None:
    db = _log(tmp_path / "audit.db", ["dev-to-int"])
    finding = _by_key(collect(platform_repo, db).findings)[("testing_validation", "compliance")]
    assert finding.level == 3
    assert "gates without a verdict: int-to-prod" in finding.reason


def test_verdicts_without_ci_policies(tmp_path: Path) -> None:
    db = _log(tmp_path / "audit.db", ["dev-to-int"])
    repo = _write(tmp_path / "repo", {"README.md": "x\n"})
    finding = _by_key(collect(repo, db).findings)[("testing_validation", "compliance")]
    assert finding.level == 2
    assert all(e.startswith(f"{db}#seq=") for e in finding.evidence)


def test_a_tampered_log_proves_nothing(tmp_path: Path) -> None:
    db = _log(tmp_path / "audit.db", ["dev-to-int"])
    with sqlite3.connect(db) as connection:
        for (trigger,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger'"
        ).fetchall():
            connection.execute(f'DROP TRIGGER "{trigger}"')
        connection.execute("""UPDATE audit_entries SET value = '{"passed":false}' WHERE seq = 1""")
    connection.close()
    collected = collect(_write(tmp_path / "repo", {"README.md": "x\n"}), db)
    assert collected.findings == []
    assert any("the log does not verify" in note for note in collected.notes)


def test_missing_audit_log_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"audit\.db: --audit: file not found"):
        collect(tmp_path, str(tmp_path / "audit.db"))
    assert not (tmp_path / "audit.db").exists()


def test_repo_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="--repo: not a directory"):
        collect(tmp_path / "missing")


def test_prefill_fills_unrated_and_flags_contradictions(
    scheme: Scheme, rate_all: Any, platform_repo: Path
) -> None:
    old = rate_all(0)
    new = rate_all(1)
    del new["model_creation"]["experiment_tracking"]
    new["release_integration"]["release_management"] = 1
    new["testing_validation"]["compliance"] = 3
    answers = parse_answers(
        {"milestones": [{"name": "MS2", "answers": old}, {"name": "MS4", "answers": new}]},
        scheme,
        "a.yaml",
    )
    filled, notes = prefill(answers, collect(platform_repo).findings)
    assert filled.milestones[0] == answers.milestones[0]
    latest = filled.milestones[1].answers
    tracking = latest[("model_creation", "experiment_tracking")]
    assert (tracking.level, tracking.source) == (4, "platform")
    assert tracking.evidence[0].startswith("components/tracking.py:2:")
    assert latest[("release_integration", "release_management")].level == 1
    actions = {(n.dimension, n.factor): n.action for n in notes}
    assert actions[("model_creation", "experiment_tracking")] == "filled"
    assert actions[("release_integration", "release_management")] == "contradicted"
    assert actions[("testing_validation", "compliance")] == "confirmed"
    assert all(n.milestone == "MS4" and n.evidence for n in notes)


def test_prose_mentioning_mlflow_is_not_tracking_configuration(tmp_path: Path) -> None:
    repo = _write(
        tmp_path,
        {
            "components/storage.py": '"""Object storage for MLflow artifacts."""\n',
            "stacks/Pulumi.dev.yaml": "roles:\n  data-scientist: [notebooks, mlflow]\n",
        },
    )
    assert collect(repo).findings == []
    repo = _write(
        tmp_path, {"stacks/Pulumi.int.yaml": "hosts:\n  mlflow: mlflow.int.example.com\n"}
    )
    [finding] = collect(repo).findings
    assert finding.evidence == ("stacks/Pulumi.int.yaml:2: mlflow: mlflow.int.example.com",)


def test_a_file_that_is_not_an_evidence_log_is_bad_input_and_untouched(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n" * 100)
    with pytest.raises(BadInputError, match=r"notes\.txt: --audit: not a SQLite database"):
        collect(tmp_path, str(text_file))
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
    before = other.read_bytes()
    with pytest.raises(BadInputError, match=r"other\.db: --audit: no audit_entries table"):
        collect(tmp_path, str(other))
    assert other.read_bytes() == before
