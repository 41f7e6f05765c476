"""The retraining request: what KFP's run API gets, and every answer that is not a run."""

from __future__ import annotations

import json

import httpx

from mlops.evidence.retrain import Retraining, submit

TARGET = Retraining("http://kfp.test", "pipe", "ver")


def _answering(response: httpx.Response) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response

    return seen, httpx.MockTransport(handler)


def test_a_run_id_is_a_submitted_run_and_the_token_is_sent(monkeypatch):
    monkeypatch.setenv("MLOPS_KFP_TOKEN", "kfp-token")
    seen, transport = _answering(httpx.Response(200, json={"run_id": "r-1"}))
    outcome = submit(TARGET, "credit", "7", "drift: income", transport)
    assert outcome["ok"] and outcome["submitted"] and outcome["run_id"] == "r-1"
    assert seen[0].headers["Authorization"] == "Bearer kfp-token"
    assert json.loads(seen[0].content)["display_name"] == "retrain-credit-v7"


def test_a_refusal_or_an_answer_without_a_run_is_not_ok():
    _, refusing = _answering(httpx.Response(403, text="forbidden"))
    outcome = submit(TARGET, "credit", "7", "drift", refusing)
    assert outcome["submitted"] and not outcome["ok"]
    assert outcome["reason"] == "HTTP 403: forbidden"
    _, empty = _answering(httpx.Response(200, json={}))
    assert (
        submit(TARGET, "credit", "7", "drift", empty)["reason"] == "KFP answered without a run_id"
    )


def test_an_unreachable_kfp_is_recorded_not_raised():
    def failing(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    outcome = submit(TARGET, "credit", "7", "drift", httpx.MockTransport(failing))
    assert not outcome["submitted"] and outcome["reason"].startswith("ConnectError: refused")
    assert outcome["request"]["runtime_config"]["parameters"]["reason"] == "drift"


def test_the_token_file_is_read_at_each_request_so_a_rotated_token_is_sent(monkeypatch, tmp_path):
    """In the cluster: the projected service-account token the kubelet rotates."""
    monkeypatch.delenv("MLOPS_KFP_TOKEN", raising=False)
    token = tmp_path / "token"
    monkeypatch.setenv("MLOPS_KFP_TOKEN_FILE", str(token))
    seen, transport = _answering(httpx.Response(200, json={"run_id": "r-1"}))
    for value in ("first-token", "rotated-token"):
        token.write_text(value + "\n")
        assert submit(TARGET, "credit", "7", "drift", transport)["ok"]
    assert [r.headers["Authorization"] for r in seen] == [
        "Bearer first-token", "Bearer rotated-token"]  # fmt: skip


def test_an_empty_token_file_is_recorded_as_not_submitted(monkeypatch, tmp_path):
    monkeypatch.delenv("MLOPS_KFP_TOKEN", raising=False)
    (tmp_path / "token").write_text("")
    monkeypatch.setenv("MLOPS_KFP_TOKEN_FILE", str(tmp_path / "token"))
    seen, transport = _answering(httpx.Response(200, json={"run_id": "r-1"}))
    outcome = submit(TARGET, "credit", "7", "drift", transport)
    assert not outcome["submitted"] and "MLOPS_KFP_TOKEN_FILE" in outcome["reason"]
    assert seen == []
