"""The predictor as deployed: a real `mlops serve` process serving a real MLflow model over
KServe V1 and Open Inference V2, logging every field of every request."""

import json
import os
import signal
import socket
import stat
import time
from pathlib import Path

import httpx
import numpy as np

from mlops.serving.digest import artifact_digest
from tests.serving.conftest import free_port, start_server, stop, wait_ready

ROWS = [{"income": 70.0, "age": 30.0}, {"income": 30.0, "age": 50.0}]


def _records(path, ids, timeout=10.0):
    """The records of these client request ids (each sent once), as the server logged them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = [json.loads(line) for line in path.read_text().splitlines() if line]
            found = {r.get("client_id"): r for r in lines if r.get("client_id") in ids}
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
    for request_id, protocol, response in (("req-v1", "v1", v1), ("req-v2", "v2", v2)):
        record = records[request_id]
        assert record["id"] == response.headers["x-request-id"] != request_id
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
    monkeypatch.setattr(
        "mlops.serving.modelserver.BoundModelServer.start",
        lambda self, models: started.append(models),
    )
    port = str(free_port())
    code, _, err = mlops("serve", "--model-uri", str(model_dir), "--port", port,
                         "--expected-digest", "sha256:" + "0" * 64)  # fmt: skip
    assert code == 1
    assert "differs from the release's sha256:" + "0" * 64 in err
    assert started == []
    code, _, _ = mlops("serve", "--model-uri", str(model_dir), "--port", port,
                       "--expected-digest", artifact_digest(model_dir))  # fmt: skip
    assert code == 0 and len(started) == 1


def test_release_descriptor_supplies_name_version_and_digest(mlops, model_dir, monkeypatch):
    started = []
    monkeypatch.setattr(
        "mlops.serving.modelserver.BoundModelServer.start",
        lambda self, models: started.append(models),
    )
    release = Path(__file__).resolve().parents[2] / "gitops/envs/int/models/credit-risk.yaml"
    code, _, err = mlops("serve", "--model-uri", str(model_dir), "--release", str(release),
                         "--port", str(free_port()))  # fmt: skip
    assert code == 1 and "differs from the release's sha256:e8a6346197" in err
    assert started == []


def test_container_environment_configures_the_predictor(mlops, model_dir, monkeypatch, tmp_path):
    """The rendered InferenceService sets MLOPS_* variables; `mlops serve` alone must honour them."""
    started = []
    monkeypatch.setattr(
        "mlops.serving.modelserver.BoundModelServer.start",
        lambda self, models: started.extend(models),
    )
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
        "MLOPS_HTTP_PORT": str(free_port()),
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
        (["--log-sink", "kafka://broker"], "allowed: s3://BUCKET/PREFIX, sqlite:///PATH"),
        (["--mask-mode", "scramble"], "mask_mode"),
    ]
    for extra, message in cases:
        code, _, err = mlops(
            "serve", "--model-uri", str(model_dir), "--port", str(free_port()), *extra
        )
        assert code == 2 and message in err and "Traceback" not in err, (extra, err)
    code, _, err = mlops("serve", "--model-uri", str(tmp_path / "missing"))
    assert code == 2 and "no such model artifact" in err
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "weights.bin").write_bytes(b"x")
    code, _, err = mlops("serve", "--model-uri", str(tmp_path / "plain"))
    assert code == 2 and "not an MLflow model directory" in err


def test_tritonclient_in_json_and_binary_mode_and_metadata_from_the_signature(server):
    """A standard Open Inference client, in its default JSON mode and in binary mode."""
    import tritonclient.http as triton

    client = triton.InferenceServerClient(server.url.removeprefix("http://"))
    try:
        metadata = client.get_model_metadata("credit")
        assert metadata["inputs"] == [
            {"name": "income", "datatype": "FP64", "shape": [-1]},
            {"name": "age", "datatype": "FP64", "shape": [-1]},
        ]
        assert metadata["outputs"] == [{"name": "predict", "datatype": "INT64", "shape": [-1]}]
        for binary in (False, True):
            inputs = []
            for name, values in (("income", [70.0, 30.0]), ("age", [30.0, 50.0])):
                tensor = triton.InferInput(name, [2], "FP64")
                tensor.set_data_from_numpy(np.array(values), binary_data=binary)
                inputs.append(tensor)
            wanted = [triton.InferRequestedOutput("predict", binary_data=binary)]
            result = client.infer("credit", inputs, outputs=wanted, request_id=f"triton-{binary}")
            assert result.as_numpy("predict").tolist() == [1, 0]
            assert result.get_response()["id"] == f"triton-{binary}"
            assert ("data" in result.get_output("predict")) is not binary
    finally:
        client.close()
    records = _records(server.log_file, {"triton-False", "triton-True"})
    assert {r["status"] for r in records.values()} == {"ok"}


def test_ids_are_the_servers_and_the_clients_is_a_bounded_field(server):
    long_id = "x" * 8000
    url = f"{server.url}/v1/models/credit:predict"
    answers = [
        httpx.post(url, json={"instances": ROWS}, headers={"x-request-id": client_id})
        for client_id in ("dup", "dup", long_id, "tab\there")
    ]
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert len(set(ids)) == 4 and "dup" not in ids
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log_file.read_text().splitlines()]
        logged = {r["id"]: r for r in lines if r["id"] in ids}
        if len(logged) == 4:
            break
        time.sleep(0.05)
    assert [logged[i]["client_id"] for i in ids] == ["dup", "dup", "x" * 128, "tab?here"]


def test_listens_on_loopback_by_default(server):
    port = int(server.url.rsplit(":", 1)[1])
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A"  # LISTEN
    ]
    assert f"0100007F:{port:04X}" in listening
    assert f"00000000:{port:04X}" not in listening


def test_refused_requests_are_logged_with_their_reason(server):
    too_large = httpx.post(
        f"{server.url}/v1/models/credit:predict",
        content=b"{" + b" " * (9 * 1024 * 1024) + b"}",
        headers={"x-request-id": "big", "content-type": "application/json"},
    )
    assert too_large.status_code == 413 and "8388608 bytes" in too_large.json()["error"]

    def chunks():
        for _ in range(10):
            yield b" " * (1024 * 1024)

    streamed = httpx.post(f"{server.url}/v1/models/credit:predict", content=chunks(),
                          headers={"x-request-id": "streamed"})  # fmt: skip
    assert streamed.status_code == 413
    not_json = httpx.post(f"{server.url}/v2/models/credit/infer", content=b"\xff\xfe",
                          headers={"x-request-id": "not-json"})  # fmt: skip
    assert not_json.status_code in (400, 422)
    unknown = httpx.post(f"{server.url}/v1/models/other:predict", json={"instances": ROWS},
                         headers={"x-request-id": "unknown-model"})  # fmt: skip
    assert unknown.status_code == 404
    records = _records(server.log_file, {"big", "streamed", "not-json", "unknown-model"})
    assert records["big"]["error"].startswith("413: request body larger than")
    assert records["streamed"]["error"].startswith("413")
    assert records["not-json"]["error"].startswith(("400", "422"))
    assert records["unknown-model"]["error"].startswith("404")
    assert {r["status"] for r in records.values()} == {"error"}
    assert {r["input"] for r in records.values()} == {None}


def test_a_taken_port_is_bad_input_and_nothing_is_written(mlops, model_dir, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = mlops("serve", "--model-uri", str(model_dir), "--port", str(port),
                             "--log-sink", str(tmp_path / "requests.jsonl"))  # fmt: skip
    assert code == 2 and f"--port {port}: already in use" in err and "Traceback" not in err
    code, _, err = mlops("serve", "--model-uri", str(model_dir), "--host", "no.such.host.invalid",
                         "--log-sink", str(tmp_path / "requests.jsonl"))  # fmt: skip
    assert code == 2 and "not an address of this machine" in err
    assert list(tmp_path.iterdir()) == []


def test_sync_durability_keeps_every_answered_request_through_sigkill(model_dir, tmp_path):
    """Measured: N answered requests, then SIGKILL at once; the log holds all N. The same run
    checks that the size limit is the configured one."""
    port = free_port()
    log_file = tmp_path / "requests.jsonl"
    process, output = start_server(
        ["--model-uri", str(model_dir), "--name", "credit", "--port", str(port),
         "--log-sink", str(log_file), "--log-durability", "sync",
         "--max-request-bytes", "2048"],
        tmp_path,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, "credit", process, output)
        with httpx.Client() as client:
            ids = [
                client.post(f"{url}/v1/models/credit:predict", json={"instances": ROWS})
                .raise_for_status()
                .headers["x-request-id"]
                for _ in range(50)
            ]
            refused = client.post(f"{url}/v1/models/credit:predict",
                                  json={"instances": ROWS * 40})  # fmt: skip
            assert refused.status_code == 413 and "2048 bytes" in refused.text
            ids.append(refused.headers["x-request-id"])
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        stop(process)
    logged = {json.loads(line)["id"] for line in log_file.read_text().splitlines()}
    lost = [i for i in ids if i not in logged]
    assert lost == [], f"{len(lost)} of {len(ids)} answered requests lost"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
