"""A drift breach: audit evidence, retraining triggers, and the `mlops drift` job end to end."""

import json
import sys

import httpx
import numpy as np
import pandas as pd

from mlops.governance.client import Subject, audit_client_from_url
from mlops.monitoring.breach import CommandTrigger, KfpTrigger, record_breach
from mlops.monitoring.drift import compare
from mlops.serving.requestlog import RequestLogger
from mlops.serving.sinks import JsonlSink


def _report():
    rng = np.random.default_rng(2)
    reference = pd.DataFrame({"income": rng.normal(50, 10, 1000), "age": rng.normal(40, 12, 1000)})
    current = pd.DataFrame({"income": rng.normal(70, 10, 300), "age": rng.normal(40, 12, 300)})
    return reference, current, compare(reference, current, model="credit", version="3",
                                       reference_name="r", current_name="c")  # fmt: skip


def test_breach_is_recorded_as_evidence(tmp_path):
    _, _, report = _report()
    audit = audit_client_from_url(f"sqlite:///{tmp_path / 'a.db'}")
    subject = Subject(model="credit", version="3", environment="prod")
    seqs = record_breach(audit, report, subject, {"reference": "sha256:" + "2" * 64})
    entries = audit.query(Subject(model="credit"))
    audit.close()
    assert [e.seq for e in entries] == seqs
    assert [e.name for e in entries] == ["drift.psi.income", "drift.ks_statistic.income",
                                         "drift.breached_features"]  # fmt: skip
    assert entries[0].value == report.breached[0].psi and entries[0].source == "drift-monitor"
    assert entries[2].value == 1 and entries[0].artifacts == {"reference": "sha256:" + "2" * 64}


def test_command_trigger_gets_the_report(tmp_path):
    _, _, report = _report()
    target = tmp_path / "got.json"
    script = f"import sys, os; open({str(target)!r}, 'w').write(sys.stdin.read())"
    outcome = CommandTrigger([sys.executable, "-c", script])(report)
    assert outcome["ok"] and outcome["exit_code"] == 0
    assert json.loads(target.read_text())["features"][0]["feature"] == "income"
    assert not CommandTrigger([sys.executable, "-c", "raise SystemExit(3)"])(report)["ok"]


def test_kfp_trigger_creates_a_run_of_the_pipeline_version():
    _, _, report = _report()
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"run_id": "run-42"})

    trigger = KfpTrigger("http://kfp/", "pipe-1", "ver-2", transport=httpx.MockTransport(handler))
    assert trigger(report) == {"trigger": "kfp", "ok": True, "run_id": "run-42"}
    body = json.loads(seen[0].content)
    assert str(seen[0].url) == "http://kfp/apis/v2beta1/runs"
    assert body["pipeline_version_reference"] == {
        "pipeline_id": "pipe-1",
        "pipeline_version_id": "ver-2",
    }
    assert body["runtime_config"]["parameters"]["reason"] == "drift: income"


def test_drift_job_end_to_end(mlops, tmp_path):
    reference, current, _ = _report()
    reference.to_csv(tmp_path / "reference.csv", index=False)
    logger = RequestLogger(
        JsonlSink(tmp_path / "requests.jsonl"), model="credit", version="3", digest="d"
    )
    for i in range(0, len(current), 3):
        logger.log(f"r{i}", protocol="v1", inputs=current.iloc[i : i + 3].to_dict("records"),
                   outputs=[1] * 3, latency_ms=1.0)  # fmt: skip
    logger.close()
    audit = f"sqlite:///{tmp_path / 'audit.db'}"
    marker = tmp_path / "retrained"
    code, out, err = mlops(
        "drift", "--reference", str(tmp_path / "reference.csv"), "--log", str(tmp_path / "requests.jsonl"),
        "--model", "credit", "--version", "3", "--environment", "prod",
        "--metrics-file", str(tmp_path / "drift.prom"), "--audit", audit,
        "--retrain-command", f"{sys.executable} -c \"open({str(marker)!r}, 'w')\"", "--json",
    )  # fmt: skip
    assert code == 1, err
    result = json.loads(out)
    assert result["breached"] == ["income"] and result["retraining"]["ok"]
    assert marker.exists()
    metrics = (tmp_path / "drift.prom").read_text()
    assert 'mlops_drift_breached{feature="income",model="credit",version="3"} 1.0' in metrics
    assert 'mlops_drift_breached{feature="age",model="credit",version="3"} 0.0' in metrics
    client = audit_client_from_url(audit)
    names = [e.name for e in client.query(Subject(model="credit", environment="prod"))]
    client.close()
    assert "drift.psi.income" in names and "drift.retraining_triggered" in names
    assert "drift.psi.age" not in names

    code, out, _ = mlops("drift", "--reference", str(tmp_path / "reference.csv"),
                         "--log", str(tmp_path / "requests.jsonl"), "--model", "credit",
                         "--feature", "age", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["breached"] == []
    code, _, err = mlops("drift", "--reference", str(tmp_path / "nope.csv"),
                         "--log", str(tmp_path / "requests.jsonl"), "--model", "credit")  # fmt: skip
    assert code == 2 and "nope.csv: CSV file not found" in err
