"""KServe's ModelServer serving on a socket the caller bound, behind the request edge. KServe's
own `start` binds 0.0.0.0 itself and offers no hook for middleware; this is its single-worker
REST path with those two differences. Import it only after `sys.argv` is trimmed: KServe parses
the command line when imported."""

import asyncio
import socket
from typing import Any

import kserve
from fastapi import HTTPException, Request
from kserve.model_server import FASTAPI_APP_IMPORT_STRING, app
from kserve.protocol.rest.server import RESTServer

from mlops.serving.edge import RequestEdge
from mlops.serving.requestlog import client_id

RESPONSES_PATH = "/v1/models/{name}/responses"


def _responses_route(predictor: Any) -> Any:
    """`POST /v1/models/<name>/responses` with `{"id": <the prediction's x-request-id>,
    "response": <any JSON>}`: the application's own answer, joined to the logged prediction."""

    async def responses(name: str, request: Request) -> dict[str, Any]:
        if name != predictor.name:
            raise HTTPException(404, f"model {name!r} is not served here")
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400, "body: not JSON; allowed: {id, response}") from None
        request_id = client_id(body.get("id")) if isinstance(body, dict) else None
        if request_id is None or "response" not in body or len(body) != 2:
            raise HTTPException(400, "body: allowed exactly {id: the x-request-id, response}")
        logged = predictor.application_response(request_id, body["response"])
        return {"id": request_id, "logged": logged}

    return responses


class BoundModelServer(kserve.ModelServer):
    """KServe's ModelServer with its REST server on a socket we bound, behind the request edge
    (its own `start` binds 0.0.0.0 itself)."""

    def __init__(self, sock: socket.socket, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(enable_grpc=False, enable_latency_logging=False, workers=1, **kwargs)
        self._socket = sock
        self._max_bytes = max_bytes

    def start(self, models: list[Any]) -> None:
        self._register_and_check_atleast_one_model_is_ready(models)
        rest = RESTServer(
            FASTAPI_APP_IMPORT_STRING,
            self.dataplane,
            self.model_repository_extension,
            self.http_port,
            workers=1,
            grace_period=self.grace_period,
            timeout_keep_alive=self.timeout_keep_alive,
        )
        rest.create_application()
        (predictor,) = models
        app.add_api_route(
            RESPONSES_PATH, _responses_route(predictor), methods=["POST"], status_code=202
        )
        app.add_middleware(RequestEdge, max_bytes=self._max_bytes, rejected=predictor.rejected)
        self._rest_server = rest
        self.servers.append(rest._server.serve(sockets=[self._socket]))
        self.setup_event_loop()
        self.register_signal_handler()
        asyncio.run(self._serve())
