"""`mlops demo` end to end (CI's end-to-end check) and interrupted at several steps: the model
reaches prod through three gates and merged pull-request branches, the auditor's evidence is
written, `mlops verify --target local` and the live suite pass against the running platform,
and no process of the demo outlives it, whenever it is stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops.repository import REPO_ROOT
from tests.demo.conftest import READY_TIMEOUT_S, DemoProcess, start_demo

pytestmark = pytest.mark.demo


def test_full_demo_releases_to_prod_with_the_evidence(held_demo: DemoProcess):
    summary = json.loads((held_demo.workdir / "summary.json").read_text())
    assert [p["env"] for p in summary["promotions"]] == ["dev", "int", "prod"]
    assert [p["gate"] for p in summary["promotions"]] == [
        "registry-to-serving-dev", "registry-to-serving-int", "serving-int-to-serving-prod",
    ]  # fmt: skip
    repo = Path(summary["repository"]["clone"])
    for promotion in summary["promotions"]:
        assert (
            promotion["branch"] == f"promote/credit-risk/{promotion['env']}/v{summary['version']}"
        )
        parents = subprocess.run(["git", "-C", str(repo), "rev-list", "--parents", "-n", "1", promotion["merge"]],
                                 capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
        assert parents[2] == promotion["commit"]  # merged: the branch's commit is the second parent
    (switch,) = summary["rollout_steps"]  # int is blue-green: tested on the idle colour first
    assert (switch["env"], switch["step"], switch["gate"]) == (
        "int",
        "switch",
        "blue-green-step-int",
    )
    int_release = (repo / "gitops/envs/int/models/credit-risk.yaml").read_text()
    colours = dict(line.split(": ") for line in int_release.splitlines() if "_color:" in line)
    assert colours["release_color"] == colours["active_color"]
    released = (repo / "gitops/envs/prod/models/credit-risk.yaml").read_text()
    assert f"registry_version: {summary['version']}\n" in released
    for report in summary["gate_reports"]:
        text = Path(report).read_text()
        assert "passed" in text.lower()
    assert len(summary["gate_reports"]) == 3
    evidence = summary["evidence"]
    assert Path(evidence["audit_report"]).read_text().lstrip().lower().startswith("<!doctype html")
    certificate = json.loads(Path(evidence["certificate"]).read_text())
    assert certificate["model"] == "credit-risk" and certificate["version"] == summary["version"]
    assert summary["tests"]["equivalence.int"]["max_abs_diff"] <= 1e-6
    # the evidence collector: live figures (a real Prometheus where the package is installed),
    # then an injected drift revokes the certificate issued over the live verdict
    monitoring = summary["monitoring"]
    assert monitoring["first"]["verdict"]["passed"]
    source = monitoring["first"]["live"]["source"]
    assert source == ("prometheus" if monitoring["prometheus"].startswith("http") else
                      "metrics-endpoints")  # fmt: skip
    assert "live-prod" in certificate["gates"]
    assert monitoring["drift"]["revoked"] == [certificate["id"]]
    assert "income" in monitoring["drift"]["breached"]
    request = json.loads(Path(monitoring["drift"]["retraining_request"]).read_text())
    assert request["runtime_config"]["parameters"]["model"] == "credit-risk"
    assert summary["verification"]["failed"] == 0
    output = held_demo.text()
    for path in (evidence["audit_report"], *summary["gate_reports"]):
        assert Path(path).name in output  # the printed summary names where they are


def test_each_promotion_copied_the_model_into_its_environments_store(held_demo: DemoProcess):
    """The transfer of every promotion is evidence in the audit log (source, target, digest
    verified, identity), read from the registry's store where MLflow serves it; the descriptor
    pins that copy and its handover documents, and each serving environment's store holds it."""
    summary = json.loads((held_demo.workdir / "summary.json").read_text())
    repo = Path(summary["repository"]["clone"])
    conn = sqlite3.connect(f"file:{held_demo.workdir / 'audit' / 'audit.db'}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT seq, environment, value, artifacts FROM audit_entries "
        "WHERE name = 'promotion.transfer' AND model = 'credit-risk' AND version = ?",
        (summary["version"],),
    ).fetchall()
    conn.close()
    recorded = {env: (seq, json.loads(value), json.loads(arts)) for seq, env, value, arts in rows}
    assert sorted(recorded) == ["dev", "int", "prod"]
    for promotion in summary["promotions"]:
        env = promotion["env"]
        seq, value, artifacts = recorded[env]
        assert promotion["transfer_entry"] == seq
        release = (repo / f"gitops/envs/{env}/models/credit-risk.yaml").read_text()
        assert f"storage_uri: {value['target_uri']}\n" in release
        assert f"model_digest: {value['digest']}\n" in release
        assert artifacts == {"model": value["digest"]}
        assert value["measured_digest"] == {"source": value["digest"], "copy": value["digest"]}
        assert value["identity"] == {"source": "model-transfer", "target": "model-transfer"}
        assert value["source_uri"].startswith("mlflow-artifacts:/")  # MLflow serves it
        assert value["target_uri"].startswith("s3://released-models/")
        documents = value["documents"]  # the handover travels with the model
        assert sorted(documents) == ["environment_spec", "model_card", "parameters_reference"]
        for field, document in documents.items():
            assert f"{field}: {document['target_uri']}\n" in release
        store = held_demo.workdir / "stores" / env / "data"
        assert store.is_dir() and any(store.rglob("*"))
    commit = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%B",
                             summary["promotions"][-1]["commit"]],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "Model-Transfer: mlflow-artifacts:/" in commit and "verified, audit entry" in commit


