"""Prometheus metrics of the serving runtime, labelled by model and version so that canary,
shadow and blue-green versions can be compared side by side. They live in the default
registry, which KServe's `/metrics` endpoint exposes. Names are used by
`monitoring/rules/` and `monitoring/dashboards/serving.json`; keep them in step.
"""

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "mlops_predictor_requests",
    "Prediction requests by outcome (status_code 200, 400 bad input, 500 model failure).",
    ["model", "version", "protocol", "status_code"],
)
ROWS = Counter(
    "mlops_predictor_rows", "Rows (instances) predicted.", ["model", "version", "protocol"]
)
LATENCY = Histogram(
    "mlops_predictor_request_duration_seconds",
    "Time from decoding a request to its encoded answer.",
    ["model", "version", "protocol"],
    buckets=LATENCY_BUCKETS,
)
MODEL_INFO = Gauge(
    "mlops_predictor_model_info",
    "1 for the model version this predictor serves, with its artifact digest.",
    ["model", "version", "digest", "environment"],
)
LOG_WRITTEN = Counter(
    "mlops_request_log_records_written", "Request-log records the sink acknowledged.", ["model"]
)
LOG_DROPPED = Counter(
    "mlops_request_log_records_dropped",
    "Request-log records lost (queue full or sink failing).",
    ["model", "reason"],
)
SHADOW_ROWS = Counter(
    "mlops_shadow_rows_compared",
    "Rows mirrored to a candidate and compared.",
    ["model", "version", "candidate"],
)
SHADOW_DISAGREEMENTS = Counter(
    "mlops_shadow_disagreements",
    "Mirrored rows where the candidate's prediction differs from the primary's.",
    ["model", "version", "candidate"],
)
SHADOW_ERRORS = Counter(
    "mlops_shadow_errors",
    "Mirrored requests the candidate failed or that were skipped (too many in flight).",
    ["model", "version", "candidate", "reason"],
)
