"""Assembling and running the predictor: sink, masking, sampling, shadow, then KServe's
ModelServer on one HTTP port (V1, V2, /metrics, health). gRPC is opt-in.

In the cluster every setting comes from the environment the rendered InferenceService sets
(`MLOPS_MODEL_NAME`, `MLOPS_MODEL_VERSION`, `MLOPS_MODEL_SHA256`, `MLOPS_ENVIRONMENT`,
`MLOPS_SHADOW_URL`, `MLOPS_SHADOW_PERCENT`, and `MLOPS_REQUEST_LOG`...); see `mlops serve
--help` for the full list.
"""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.serving.masking import Masker
from mlops.serving.requestlog import RequestLogger
from mlops.serving.sinks import sink_from_url


class ServeConfig(BaseModel):
    """Everything `mlops serve` needs, validated at the edge."""

    model_config = ConfigDict(extra="forbid")

    model_uri: str = Field(min_length=1)
    name: str = Field(default="model", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    version: str = ""
    expected_digest: str | None = None
    environment: str = ""
    port: int = Field(default=8080, ge=1, le=65535)
    grpc_port: int | None = Field(default=None, ge=1, le=65535)
    log_sink: str | None = None
    sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    mask_fields: list[str] = []
    mask_mode: Literal["redact", "hash"] = "redact"
    shadow_url: str | None = None
    shadow_model: str | None = None
    shadow_percent: float = Field(default=100.0, gt=0.0, le=100.0)
    shadow_tolerance: float = Field(default=1e-6, ge=0.0)
    shadow_protocol: Literal["v1", "v2"] = "v1"
    explain: Literal["none", "linear"] = "none"


def build(config: ServeConfig):  # -> MlflowPredictor (KServe imported lazily)
    """The loaded predictor; raises DigestMismatchError (exit 1) before anything listens."""
    from mlops.serving.predictor import MlflowPredictor
    from mlops.serving.shadow import ShadowMirror

    sink = sink_from_url(config.log_sink)
    predictor = MlflowPredictor(
        config.name,
        config.model_uri,
        version=config.version,
        expected_digest=config.expected_digest,
        environment=config.environment,
        explain=config.explain,
    )
    try:
        predictor.load()
    except BaseException:
        if sink is not None:
            sink.close()
        raise
    if sink is not None:
        predictor.request_logger = RequestLogger(
            sink,
            model=config.name,
            version=config.version,
            digest=predictor.digest,
            environment=config.environment,
            sample_rate=config.sample_rate,
            masker=Masker(config.mask_fields, config.mask_mode),
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
    """Load (or refuse), then serve until SIGTERM/SIGINT; the request log is drained on exit."""
    # KServe parses sys.argv when imported; our own options are not its business.
    sys.argv = sys.argv[:1]
    predictor = build(config)
    import kserve

    server = kserve.ModelServer(
        http_port=config.port,
        grpc_port=config.grpc_port or 8081,
        enable_grpc=config.grpc_port is not None,
        enable_latency_logging=False,
        workers=1,
    )
    try:
        server.start([predictor])
    finally:
        predictor.stop()
