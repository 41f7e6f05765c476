"""The request edge logs what the model never saw before the answer leaves: with sync durability a
client that got its answer may rely on the record existing, even for a refusal."""

import asyncio
from typing import Any

from mlops.serving.edge import RequestEdge


async def _not_found(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b'{"error": "unknown model"}'})


def _call(app: Any, path: str, body: bytes, max_bytes: int = 1024) -> list[str]:
    """Run one request through the edge; the order in which the log and the client saw it."""
    events: list[str] = []

    def rejected(context: Any, status: int, reason: str) -> None:
        events.append(f"logged {status}")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            events.append("answered")

    scope = {
        "type": "http",
        "path": path,
        "headers": [(b"content-length", str(len(body)).encode())],
    }
    asyncio.run(RequestEdge(app, max_bytes=max_bytes, rejected=rejected)(scope, receive, send))
    return events


def test_a_refusal_is_logged_once_and_before_it_is_answered() -> None:
    assert _call(_not_found, "/v1/models/nope:predict", b"{}") == ["logged 404", "answered"]


def test_a_body_over_the_limit_is_logged_before_the_413_leaves() -> None:
    events = _call(_not_found, "/v2/models/m/infer", b"x" * 2048, max_bytes=1024)
    assert events == ["logged 413", "answered"]


def test_health_and_metrics_are_not_inference_and_are_not_logged() -> None:
    assert _call(_not_found, "/v2/health/ready", b"") == ["answered"]
