"""`mlops serve`: run the KServe predictor for one MLflow model locally (or in its container,
where the rendered InferenceService sets the MLOPS_* environment variables)."""

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from mlops.config import environment as settings
from mlops.errors import BadInputError, validation_problems


def _release_settings(path: Path) -> tuple[str, str, str]:
    from mlops.gitops.descriptor import load_release

    release = load_release(path)
    return release.model, str(release.registry_version), release.model_digest


def serve(
    model_uri: Annotated[
        str,
        typer.Option(
            "--model-uri",
            envvar=settings.MODEL_URI.name,
            help="MLflow model: local directory, file://, models:/, runs:/ or s3:// URI.",
        ),
    ],
    host: Annotated[
        str,
        typer.Option(
            "--host",
            envvar=settings.HTTP_HOST.name,
            help="Address to listen on (the cluster's serving runtime passes 0.0.0.0).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", envvar=settings.HTTP_PORT.name, help="HTTP port.")
    ] = 8080,
    max_request_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-request-bytes",
            envvar=settings.MAX_REQUEST_BYTES.name,
            help="Largest request body accepted (default 8 MiB); larger ones get 413 and are "
            "logged.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", envvar=settings.MODEL_NAME.name, help="Model name in the URL paths."
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version", envvar=settings.MODEL_VERSION.name, help="Registry version served."
        ),
    ] = None,
    expected_digest: Annotated[
        str | None,
        typer.Option(
            "--expected-digest",
            envvar=settings.MODEL_SHA256.name,
            help="Refuse to start unless the artifact has this digest (sha256:<hex> or hex).",
        ),
    ] = None,
    release: Annotated[
        Path | None,
        typer.Option(
            "--release",
            help="Release descriptor (gitops/envs/<env>/models/<model>.yaml): name, version and "
            "expected digest come from it.",
        ),
    ] = None,
    environment: Annotated[
        str,
        typer.Option("--environment", envvar=settings.ENVIRONMENT.name, help="dev, int, prod..."),
    ] = "",
    log_sink: Annotated[
        str | None,
        typer.Option(
            "--log-sink",
            envvar=settings.REQUEST_LOG.name,
            help="Request log: s3://BUCKET/PREFIX, sqlite:///PATH, PATH.jsonl, "
            "http(s)://COLLECTOR (CloudEvents) or none.",
        ),
    ] = None,
    log_durability: Annotated[
        str,
        typer.Option(
            "--log-durability",
            envvar=settings.REQUEST_LOG_DURABILITY.name,
            help="sync: each record is written before the answer leaves (an answered request "
            "survives the process being killed); buffered: written every 50 ms, off the "
            "request path (the last 50 ms of answers can be lost).",
        ),
    ] = "sync",
    log_flush_seconds: Annotated[
        float,
        typer.Option(
            "--log-flush-seconds",
            envvar=settings.REQUEST_LOG_FLUSH_SECONDS.name,
            help="With buffered durability: seconds between batches (one object each on s3://).",
        ),
    ] = 0.05,
    sample_rate: Annotated[
        float,
        typer.Option(
            "--log-sample-rate",
            envvar=settings.REQUEST_LOG_SAMPLE_RATE.name,
            help="Share logged, 0-1.",
        ),
    ] = 1.0,
    mask: Annotated[
        list[str] | None,
        typer.Option("--mask", help="Field to mask in the request log (repeat)."),
    ] = None,
    mask_env: Annotated[
        str,
        typer.Option(
            "--mask-fields",
            envvar=settings.REQUEST_LOG_MASK.name,
            help="Comma-separated fields to mask (the container's form of --mask).",
        ),
    ] = "",
    mask_mode: Annotated[
        str, typer.Option("--mask-mode", help="redact (constant) or hash (short sha256).")
    ] = "redact",
    shadow_url: Annotated[
        str | None,
        typer.Option(
            "--shadow-url", envvar=settings.SHADOW_URL.name, help="Candidate to mirror to."
        ),
    ] = None,
    shadow_model: Annotated[
        str | None, typer.Option("--shadow-model", help="Candidate's model name (default: ours).")
    ] = None,
    shadow_percent: Annotated[
        float,
        typer.Option(
            "--shadow-percent", envvar=settings.SHADOW_PERCENT.name, help="Share mirrored."
        ),
    ] = 100.0,
    shadow_protocol: Annotated[
        str,
        typer.Option(
            "--shadow-protocol",
            envvar=settings.SHADOW_PROTOCOL.name,
            help="v1, or v2 for candidates that speak only Open Inference.",
        ),
    ] = "v1",
    explain: Annotated[
        str,
        typer.Option(
            "--explain",
            envvar=settings.EXPLAIN.name,
            help="none; linear (coefficient contributions); reference (per-feature shift "
            "from the training reference, any model); auto (linear if linear, else reference).",
        ),
    ] = "none",
) -> None:
    """Serve an MLflow model over KServe V1 (/v1/models/NAME:predict) and Open Inference V2
    (/v2/models/NAME/infer, JSON or binary tensors), with Prometheus metrics on /metrics, on
    127.0.0.1 unless --host says otherwise. Exits 1 without listening when the artifact's digest
    differs from the expected one, 2 when the port is taken or an input is bad."""
    from mlops.serving.server import ServeConfig
    from mlops.serving.server import serve as run

    if release is not None:
        rel_name, rel_version, rel_digest = _release_settings(release)
        name, version = name or rel_name, version or rel_version
        expected_digest = expected_digest or rel_digest
    fields = [*(mask or []), *(f.strip() for f in mask_env.split(",") if f.strip())]
    try:
        # validated from text, as the options arrive (the model refuses what is not allowed)
        config = ServeConfig.model_validate(
            {
                "model_uri": model_uri,
                "name": name or "model",
                "version": version or "",
                "expected_digest": expected_digest or None,
                "environment": environment,
                "host": host,
                "port": port,
                **({} if max_request_bytes is None else {"max_request_bytes": max_request_bytes}),
                "log_sink": log_sink,
                "log_durability": log_durability,
                "log_flush_seconds": log_flush_seconds,
                "sample_rate": sample_rate,
                "mask_fields": fields,
                "mask_mode": mask_mode,
                "shadow_url": shadow_url or None,
                "shadow_model": shadow_model,
                "shadow_percent": shadow_percent,
                "shadow_protocol": shadow_protocol,
                "explain": explain,
            }
        )
    except ValidationError as error:
        raise BadInputError(f"mlops serve: {validation_problems(error)}") from None
    run(config)
