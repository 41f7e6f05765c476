"""Live serving figures per model version: p95 latency, error rate and traffic.

From Prometheus (its HTTP query API, over a window) where one runs; otherwise straight from the
predictors' `/metrics` endpoints, whose counters run since each predictor started, so the
figures then cover the predictor's lifetime, not the window (the result says which).
The metric names are the serving runtime's (`mlops/serving/metrics.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from mlops.errors import BadInputError

REQUESTS = "mlops_predictor_requests_total"
LATENCY_BUCKET = "mlops_predictor_request_duration_seconds_bucket"
QUANTILE = 0.95


class LiveSourceError(Exception):
    """Prometheus or a metrics endpoint could not be read (not a caller mistake)."""


@dataclass
class LiveFigures:
    """One model version's serving figures and where they came from."""

    model: str
    version: str
    requests: float = 0.0
    errors: float = 0.0
    p95_latency_ms: float | None = None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests > 0 else None


@dataclass
class LiveReading:
    source: str  # "prometheus" or "metrics-endpoints"
    detail: str
    figures: dict[tuple[str, str], LiveFigures] = field(default_factory=dict)

    def of(self, model: str, version: str) -> LiveFigures:
        return self.figures.setdefault((model, version), LiveFigures(model, version))


def histogram_quantile(quantile: float, buckets: list[tuple[float, float]]) -> float | None:
    """Prometheus's `histogram_quantile` over cumulative (upper bound, count) buckets: linear
    interpolation inside the bucket the rank falls in; the highest finite bound past it."""
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = quantile * ordered[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return ordered[-1][0]


def _query(http: httpx.Client, url: str, expr: str) -> list[dict[str, Any]]:
    try:
        response = http.get(f"{url.rstrip('/')}/api/v1/query", params={"query": expr})
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise LiveSourceError(f"Prometheus {url}: {type(error).__name__}: {error}") from None
    if response.status_code >= 400 or body.get("status") != "success":
        raise LiveSourceError(f"Prometheus {url}: {response.status_code} {body.get('error', '')}")
    return list(body["data"]["result"])


def _value(sample: dict[str, Any]) -> float | None:
    value = float(sample["value"][1])
    return value if math.isfinite(value) else None


def from_prometheus(url: str, window: str, timeout: float = 10.0) -> LiveReading:
    """Traffic, errors and p95 latency per model version over `window` (a PromQL duration)."""
    by = "model, version"
    queries = {
        "requests": f"sum by ({by}) (increase({REQUESTS}[{window}]))",
        "errors": f'sum by ({by}) (increase({REQUESTS}{{status_code!="200"}}[{window}]))',
        "p95": f"histogram_quantile({QUANTILE}, sum by (le, {by}) "
        f"(rate({LATENCY_BUCKET}[{window}])))",
    }
    reading = LiveReading("prometheus", f"Prometheus {url}, window {window}")
    with httpx.Client(timeout=timeout) as http:
        for key, expr in queries.items():
            for sample in _query(http, url, expr):
                labels = sample.get("metric", {})
                if "model" not in labels or "version" not in labels:
                    continue
                figures = reading.of(labels["model"], labels["version"])
                value = _value(sample)
                if key == "p95":
                    figures.p95_latency_ms = None if value is None else round(value * 1000, 3)
                else:
                    setattr(figures, key, round(value or 0.0, 3))
    return reading


def parse_metrics(text: str, reading: LiveReading) -> None:
    """Add one predictor's exposition (Prometheus text format) to `reading`."""
    buckets: dict[tuple[str, str], dict[float, float]] = {}
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as error:
        raise LiveSourceError(f"not Prometheus text format: {error}") from None
    for family in families:
        for sample in family.samples:
            labels = sample.labels
            if "model" not in labels or "version" not in labels:
                continue
            key = (labels["model"], labels["version"])
            if sample.name == REQUESTS:
                figures = reading.of(*key)
                figures.requests += sample.value
                if labels.get("status_code") != "200":
                    figures.errors += sample.value
            elif sample.name == LATENCY_BUCKET:
                bound = float(labels["le"])
                per_model = buckets.setdefault(key, {})
                per_model[bound] = per_model.get(bound, 0.0) + sample.value
    for key, counts in buckets.items():
        p95 = histogram_quantile(QUANTILE, list(counts.items()))
        reading.of(*key).p95_latency_ms = None if p95 is None else round(p95 * 1000, 3)


def from_endpoints(urls: list[str], why: str, timeout: float = 10.0) -> LiveReading:
    """Read each predictor's metrics endpoint directly (no Prometheus): lifetime figures."""
    if not urls:
        raise BadInputError(
            f"{why}, and no --metrics-url given; allowed: --prometheus URL or --metrics-url "
            "URL (repeat), each a predictor's metrics endpoint"
        )
    reading = LiveReading(
        "metrics-endpoints",
        f"{why}: read {len(urls)} predictor metrics endpoint(s) directly; figures cover each "
        "predictor's lifetime, not a window",
    )
    merged = LiveReading(reading.source, reading.detail)
    with httpx.Client(timeout=timeout) as http:
        for url in urls:
            try:
                response = http.get(url)
            except httpx.HTTPError as error:
                raise LiveSourceError(f"{url}: {type(error).__name__}: {error}") from None
            if response.status_code >= 400:
                raise LiveSourceError(f"{url}: HTTP {response.status_code}")
            one = LiveReading(reading.source, reading.detail)
            parse_metrics(response.text, one)
            for key, figures in one.figures.items():
                total = merged.of(*key)
                total.requests += figures.requests
                total.errors += figures.errors
                if figures.p95_latency_ms is not None:  # the slowest replica's p95
                    total.p95_latency_ms = max(total.p95_latency_ms or 0.0, figures.p95_latency_ms)
    return merged


def read_live(prometheus: str | None, metrics_urls: list[str], window: str) -> LiveReading:
    """Prometheus where given and answering; otherwise the metrics endpoints, saying why."""
    if prometheus:
        try:
            return from_prometheus(prometheus, window)
        except LiveSourceError as error:
            return from_endpoints(metrics_urls, f"Prometheus unavailable ({error})")
    return from_endpoints(metrics_urls, "no Prometheus configured")
