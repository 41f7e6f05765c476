"""The predictor in-process: protocols, errors and the shadow mirror against a real server."""

import asyncio
import json
import time

import pytest
from kserve import InferInput, InferRequest
from kserve.errors import InvalidInput

from mlops.serving.artifact import DigestMismatchError
from mlops.serving.predictor import MlflowPredictor
from mlops.serving.requestlog import RequestLogger
from mlops.serving.shadow import ShadowMirror, agree
from mlops.serving.sinks import JsonlSink, read_records


def _v2(rows):
    inputs = []
    for name in ("income", "age"):
        tensor = InferInput(name=name, shape=[len(rows)], datatype="FP64")
        tensor.set_data_from_numpy(
            __import__("numpy").array([r[name] for r in rows], dtype="float64"), binary_data=False
        )
        inputs.append(tensor)
    return InferRequest(model_name="credit", infer_inputs=inputs, request_id="r2")


def test_load_refuses_an_artifact_with_another_digest(model_dir):
    predictor = MlflowPredictor("credit", str(model_dir), expected_digest="ab" * 32)
    with pytest.raises(DigestMismatchError):
        predictor.load()
    assert not predictor.ready and predictor.loaded is None


def test_v1_list_rows_use_the_signature_order_and_v2_matrix_tensor(model_dir):
    predictor = MlflowPredictor("credit", str(model_dir), version="7")
    predictor.load()
    v1 = asyncio.run(predictor.predict({"instances": [[70, 30], [30, 50]]}))
    assert v1 == {"predictions": [1, 0]}
    tensor = InferInput(name="x", shape=[2, 2], datatype="FP64")
    tensor.set_data_from_numpy(
        __import__("numpy").array([[70.0, 30.0], [30.0, 50.0]]), binary_data=False
    )
    v2 = asyncio.run(predictor.predict(InferRequest("credit", [tensor], request_id="m")))
    assert v2.outputs[0].data == [1, 0] and v2.model_version == "7"
    with pytest.raises(InvalidInput):
        asyncio.run(predictor.predict({"instances": [[1, 2, 3]]}))


def test_shadow_mirrors_to_a_candidate_and_counts_disagreements(candidate_dir, server, tmp_path):
    """The in-process primary is the flipped candidate model; the running server (the other
    model) is its shadow, so every mirrored row disagrees."""
    sink = JsonlSink(tmp_path / "log.jsonl")
    logger = RequestLogger(sink, model="credit", version="8", digest="sha256:" + "0" * 64)
    predictor = MlflowPredictor("credit", str(candidate_dir), version="8", request_logger=logger)
    predictor.load()
    mirror = ShadowMirror(server.url, model="credit", version="8", request_logger=logger)
    predictor.shadow = mirror

    async def scenario():
        rows = [{"income": 70.0, "age": 30.0}, {"income": 30.0, "age": 50.0}]
        for i in range(3):
            await predictor.predict({"instances": rows}, headers={"x-request-id": f"s{i}"})
        await predictor.predict(_v2(rows), headers={"x-request-id": "s-v2"})
        # A request that is itself a mirror is never mirrored again (no loops).
        await predictor.predict(
            {"instances": rows}, headers={"x-request-id": "m", "x-mlops-shadow": "1"}
        )
        await mirror.aclose()

    asyncio.run(scenario())
    logger.close()
    assert mirror.stats.requests == 4
    assert mirror.stats.rows == 8 and mirror.stats.disagreements == 8
    assert mirror.stats.disagreement_rate == 1.0
    shadow = read_records(str(tmp_path / "log.jsonl"), "shadow")
    assert len(shadow) == 4
    assert {r["disagreements"] for r in shadow} == {2}
    assert shadow[0]["candidate"] == server.url
    assert shadow[0]["output"] != shadow[0]["candidate_output"]
    # the candidate keeps the primary's id as the caller's id
    primary_ids = {r["id"] for r in shadow}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        served = [json.loads(line) for line in server.log_file.read_text().splitlines()]
        if primary_ids <= {r.get("client_id") for r in served}:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the shadow's requests did not reach the server's request log")


def test_shadow_over_open_inference_v2(model_dir, server):
    predictor = MlflowPredictor("credit", str(model_dir), version="7")
    predictor.load()
    mirror = ShadowMirror(server.url, model="credit", version="7", protocol="v2")
    predictor.shadow = mirror

    async def scenario():
        rows = [{"income": 70.0, "age": 30.0}, {"income": 30.0, "age": 50.0}]
        await predictor.predict({"instances": rows}, headers={"x-request-id": "v2-shadow"})
        await mirror.aclose()

    asyncio.run(scenario())
    assert (mirror.stats.requests, mirror.stats.rows, mirror.stats.errors) == (1, 2, 0)
    assert mirror.stats.disagreements == 0  # the same model answers the same


def test_shadow_counts_a_failing_candidate_and_skips_beyond_its_bound(model_dir):
    import httpx

    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    mirror = ShadowMirror("http://cand", model="m", version="1", transport=transport)

    async def scenario():
        mirror.mirror("a", [{"x": 1}], [1])
        await mirror.drain()
        mirror.max_in_flight = 0
        assert mirror.mirror("b", [{"x": 1}], [1]) is False

    asyncio.run(scenario())
    assert mirror.stats.errors == 1 and mirror.stats.skipped == 1 and mirror.stats.rows == 0


def test_agreement_uses_a_tolerance_for_numbers_only():
    assert agree(0.5, 0.5 + 1e-9, 1e-6)
    assert not agree(0.5, 0.6, 1e-6)
    assert agree([1, {"p": 0.2}], [1, {"p": 0.2}], 0.0)
    assert not agree("yes", "no", 1.0)
    assert not agree(True, False, 1.0)
