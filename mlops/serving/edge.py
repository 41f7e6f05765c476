"""The predictor's HTTP edge, in front of KServe's routes: every request gets a server-assigned
id (the caller's `x-request-id` is kept only as a bounded field), bodies over the configured
size are refused before they are read whole, and every inference request is logged, including
those refused before the model ran (too large, not JSON, unknown model, failed validation).

It also reads Open Inference JSON that arrives without a JSON content type, as the protocol's
standard clients send it (tritonclient's default JSON mode): a body without the binary
extension's `inference-header-content-length` header is JSON by the protocol's definition.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from mlops.serving.requestlog import client_id, new_request_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

BINARY_HEADER = b"inference-header-content-length"
MAX_ERROR_CHARS = 1000


@dataclass
class RequestContext:
    """One request as the edge saw it; the predictor marks it logged once it wrote a record."""

    id: str
    client_id: str | None
    protocol: str
    logged: bool = False


@dataclass
class _Outcome:
    """What the app answered: its status and the start of an error body."""

    status: int = 500
    error: str = ""


CURRENT: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "mlops_request", default=None
)

Rejected = Callable[[RequestContext, int, str], None]


def current() -> RequestContext | None:
    """The request being served in this task, if it came through the edge."""
    return CURRENT.get()


def _protocol(path: str) -> str | None:
    """v1 or v2 for an inference route, None for health, metadata and metrics."""
    if path.startswith("/v1/models/") and path.endswith((":predict", ":explain")):
        return "v1"
    if path.startswith("/v2/models/") and path.endswith("/infer"):
        return "v2"
    return None


class RequestEdge:
    """ASGI middleware; `rejected(context, status, reason)` logs what the model never saw."""

    def __init__(self, app: App, *, max_bytes: int, rejected: Rejected) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.rejected = rejected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        context = RequestContext(
            new_request_id(),
            client_id(headers.get(b"x-request-id")),
            _protocol(scope["path"]) or "http",
        )
        outcome = _Outcome()

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
                message["headers"] = [
                    *(h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"),
                    (b"x-request-id", context.id.encode()),
                ]
            elif message["type"] == "http.response.body" and outcome.status >= 400:
                room = 4 * MAX_ERROR_CHARS - len(outcome.error)
                outcome.error += message.get("body", b"")[: max(room, 0)].decode("utf-8", "replace")
                if not message.get("more_body", False):
                    self._log_refusal(context, outcome)  # durable before the answer leaves
            await send(message)

        token = CURRENT.set(context)
        try:
            body = await self._body(headers, receive)
            if body is None:
                await _refuse(answer, 413, f"request body larger than {self.max_bytes} bytes")
                return
            scope = _as_json(scope, headers, context.protocol)
            await self.app(scope, _replay(body, receive), answer)
        finally:
            CURRENT.reset(token)
            self._log_refusal(context, outcome)  # one that ended without an answer

    def _log_refusal(self, context: RequestContext, outcome: _Outcome) -> None:
        """Log an inference request the model did not log itself, once."""
        if context.protocol in ("v1", "v2") and not context.logged:
            context.logged = True
            self.rejected(context, outcome.status, _reason(outcome.error))

    async def _body(self, headers: dict[bytes, bytes], receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it exceeds the limit (declared or streamed)."""
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _as_json(scope: Scope, headers: dict[bytes, bytes], protocol: str) -> Scope:
    """An Open Inference request without the binary header is JSON, whatever its content type."""
    if protocol != "v2" or BINARY_HEADER in headers:
        return scope
    if headers.get(b"content-type", b"").startswith(b"application/json"):
        return scope
    kept = [h for h in scope["headers"] if h[0].lower() != b"content-type"]
    return {**scope, "headers": [*kept, (b"content-type", b"application/json")]}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands the app the body already read, then the connection's events."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _reason(text: str) -> str:
    """KServe answers errors as {"error": ...} (FastAPI as {"detail": ...}); keep the message."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:MAX_ERROR_CHARS]
    if isinstance(parsed, dict):
        for key in ("error", "detail"):
            if key in parsed:
                return str(parsed[key])[:MAX_ERROR_CHARS]
    return text[:MAX_ERROR_CHARS]
