"""`mlops evidence collect` against a real predictor without Prometheus: serving figures from
its metrics endpoint (and saying so), drift of the request log, the live verdict; a drift
breach revokes the certificate issued over that verdict and requests retraining from KFP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mlops.evidence.collect import MARKER, RETRAINING, CollectOptions, Goals, collect
from mlops.evidence.retrain import Retraining
from mlops.gates.context import Context, Target
from mlops.gates.rules import metric
from mlops.gates.spec import MetricRule
from mlops.governance.client import Subject
from tests.evidence.conftest import traffic, write_reference_schema

RELAXED = Goals(max_p95_latency_ms=10_000.0)  # a cold test machine's first requests are slow


class FakeKfp:
    """Kubeflow Pipelines' run API as far as the collector uses it: records each request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"run_id": f"run-{len(self.requests)}", "state": "PENDING"})


def _options(predictor, reference: Path, **extra) -> CollectOptions:
    values = {"environment": "prod", "metrics_urls": [predictor.metrics],
              "request_log": str(predictor.log), "reference": reference, "max_rows": 300,
              "goals": RELAXED, **extra}  # fmt: skip
    return CollectOptions(**values)


def test_without_prometheus_the_metrics_endpoint_is_read_and_a_gate_reads_the_entries(
    predictor, reference_csv, audit, tmp_path
):
    _, client = audit
    predictor.send(traffic(300, seed=1))
    result = collect(client, _options(predictor, reference_csv))
    assert result.live_source == "metrics-endpoints"
    assert "no Prometheus configured" in result.live_detail and "directly" in result.live_detail
    (done,) = result.subjects
    assert (done.model, done.version) == ("credit", "7")
    assert done.measurements["serving.requests"] >= 1
    assert done.measurements["serving.error_rate"] == 0.0
    assert 0 < done.measurements["serving.p95_latency_ms"] < 10_000
    assert done.drift == {"rows": 300, "assessed": True, "breached": []}
    assert done.verdict["passed"] and done.verdict["gate"] == "live-prod"
    assert done.retraining is None and done.revoked == []
    # what a gate reads: the newest entry of the name in the environment, for the version
    ctx = Context(root=tmp_path, audit=client, registry=None)
    target = Target(kind="model", environment="prod", model="credit", version="7")
    for name, bound in (("serving.p95_latency_ms", 10_000), ("serving.error_rate", 0.005),
                        ("drift.breached_features", 0)):  # fmt: skip
        rule = MetricRule(id="live", kind="metric", measurement=name, environment="prod",
                          op="<=", value=bound)  # fmt: skip
        (check,) = metric(rule, None, target, ctx)  # type: ignore[arg-type]
        assert check.passed, check
        assert "evidence-collector" in check.evidence
    assert client.query(Subject(environment="prod"), name=MARKER)


def test_a_drift_breach_revokes_the_certificate_and_requests_retraining(
    predictor, reference_csv, audit
):
    _, client = audit
    kfp = FakeKfp()
    options = _options(predictor, reference_csv,
                       retraining=Retraining("http://kfp.test", "pipe-1", "ver-2", "exp-3"),
                       kfp_transport=httpx.MockTransport(kfp))  # fmt: skip
    predictor.send(traffic(300, seed=2))
    first = collect(client, options)
    assert first.subjects[0].verdict["passed"] and not kfp.requests
    certificate = client.certifier.issue("credit", "7", "live-operation", ["live-prod"])
    assert any(r.measurement == "drift.breached_features" for r in certificate.rules)

    predictor.send(traffic(300, seed=3, income_shift=15.0))
    second = collect(client, options)
    (done,) = second.subjects
    assert done.drift["rows"] == 300  # only what was logged since the first run
    assert [f["feature"] for f in done.drift["breached"]] == ["income"]
    assert not done.verdict["passed"]
    assert "drift.breached_features = 1, required <= 0" in done.verdict["failed"]
    assert done.revoked == [certificate.id]
    (status,) = client.certifier.registry("credit", "7")
    assert status.status == "revoked" and status.revocation.automatic
    assert "drift.breached_features = 1" in status.revocation.reason
    # the retraining request, as KFP received it, and its answer in the evidence log
    (request,) = kfp.requests
    assert str(request.url) == "http://kfp.test/apis/v2beta1/runs"
    body = json.loads(request.content)
    assert body["pipeline_version_reference"] == {"pipeline_id": "pipe-1",
                                                  "pipeline_version_id": "ver-2"}  # fmt: skip
    assert body["experiment_id"] == "exp-3"
    assert body["runtime_config"]["parameters"] == {"model": "credit", "version": "7",
                                                    "reason": "drift: income"}  # fmt: skip
    assert done.retraining["run_id"] == "run-1" and done.retraining["submitted"]
    (recorded,) = client.query(Subject(model="credit", version="7"), name=RETRAINING)
    assert recorded.value == 1 and recorded.subject.run == "run-1"
    assert recorded.subject.environment == "prod"


def test_without_a_kfp_host_the_retraining_request_is_recorded_not_sent(
    predictor, reference_csv, audit
):
    _, client = audit
    predictor.send(traffic(300, seed=4, income_shift=15.0))
    result = collect(client, _options(predictor, reference_csv,
                                      retraining=Retraining(None, "pipe-1", "ver-2")))  # fmt: skip
    (done,) = result.subjects
    assert done.retraining["submitted"] is False
    assert done.retraining["reason"] == "no KFP host configured"
    assert done.retraining["request"]["runtime_config"]["parameters"]["reason"] == "drift: income"
    (recorded,) = client.query(Subject(model="credit"), name=RETRAINING)
    assert recorded.value == 0 and recorded.artifacts["request"].startswith("sha256:")


def test_the_cli_collects_from_the_schema_reference_and_exits_1_on_a_breach(
    mlops, predictor, audit, tmp_path
):
    url, _ = audit
    predictor.send(traffic(300, seed=5, income_shift=15.0))
    schema = tmp_path / "schema.json"
    write_reference_schema(schema)
    code, out, err = mlops(
        "evidence", "collect", "--env", "prod", "--metrics-url", predictor.metrics,
        "--request-log", str(predictor.log), "--reference", str(schema), "--max-rows", "300",
        "--max-p95-latency-ms", "10000", "--audit", url, "--json",
    )  # fmt: skip
    assert code == 1, err
    result = json.loads(out)
    assert result["live"]["source"] == "metrics-endpoints"
    assert result["breached"] == ["credit v7"]
    assert [f["feature"] for f in result["subjects"][0]["drift"]["breached"]] == ["income"]
    assert "live quality goals breached: credit v7" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kfp", "http://kfp", "--audit", "x.db"], "--kfp-pipeline: required with --kfp"),
        (["--kfp-pipeline", "only-one", "--audit", "x.db"], "allowed: PIPELINE_ID:VERSION_ID"),
        ([], "--audit: required"),
        (["--audit", "x.db"], "no --metrics-url given"),
    ],
)
def test_bad_input_is_one_message_and_exit_2(mlops, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = mlops("evidence", "collect", "--env", "prod", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "x.db").exists()  # nothing written
