"""The platform's one serving runtime: the predictor container as KServe runs it in every
environment (components/kserve.py makes it the ClusterServingRuntime `platform-predictor`) and
as the embedded demo and the tests start it, from the same definition, so what they test is
what is deployed.

The container runs the image's `mlops serve` with its settings in the environment; per model the
rendered InferenceService adds the model's name, version, digest and environment, and KServe's
storage initializer puts the artifact in /mnt/models. Run locally (`local_process`), only what a
pod gets from its node differs: the listen address, the port and where the model lies.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.config import environment as settings
from mlops.config.model import ServingConfig

RUNTIME_NAME = "platform-predictor"
CONTAINER_NAME = "kserve-container"
PORT = 8080
MODEL_DIR = "/mnt/models"  # where KServe's storage initializer puts the artifact
COMMAND = ("mlops",)
ARGS = ("serve",)
# The model's threads spin on the pod's CPUs otherwise (measured in the demo: 18 req/s and p95
# 1 s with the default, 107-131 req/s with one thread).
THREADS = {"OMP_NUM_THREADS": "1"}


@dataclass(frozen=True)
class RequestLogSettings:
    """Where and how the predictor logs requests (from the stack's `serving.request_log`)."""

    sink: str  # s3://BUCKET/PREFIX in a cluster; any sink URL `mlops serve` takes
    sample_rate: float = 1.0
    mask: tuple[str, ...] = ()
    explain: str = "auto"
    durability: str = "buffered"
    flush_seconds: float = 5.0


def request_log_settings(serving: ServingConfig, bucket: str) -> RequestLogSettings | None:
    """The stack's `serving.request_log` as the runtime's settings: off, or batches of JSON
    lines under `s3://<bucket>/<prefix>` (`bucket` is the request-logs bucket's real name),
    written off the request path so a slow store never slows an answer."""
    config = serving.request_log
    if not config.enabled:
        return None
    return RequestLogSettings(
        sink=f"s3://{bucket}/{config.prefix}",
        sample_rate=config.sample_rate,
        mask=tuple(config.mask),
        explain=config.explain,
        durability="buffered",
        flush_seconds=config.flush_seconds,
    )


def predictor_container(
    image: str,
    request_log: RequestLogSettings | None = None,
    store_env: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The runtime's container: image, entrypoint, settings and port. `store_env` is how the
    container reaches the object store (endpoint and key Secret; empty on S3 with IRSA)."""
    env: list[dict[str, Any]] = [
        {"name": settings.MODEL_URI.name, "value": MODEL_DIR},
        # the pod's network policy, not the bind address, decides who reaches it
        {"name": settings.HTTP_HOST.name, "value": "0.0.0.0"},  # noqa: S104
        {"name": settings.HTTP_PORT.name, "value": str(PORT)},
        *({"name": name, "value": value} for name, value in THREADS.items()),
    ]
    if request_log is not None:
        env += [
            {"name": settings.REQUEST_LOG.name, "value": request_log.sink},
            {"name": settings.REQUEST_LOG_DURABILITY.name, "value": request_log.durability},
            {"name": settings.REQUEST_LOG_FLUSH_SECONDS.name,
             "value": str(request_log.flush_seconds)},
            {"name": settings.REQUEST_LOG_SAMPLE_RATE.name, "value": str(request_log.sample_rate)},
            {"name": settings.REQUEST_LOG_MASK.name, "value": ",".join(request_log.mask)},
            {"name": settings.EXPLAIN.name, "value": request_log.explain},
        ]  # fmt: skip
        env += [dict(item) for item in store_env]
    return {
        "name": CONTAINER_NAME,
        "image": image,
        "command": list(COMMAND),
        "args": list(ARGS),
        "env": env,
        "ports": [{"containerPort": PORT, "name": "http1", "protocol": "TCP"}],
    }


def model_env(name: str, version: str, digest: str, environment: str) -> dict[str, str]:
    """What the rendered InferenceService adds for one model version (mlops.gitops.manifests)."""
    return {
        settings.ENVIRONMENT.name: environment,
        settings.MODEL_NAME.name: name,
        settings.MODEL_SHA256.name: digest.removeprefix("sha256:"),
        settings.MODEL_VERSION.name: version,
    }


def local_process(
    container: Mapping[str, Any],
    *,
    port: int,
    model_uri: str,
    model: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
) -> tuple[list[str], dict[str, str]]:
    """argv and environment to run `container`'s own entrypoint as a local process: its command
    from this Python environment's scripts (run by its interpreter, as the shebang would), its args and every literal setting it declares, with
    the pod's share (address, port, model directory, the InferenceService's model settings)
    and `overrides` (such as a local request-log sink) on top. Settings taken from Secrets
    (`valueFrom`) are the cluster's; a local run passes its own in `overrides`."""
    # the script as its shebang runs it, so the process's command line is this argv (the demo's
    # supervisor stops a process only while it still runs the command it recorded)
    program, *rest = container["command"]
    command = [sys.executable, str(Path(sys.executable).parent / program), *rest]
    env = {item["name"]: str(item["value"]) for item in container["env"] if "value" in item}
    env |= {
        settings.HTTP_HOST.name: host,
        settings.HTTP_PORT.name: str(port),
        settings.MODEL_URI.name: model_uri,
        **model,
        **(overrides or {}),
    }
    return [*command, *container["args"]], env
