"""The KServe predictor: a `kserve.Model` serving one MLflow pyfunc model over V1 and Open
Inference (V2) REST, refusing to start on a digest mismatch, and logging every request.

Per request it decodes the body to a DataFrame, predicts, records Prometheus metrics labelled
by model version (canary and blue-green comparisons), writes a request-log record (input,
output, latency, metadata, optional explanation) under the id the HTTP edge assigned, and
mirrors to a shadow candidate if one is configured. Failures are logged and counted too, with
status 400 (bad input) or 500; requests refused before the model ran (`mlops.serving.edge`)
are logged through `rejected`.
"""

from __future__ import annotations

import time
from typing import Any

import kserve
from kserve import InferRequest, InferResponse
from kserve.errors import InferenceError, InvalidInput
from kserve.protocol.grpc.grpc_predict_v2_pb2 import ModelInferRequest

from mlops.serving import artifact, codec, edge
from mlops.serving.explain import Explainer, explainer_for
from mlops.serving.metrics import LATENCY, MODEL_INFO, REQUESTS, ROWS
from mlops.serving.requestlog import RequestLogger, client_id, new_request_id
from mlops.serving.shadow import ShadowMirror


class MlflowPredictor(kserve.Model):
    """One model version; `load()` verifies the artifact and must succeed before serving."""

    def __init__(
        self,
        name: str,
        model_uri: str,
        *,
        version: str = "",
        expected_digest: str | None = None,
        environment: str = "",
        request_logger: RequestLogger | None = None,
        shadow: ShadowMirror | None = None,
        explain: str = "none",
    ) -> None:
        super().__init__(name)
        self.model_uri = model_uri
        self.version = version
        self.expected_digest = expected_digest
        self.environment = environment
        self.request_logger = request_logger
        self.shadow = shadow
        self.explain_kind = explain
        self.explainer: Explainer | None = None
        self.loaded: artifact.LoadedModel | None = None
        self.inputs: list[dict[str, Any]] = []
        self.outputs: list[dict[str, Any]] = []

    def load(self) -> bool:
        self.loaded = artifact.load(self.model_uri, self.expected_digest)
        if self.explain_kind != "none":
            self.explainer = explainer_for(self.explain_kind, self.loaded.pyfunc)
        metadata = self.loaded.pyfunc.metadata
        self.inputs = codec.tensor_specs(metadata.get_input_schema())
        self.outputs = codec.tensor_specs(metadata.get_output_schema(), [codec.OUTPUT])
        MODEL_INFO.labels(self.name, self.version, self.loaded.digest, self.environment).set(1)
        self.ready = True
        return self.ready

    def get_input_types(self) -> list[dict[str, Any]]:
        """V2 model metadata: one `[-1]` tensor per input column of the model's signature."""
        return self.inputs

    def get_output_types(self) -> list[dict[str, Any]]:
        return self.outputs

    @property
    def digest(self) -> str:
        return self.loaded.digest if self.loaded else ""

    async def predict(
        self,
        payload: dict[str, Any] | InferRequest | ModelInferRequest,
        headers: dict[str, str] | None = None,
        response_headers: dict[str, str] | None = None,
    ) -> dict[str, Any] | InferResponse:
        if self.loaded is None:
            raise InferenceError(f"{self.name}: model not loaded")
        if isinstance(payload, ModelInferRequest):  # KServe's gRPC server hands these over
            payload = InferRequest.from_grpc(payload)
        started = time.perf_counter()
        v2 = isinstance(payload, InferRequest)
        protocol = "v2" if v2 else "v1"
        context = edge.current() or edge.RequestContext(
            new_request_id(), client_id((headers or {}).get("x-request-id")), protocol
        )
        context.logged = True
        request_id, client = context.id, context.client_id
        body_id = client_id(payload.id) if v2 else None
        client = client or body_id
        frame = None
        try:
            frame = (
                codec.v2_frame(payload, self.loaded.columns)
                if v2
                else codec.v1_frame(payload, self.loaded.columns)
            )
            frame = self.loaded.conform(frame)
            result = self.loaded.pyfunc.predict(frame)
            outputs = codec.predictions(result)
            answer = (
                codec.v2_response(self.name, self.version, body_id or request_id, result, payload)
                if v2
                else {"predictions": outputs}
            )
        except InvalidInput as error:
            self._failed(context, frame, started, "400", str(error))
            raise
        except Exception as error:
            status = "400" if _client_error(error) else "500"
            self._failed(context, frame, started, status, str(error))
            if status == "400":
                raise InvalidInput(f"{self.name}: cannot predict: {error}") from None
            raise InferenceError(f"{self.name}: prediction failed: {error}") from None
        elapsed = time.perf_counter() - started
        REQUESTS.labels(self.name, self.version, protocol, "200").inc()
        ROWS.labels(self.name, self.version, protocol).inc(len(outputs))
        LATENCY.labels(self.name, self.version, protocol).observe(elapsed)
        if self.request_logger is not None or self.shadow is not None:
            rows = codec.records(frame)
            if self.request_logger is not None:
                self.request_logger.log(
                    request_id,
                    protocol=protocol,
                    inputs=rows,
                    outputs=outputs,
                    latency_ms=elapsed * 1000,
                    client=client,
                    explain=frame if self.explainer is not None else None,
                )
            if self.shadow is not None and (headers or {}).get("x-mlops-shadow") != "1":
                self.shadow.mirror(request_id, rows, outputs)
        return answer

    def _failed(
        self, context: edge.RequestContext, frame: Any, started: float, status: str, error: str
    ) -> None:
        elapsed = time.perf_counter() - started
        REQUESTS.labels(self.name, self.version, context.protocol, status).inc()
        LATENCY.labels(self.name, self.version, context.protocol).observe(elapsed)
        self._log_error(context, codec.records(frame) if frame is not None else None,
                        elapsed, f"{status}: {error}")  # fmt: skip

    def application_response(self, request_id: str, response: Any) -> bool:
        """What the application answered its own caller after this model's prediction (a
        decision, a message), logged as a `response` record under the prediction's request id
        so the two join; False when request logging is off or the id is not sampled."""
        if self.request_logger is None:
            return False
        return self.request_logger.log(
            request_id,
            record_type="response",
            protocol="http",
            inputs=None,
            outputs=None,
            latency_ms=0.0,
            extra={"application_response": response},
        )

    def rejected(self, context: edge.RequestContext, status: int, reason: str) -> None:
        """A request the edge or KServe refused before `predict` ran: counted and logged."""
        REQUESTS.labels(self.name, self.version, context.protocol, str(status)).inc()
        self._log_error(context, None, 0.0, f"{status}: {reason}")

    def _log_error(
        self, context: edge.RequestContext, inputs: Any, elapsed: float, error: str
    ) -> None:
        if self.request_logger is not None:
            self.request_logger.log(
                context.id,
                protocol=context.protocol,
                inputs=inputs,
                outputs=None,
                latency_ms=elapsed * 1000,
                status="error",
                error=error[: edge.MAX_ERROR_CHARS],
                client=context.client_id,
            )

    def stop(self) -> None:
        """Shutdown: write what the request log still holds, report the shadow's tally."""
        if self.request_logger is not None:
            self.request_logger.close()
            self.request_logger = None
        if self.shadow is not None:
            self.shadow.report()
        self.ready = False


def _client_error(error: Exception) -> bool:
    """Errors the caller caused: MLflow's schema enforcement, malformed values."""
    if isinstance(error, ValueError | KeyError | TypeError):
        return True
    return getattr(error, "error_code", None) == "INVALID_PARAMETER_VALUE"
