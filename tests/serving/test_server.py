"""The predictor as deployed: a real `mlops serve` process serving a real MLflow model over
KServe V1 and Open Inference V2, logging every field of every request."""

import json
import time
from pathlib import Path

import httpx

from mlops.serving.digest import artifact_digest

ROWS = [{"income": 70.0, "age": 30.0}, {"income": 30.0, "age": 50.0}]


def _records(path, ids, timeout=10.0):
    """The records of these request ids, once the server's buffered writer has flushed them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = [json.loads(line) for line in path.read_text().splitlines() if line]
            found = {r["id"]: r for r in lines if r["id"] in ids}
            if len(found) == len(ids):
                return found
        time.sleep(0.05)
    raise AssertionError(f"request log lacks some of {ids}")


def test_v1_and_v2_predict_and_every_request_is_logged(server, model_dir):
    v1 = httpx.post(
        f"{server.url}/v1/models/credit:predict",
        json={"instances": ROWS},
        headers={"x-request-id": "req-v1"},
    )
    assert v1.status_code == 200, v1.text
    assert v1.json() == {"predictions": [1, 0]}

    v2 = httpx.post(
        f"{server.url}/v2/models/credit/infer",
        json={
            "id": "req-v2",
            "inputs": [
                {"name": "income", "shape": [2], "datatype": "FP64", "data": [70.0, 30.0]},
                {"name": "age", "shape": [2], "datatype": "FP64", "data": [30.0, 50.0]},
            ],
        },
        headers={"x-request-id": "req-v2"},
    )
    assert v2.status_code == 200, v2.text
    body = v2.json()
    assert body["model_name"] == "credit" and body["model_version"] == "7"
    assert body["outputs"][0]["data"] == [1, 0]

    records = _records(server.log_file, {"req-v1", "req-v2"})
    digest = artifact_digest(model_dir)
    for request_id, protocol in (("req-v1", "v1"), ("req-v2", "v2")):
        record = records[request_id]
        assert record["type"] == "inference" and record["protocol"] == protocol
        assert (record["model"], record["version"], record["environment"]) == ("credit", "7", "int")
        assert record["digest"] == digest
        assert record["status"] == "ok"
        assert record["input"] == [{"income": 70.0, "age": "***"}, {"income": 30.0, "age": "***"}]
        assert record["output"] == [1, 0]
        assert 0 < record["latency_ms"] < 5000
        explanation = record["explanation"]
        assert len(explanation) == 2 and explanation[0]["age"] == "***"
        assert explanation[0]["income"] > explanation[1]["income"]


def test_bad_input_is_a_400_counted_and_logged_per_version(server):
    bad = httpx.post(
        f"{server.url}/v1/models/credit:predict",
        json={"rows": []},
        headers={"x-request-id": "req-bad"},
    )
    assert bad.status_code == 400
    record = _records(server.log_file, {"req-bad"})["req-bad"]
    assert record["status"] == "error" and record["error"].startswith("400")
    metrics = httpx.get(f"{server.url}/metrics").text
    assert (
        'mlops_predictor_requests_total{model="credit",protocol="v1",status_code="400",version="7"}'
        in metrics
    )
    assert (
        'mlops_predictor_request_duration_seconds_bucket{le="0.5",model="credit",protocol="v1",version="7"}'
        in metrics
    )
    assert 'mlops_predictor_model_info{digest="sha256:' in metrics


def test_digest_mismatch_refuses_to_start(mlops, model_dir, monkeypatch):
    started = []
    monkeypatch.setattr("kserve.ModelServer.start", lambda self, models: started.append(models))
    code, _, err = mlops(
        "serve", "--model-uri", str(model_dir), "--expected-digest", "sha256:" + "0" * 64
    )
    assert code == 1
    assert "differs from the release's sha256:" + "0" * 64 in err
    assert started == []
    code, _, _ = mlops("serve", "--model-uri", str(model_dir),
                       "--expected-digest", artifact_digest(model_dir))  # fmt: skip
    assert code == 0 and len(started) == 1


def test_release_descriptor_supplies_name_version_and_digest(mlops, model_dir, monkeypatch):
    started = []
    monkeypatch.setattr("kserve.ModelServer.start", lambda self, models: started.append(models))
    release = Path(__file__).resolve().parents[2] / "gitops/envs/int/models/credit-risk.yaml"
    code, _, err = mlops("serve", "--model-uri", str(model_dir), "--release", str(release))
    assert code == 1 and "differs from the release's sha256:e8a6346197" in err
    assert started == []


def test_container_environment_configures_the_predictor(mlops, model_dir, monkeypatch, tmp_path):
    """The rendered InferenceService sets MLOPS_* variables; `mlops serve` alone must honour them."""
    started = []
    monkeypatch.setattr("kserve.ModelServer.start", lambda self, models: started.extend(models))
    monkeypatch.setattr("mlops.serving.predictor.MlflowPredictor.stop", lambda self: None)
    digest = artifact_digest(model_dir)
    for key, value in {
        "MLOPS_MODEL_URI": str(model_dir),
        "MLOPS_MODEL_NAME": "credit-risk",
        "MLOPS_MODEL_VERSION": "4",
        "MLOPS_MODEL_SHA256": digest.removeprefix("sha256:"),
        "MLOPS_ENVIRONMENT": "prod",
        "MLOPS_SHADOW_URL": "http://credit-risk-shadow-predictor.models.svc.cluster.local",
        "MLOPS_SHADOW_PERCENT": "25",
        "MLOPS_REQUEST_LOG": str(tmp_path / "log.jsonl"),
        "MLOPS_REQUEST_LOG_MASK": "age, income",
    }.items():
        monkeypatch.setenv(key, value)
    code, _, err = mlops("serve")
    assert code == 0, err
    (predictor,) = started
    assert (predictor.name, predictor.version, predictor.environment) == (
        "credit-risk",
        "4",
        "prod",
    )
    assert predictor.digest == digest
    assert predictor.shadow.url.endswith("svc.cluster.local") and predictor.shadow.rate == 0.25
    assert predictor.request_logger.masker.fields == {"age", "income"}
    assert predictor.request_logger.environment == "prod"
    predictor.request_logger.close()


def test_bad_serve_options_exit_2_with_one_message(mlops, model_dir, tmp_path):
    cases = [
        (["--explain", "shap"], "explain"),
        (["--log-sample-rate", "2"], "sample_rate"),
        (["--log-sink", "kafka://broker"], "allowed: sqlite:///PATH"),
        (["--mask-mode", "scramble"], "mask_mode"),
    ]
    for extra, message in cases:
        code, _, err = mlops("serve", "--model-uri", str(model_dir), *extra)
        assert code == 2 and message in err and "Traceback" not in err, (extra, err)
    code, _, err = mlops("serve", "--model-uri", str(tmp_path / "missing"))
    assert code == 2 and "no such model artifact" in err
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "weights.bin").write_bytes(b"x")
    code, _, err = mlops("serve", "--model-uri", str(tmp_path / "plain"))
    assert code == 2 and "not an MLflow model directory" in err
