"""Assembling and running the predictor: the listening socket first (a taken port or an
unknown host is bad input before anything is written), then sink, masking, sampling, shadow,
and KServe's REST server on that socket (V1, V2, /metrics, health) behind the request edge.

It listens on 127.0.0.1 unless told otherwise; the cluster's serving runtime passes
`--host 0.0.0.0`. In the cluster every other setting comes from the environment the rendered
InferenceService sets (`MLOPS_MODEL_NAME`, `MLOPS_MODEL_VERSION`, `MLOPS_MODEL_SHA256`,
`MLOPS_ENVIRONMENT`, `MLOPS_SHADOW_URL`, `MLOPS_SHADOW_PERCENT`) and from the serving runtime
(mlops.serving.runtime: `MLOPS_REQUEST_LOG` and the request log's settings); see
`mlops serve --help` for the full list. gRPC is not served: KServe's gRPC server listens on
every interface and bypasses the request edge.
"""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.serving.masking import Masker
from mlops.serving.requestlog import RequestLogger
from mlops.serving.sinks import sink_from_url
from mlops.sockets import listen

MAX_REQUEST_BYTES = 8 * 1024 * 1024


class ServeConfig(BaseModel):
    """Everything `mlops serve` needs, validated at the edge."""

    model_config = ConfigDict(extra="forbid")

    model_uri: str = Field(min_length=1)
    name: str = Field(default="model", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    version: str = ""
    expected_digest: str | None = None
    environment: str = ""
    host: str = Field(default="127.0.0.1", min_length=1, max_length=253)
    port: int = Field(default=8080, ge=1, le=65535)
    max_request_bytes: int = Field(default=MAX_REQUEST_BYTES, ge=1024, le=1024**3)
    log_sink: str | None = None
    log_durability: Literal["sync", "buffered"] = "sync"
    log_flush_seconds: float = Field(default=0.05, gt=0.0, le=300.0)
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    mask_fields: list[str] = []
    mask_mode: Literal["redact", "hash"] = "redact"
    shadow_url: str | None = None
    shadow_model: str | None = None
    shadow_percent: float = Field(default=100.0, gt=0.0, le=100.0)
    shadow_tolerance: float = Field(default=1e-6, ge=0.0)
    shadow_protocol: Literal["v1", "v2"] = "v1"
    explain: Literal["none", "linear", "reference", "auto"] = "none"


def build(config: ServeConfig):  # -> MlflowPredictor (KServe imported lazily)
    """The loaded predictor; raises DigestMismatchError (exit 1) before anything is served."""
    from mlops.serving.predictor import MlflowPredictor
    from mlops.serving.shadow import ShadowMirror

    predictor = MlflowPredictor(
        config.name,
        config.model_uri,
        version=config.version,
        expected_digest=config.expected_digest,
        environment=config.environment,
        explain=config.explain,
    )
    predictor.load()  # before the request log is opened: a refused model leaves no log behind
    sink = sink_from_url(config.log_sink)
    if sink is not None:
        predictor.request_logger = RequestLogger(
            sink,
            model=config.name,
            version=config.version,
            digest=predictor.digest,
            environment=config.environment,
            sample_rate=config.sample_rate,
            masker=Masker(config.mask_fields, config.mask_mode),
            durability=config.log_durability,
            flush_interval=config.log_flush_seconds,
            explainer=predictor.explainer,
        )
    if config.shadow_url:
        predictor.shadow = ShadowMirror(
            config.shadow_url,
            model=config.name,
            version=config.version,
            candidate_model=config.shadow_model,
            percent=config.shadow_percent,
            tolerance=config.shadow_tolerance,
            protocol=config.shadow_protocol,
            request_logger=predictor.request_logger,
        )
    return predictor


def serve(config: ServeConfig) -> None:
    """Listen (or refuse), load (or refuse), then serve until SIGTERM/SIGINT; the request log
    is written out on exit."""
    # KServe parses sys.argv when imported; our own options are not its business.
    sys.argv = sys.argv[:1]
    sock = listen(config.host, config.port)
    try:
        predictor = build(config)
    except BaseException:
        sock.close()
        raise
    from mlops.serving.modelserver import BoundModelServer

    server = BoundModelServer(sock, config.max_request_bytes, http_port=config.port)
    try:
        server.start([predictor])
    finally:
        predictor.stop()
        sock.close()
