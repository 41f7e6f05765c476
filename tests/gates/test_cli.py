"""`mlops gates check` as users and CI call it: output, reports, recorded verdict, exit codes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mlops.cli.app import app
from mlops.errors import BadInputError
from mlops.governance.entry import Subject
from mlops.governance.quality import verdict_of
from tests.conftest import REPO
from tests.gates.scenario import MODEL, World

runner = CliRunner()


def gate_verdicts(world: World, version: str) -> list:
    entries = world.audit.query(Subject(model=MODEL, version=version), kind="verdict")
    return [e for e in entries if e.name.startswith("gate.")]


def gates(world: World, *args: str):
    common = [
        "--audit",
        world.audit_url,
        "--tracking-uri",
        world.tracking_uri,
        "--root",
        str(world.repo),
    ]
    return runner.invoke(app, ["gates", "check", *args, *common])


def test_passing_check_prints_rules_writes_reports_records_verdict(world: World):
    version = world.register()
    world.training_evidence(version)
    result = gates(world, "--model", MODEL, "--version", version, "--to", "dev")
    assert result.exit_code == 0, result.output
    assert (
        "pass roc-auc: test.roc_auc = 0.82; required >= 0.75; evidence: audit entry"
        in result.output
    )
    reports = world.repo / ".mlops/gate-reports"
    json_path = reports / f"registry-to-serving-dev-{MODEL}-v{version}.json"
    markdown = (reports / f"registry-to-serving-dev-{MODEL}-v{version}.md").read_text()
    digest = "sha256:" + hashlib.sha256(json_path.read_bytes()).hexdigest()
    [entry] = gate_verdicts(world, version)
    assert entry.name == "gate.registry-to-serving-dev"
    assert entry.subject.environment == "dev"
    assert entry.artifacts["report"] == digest
    assert digest in markdown
    assert "| roc-auc | test.roc_auc | 0.82 | >= 0.75 |" in markdown
    cited = {int(k.split(":")[1]) for k in entry.artifacts if k.startswith("evidence:")}
    assert cited == {r.evidence_seq for r in verdict_of(entry).rules if r.evidence_seq}


def test_failing_check_exits_1_and_explains(world: World):
    version = world.register()
    world.training_evidence(version, roc_auc=0.5)
    result = gates(world, "--model", MODEL, "--version", version, "--to", "dev", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["passed"] is False
    [failed] = [c for c in report["checks"] if not c["passed"]]
    assert (failed["name"], failed["actual"], failed["required"]) == ("test.roc_auc", 0.5, 0.75)
    [entry] = gate_verdicts(world, version)
    assert entry.seq == report["verdict_entry"]
    assert verdict_of(entry).passed is False


def test_code_gate_by_commit(world: World):
    commit = "c" * 40
    subject = Subject(commit=commit, environment="analytics-int")
    world.audit.append(subject, "ci.unit_tests.passed", True, source="ci")
    world.audit.append(subject, "ci.pipeline_int.passed", True, source="ci")
    result = runner.invoke(app, ["gates", "check", "--commit", commit, "--to", "analytics-int",
                                 "--audit", world.audit_url, "--root", str(world.repo)])  # fmt: skip
    assert result.exit_code == 0, result.output
    release = runner.invoke(app, ["gates", "check", "--commit", commit, "--to", "analytics-prod",
                                  "--audit", world.audit_url, "--root", str(world.repo)])  # fmt: skip
    assert release.exit_code == 0, release.output
    assert "pass integration-gate: gate.analytics-dev-to-analytics-int = True" in release.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--commit", "abc", "--to", "analytics-int"], "40-hex"),
        (["--model", MODEL, "--to", "dev"], "both required"),
        (["--model", MODEL, "--version", "1", "--to", "staging"], "allowed: dev, int, prod"),
    ],
)
def test_bad_input(world: World, args: list[str], message: str):
    result = gates(world, *args)
    assert isinstance(result.exception, BadInputError)
    assert message in str(result.exception)


def test_bad_input_exits_2_with_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "mlops", "gates", "check", "--commit", "xyz", "--to", "analytics-int",
         "--audit", "sqlite:///unused.db"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--commit: 'xyz'" in result.stderr
    assert "Traceback" not in result.stderr


def test_descriptor_recheck_as_ci_runs_it(world: World):
    from mlops.promotion.promote import promote
    from tests.gates.scenario import run_git

    version = world.register()
    world.training_evidence(version)
    outcome = promote(world.repo, MODEL, version, "dev", world.factory())
    run_git(world.repo, "checkout", "--quiet", outcome.branch)
    path = f"gitops/envs/dev/models/{MODEL}.yaml"
    reviews = world.root / "reviews.json"
    reviews.write_text('[{"user": {"login": "ann"}, "state": "APPROVED"}]')
    ok = gates(world, "--descriptor", path, "--reviews", str(reviews), "--source", "ci")
    assert ok.exit_code == 0, ok.output
    descriptor = world.repo / path
    descriptor.write_text(
        descriptor.read_text().replace("gate_report: verdict-", "gate_report: forged-")
    )
    forged = gates(world, "--descriptor", path, "--json")
    assert forged.exit_code == 1
    failed = [c["name"] for c in json.loads(forged.output)["checks"] if not c["passed"]]
    assert failed == ["descriptor.gate_report"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "qa"], "--to: no gate for model to 'qa'"),
        (["--to", "dev"], "--tracking-uri: not given"),
    ],
)
def test_bad_input_leaves_no_audit_log_behind(mlops, monkeypatch, tmp_path, args, message):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    log = tmp_path / "audit.db"
    code, _, err = mlops(
        "gates",
        "check",
        "--model",
        MODEL,
        "--version",
        "1",
        *args,
        "--audit",
        f"sqlite:///{log}",
    )
    assert code == 2 and message in err
    assert not log.exists()