def test_verify_local_passes_against_the_running_platform(held_demo: DemoProcess):
    done = subprocess.run(
        [sys.executable, "-m", "mlops", "verify", "--target", "local", "--workdir", str(held_demo.workdir), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == 0
    checked = {(r["check"], r["name"]) for r in report["results"] if r["status"] == "passed"}
    for service in ("mlflow", "audit", "predictor-prod"):
        assert {("processes", service), ("listening", service), ("health", service)} <= checked
    assert ("audit-chain", "audit") in checked and ("predictor", "predictor-prod") in checked


def test_live_suite_runs_against_the_embedded_platform(held_demo: DemoProcess):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(REPO_ROOT / "tests/live"), "-q", "-p", "no:cacheprovider", "-n0",
         "--target", "local", "--demo-workdir", str(held_demo.workdir)],
        capture_output=True, text=True, timeout=300, check=False, cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\b8 passed\b", done.stdout), done.stdout[-2000:]
    assert re.search(r"\b8 skipped\b", done.stdout), done.stdout[-2000:]  # the cluster checks


def test_the_demo_log_verifies_in_its_repository_and_a_cut_tail_fails(
    held_demo: DemoProcess, tmp_path: Path
):
    """`mlops audit verify` with no option in the demo's repository: intact, against the
    checkpoints its promotions and its final witness committed. Then the log's tail (entries
    and their checkpoints) is cut, in a copy of the log that a clone of the repository names:
    the same command exits 1."""
    summary = json.loads((held_demo.workdir / "summary.json").read_text())
    repo = Path(summary["repository"]["clone"])
    verify = [sys.executable, "-m", "mlops", "audit", "verify", "--json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_AUDIT")}
    done = subprocess.run(
        verify, cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    result = json.loads(done.stdout)
    assert done.returncode == 0 and result["ok"], done.stdout + done.stderr
    assert result["anchors"] >= 4 and result["head_seq"] == result["entries"]
    witnessed = subprocess.run(["git", "-C", str(repo), "log", "--format=%s", "--", "audit/checkpoints"],
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert witnessed.count("promote credit-risk") == 3 and "audit: witness checkpoint" in witnessed
    copy = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(repo), str(copy)], check=True, timeout=60)
    db = tmp_path / "audit.db"
    source = sqlite3.connect(held_demo.workdir / "audit" / "audit.db")
    source.execute(f"VACUUM INTO '{db}'")
    source.close()
    config = (copy / "audit/config.yaml").read_text()
    (copy / "audit/config.yaml").write_text(
        config.replace(str(held_demo.workdir / "audit" / "audit.db"), str(db))
    )
    assert (
        subprocess.run(
            verify, cwd=copy, env=env, capture_output=True, timeout=120, check=False
        ).returncode
        == 0
    )
    conn = sqlite3.connect(db, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    cut = result["head_seq"] - 2
    conn.execute("DELETE FROM audit_entries WHERE seq > ?", (cut,))
    conn.execute("DELETE FROM audit_checkpoints WHERE seq > ?", (cut,))
    conn.close()
    done = subprocess.run(
        verify, cwd=copy, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert json.loads(done.stdout)["first_bad_seq"] == cut + 1
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def rerun_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One work directory for the interrupted runs: each next run starts where one was cut."""
    return tmp_path_factory.mktemp("interrupted") / "demo"


def _step_marker(name: str) -> re.Pattern[str]:
    return re.compile(rf"\[\d+/\d+\] {re.escape(name)}:")


@pytest.mark.parametrize(
    ("step", "services", "delay", "sig"),
    [
        ("services", 1, 0.0, signal.SIGINT),  # while MLflow and the Audit API start
        ("train", 2, 3.0, signal.SIGTERM),  # services up, training in this process
    ],
)
def test_interrupt_leaves_no_process(
    rerun_workdir: Path, step: str, services: int, delay: float, sig: int
):
    demo = start_demo(rerun_workdir)
    marker = _step_marker(step)
    demo.wait_for(lambda: bool(marker.search(demo.text())) and len(demo.state().get("services", [])) >= services,
                  READY_TIMEOUT_S, f"step {step} with {services} services")  # fmt: skip
    time.sleep(delay)
    recorded = demo.state()["started"]
    assert len(recorded) >= services
    code = demo.interrupt(sig)
    assert code == 130, demo.text()[-3000:]
    assert "interrupted" in demo.text()
    assert demo.leftovers() == []
    state = demo.state()
    assert state["step"] == "stopped" and state["services"] == []
    assert {r["pid"] for r in recorded} <= {r["pid"] for r in state["started"]}
