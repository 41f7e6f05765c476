"""Serving runtimes a release may name, and what monitoring needs to know about each.

Each model server exposes its own metrics (KServe has no unified set), so the port and the
metric names the alerts use are data per runtime rather than guesses in the renderer.
"""

from dataclasses import dataclass

from mlops.serving.runtime import PORT, RUNTIME_NAME


@dataclass(frozen=True)
class RuntimeProfile:
    """One KServe (Cluster)ServingRuntime as the renderer uses it."""

    model_formats: tuple[str, ...]
    protocols: tuple[str, ...]
    metrics_port: int
    metrics_path: str
    requests_total: str  # counter of HTTP requests, labelled with `status_code`
    request_duration_bucket: str  # latency histogram buckets, in seconds


# The platform's one ClusterServingRuntime (components/kserve.py, mlops.serving.runtime), whose
# image comes from the environment's registry; never KServe's built-in runtimes.
RUNTIMES: dict[str, RuntimeProfile] = {
    # The platform's own predictor (mlops/serving): request logging, digest check, shadow mirroring.
    RUNTIME_NAME: RuntimeProfile(
        model_formats=("mlflow",),
        protocols=("v1", "v2"),
        metrics_port=PORT,
        metrics_path="/metrics",
        requests_total="mlops_predictor_requests_total",
        request_duration_bucket="mlops_predictor_request_duration_seconds_bucket",
    ),
}
