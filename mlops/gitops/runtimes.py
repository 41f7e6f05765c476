"""Serving runtimes a release may name, and what monitoring needs to know about each.

Each model server exposes its own metrics (KServe has no unified set), so the port and the
metric names the alerts use are data per runtime rather than guesses in the renderer.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeProfile:
    """One KServe (Cluster)ServingRuntime as the renderer uses it."""

    model_formats: tuple[str, ...]
    protocols: tuple[str, ...]
    metrics_port: int
    metrics_path: str
    requests_total: str  # counter of HTTP requests, labelled with `status_code`
    request_duration_bucket: str  # latency histogram buckets, in seconds
    mirrors: bool = False  # can mirror requests to a shadow (strategy `shadow` needs it)


# The names are the platform's ClusterServingRuntimes (components/kserve.py), whose images come
# from the environment's registry, never KServe's built-in runtimes.
RUNTIMES: dict[str, RuntimeProfile] = {
    # MLServer: metrics on their own port (8082 by default), REST metrics prefixed `rest_server`.
    "platform-mlflow": RuntimeProfile(
        model_formats=("mlflow", "sklearn", "xgboost", "lightgbm"),
        protocols=("v2",),
        metrics_port=8082,
        metrics_path="/metrics",
        requests_total="rest_server_requests_total",
        request_duration_bucket="rest_server_request_duration_seconds_bucket",
    ),
    # The platform's own predictor (mlops/serving): request logging, digest check, shadow mirroring.
    "platform-predictor": RuntimeProfile(
        model_formats=("mlflow",),
        protocols=("v1", "v2"),
        metrics_port=8080,
        metrics_path="/metrics",
        requests_total="mlops_predictor_requests_total",
        request_duration_bucket="mlops_predictor_request_duration_seconds_bucket",
        mirrors=True,
    ),
}
