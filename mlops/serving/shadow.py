"""Shadow deployment at runtime: the primary answers the caller, and a sampled share of its
requests is mirrored to a candidate whose answers are compared and discarded.

Mirroring runs as background tasks after the primary has answered, bounded by `max_in_flight`
(extra requests are skipped and counted, never queued behind the caller). Each comparison
counts rows and disagreements per primary version and candidate (Prometheus), is written to the
request log as a `shadow` record, and the running disagreement rate goes to the service log.
The candidate is called over V1 REST (every predictor of this platform serves it) or, for
runtimes that speak only Open Inference (such as Triton), over V2 with one tensor per feature.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Any

import httpx

from mlops.serving.metrics import SHADOW_DISAGREEMENTS, SHADOW_ERRORS, SHADOW_ROWS
from mlops.serving.requestlog import RequestLogger, sampled

log = logging.getLogger(__name__)


def agree(primary: Any, candidate: Any, tolerance: float) -> bool:
    """Equal predictions; numbers within an absolute tolerance, structures element-wise."""
    if isinstance(primary, bool) or isinstance(candidate, bool):
        return primary == candidate
    if isinstance(primary, int | float) and isinstance(candidate, int | float):
        return math.isclose(primary, candidate, rel_tol=0.0, abs_tol=tolerance)
    if isinstance(primary, list) and isinstance(candidate, list):
        return len(primary) == len(candidate) and all(
            agree(p, c, tolerance) for p, c in zip(primary, candidate, strict=True)
        )
    if isinstance(primary, dict) and isinstance(candidate, dict):
        return primary.keys() == candidate.keys() and all(
            agree(primary[k], candidate[k], tolerance) for k in primary
        )
    return primary == candidate


def _datatype(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "BOOL"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "INT64"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "FP64"
    return "BYTES"


def v2_body(request_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """An Open Inference request with one `[n]` tensor per feature."""
    names = list(rows[0]) if rows else []
    inputs = []
    for name in names:
        values = [row.get(name) for row in rows]
        kind = _datatype(values)
        data = [str(v) for v in values] if kind == "BYTES" else values
        inputs.append({"name": name, "shape": [len(rows)], "datatype": kind, "data": data})
    return {"id": request_id, "inputs": inputs}


@dataclass
class ShadowStats:
    requests: int = 0
    rows: int = 0
    disagreements: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def disagreement_rate(self) -> float:
        return self.disagreements / self.rows if self.rows else 0.0


class ShadowMirror:
    """Mirrors requests of one primary (model, version) to one candidate predictor."""

    def __init__(
        self,
        url: str,
        *,
        model: str,
        version: str,
        candidate_model: str | None = None,
        percent: float = 100.0,
        tolerance: float = 1e-6,
        timeout: float = 5.0,
        max_in_flight: int = 64,
        request_logger: RequestLogger | None = None,
        report_every: int = 100,
        protocol: str = "v1",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.model, self.version = model, version
        self.candidate_model = candidate_model or model
        self.rate = percent / 100.0
        self.tolerance = tolerance
        self.max_in_flight = max_in_flight
        self.request_logger = request_logger
        self.report_every = report_every
        if protocol not in ("v1", "v2"):
            raise ValueError(f"shadow protocol: '{protocol}'; allowed: v1, v2")
        self.protocol = protocol
        self.stats = ShadowStats()
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._labels = (model, version, self.url)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        return self._client

    def mirror(self, request_id: str, rows: list[dict[str, Any]], primary: list[Any]) -> bool:
        """Schedule a comparison from inside the serving event loop; False when not mirrored."""
        if not sampled(request_id, self.rate):
            return False
        if len(self._tasks) >= self.max_in_flight:
            self.stats.skipped += 1
            SHADOW_ERRORS.labels(*self._labels, "skipped").inc()
            return False
        task = asyncio.get_running_loop().create_task(self._compare(request_id, rows, primary))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _compare(
        self, request_id: str, rows: list[dict[str, Any]], primary: list[Any]
    ) -> None:
        headers = {"x-request-id": request_id, "x-mlops-shadow": "1"}
        try:
            if self.protocol == "v1":
                response = await self._http().post(
                    f"{self.url}/v1/models/{self.candidate_model}:predict",
                    json={"instances": rows},
                    headers=headers,
                )
                response.raise_for_status()
                candidate = response.json()["predictions"]
            else:
                response = await self._http().post(
                    f"{self.url}/v2/models/{self.candidate_model}/infer",
                    json=v2_body(request_id, rows),
                    headers=headers,
                )
                response.raise_for_status()
                candidate = response.json()["outputs"][0]["data"]
            if not isinstance(candidate, list) or len(candidate) != len(primary):
                raise ValueError("candidate answered a different number of predictions")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            self.stats.errors += 1
            SHADOW_ERRORS.labels(*self._labels, "candidate_failed").inc()
            log.warning("shadow %s: request %s failed: %s", self.url, request_id, error)
            return
        differing = sum(
            not agree(p, c, self.tolerance) for p, c in zip(primary, candidate, strict=True)
        )
        self.stats.requests += 1
        self.stats.rows += len(primary)
        self.stats.disagreements += differing
        SHADOW_ROWS.labels(*self._labels).inc(len(primary))
        if differing:
            SHADOW_DISAGREEMENTS.labels(*self._labels).inc(differing)
        if self.request_logger is not None:
            self.request_logger.log(
                request_id,
                record_type="shadow",
                protocol=self.protocol,
                inputs=rows,
                outputs=primary,
                latency_ms=response.elapsed.total_seconds() * 1000,
                extra={
                    "candidate": self.url,
                    "candidate_output": candidate,
                    "rows": len(primary),
                    "disagreements": differing,
                },
            )
        if self.stats.requests % self.report_every == 0:
            self.report()

    def report(self) -> None:
        s = self.stats
        log.info(
            "shadow %s vs %s v%s: %d rows compared, %d disagree (rate %.4f), %d errors, %d skipped",
            self.url, self.model, self.version, s.rows, s.disagreements,
            s.disagreement_rate, s.errors, s.skipped,
        )  # fmt: skip

    async def drain(self) -> None:
        """Wait for the comparisons in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        self.report()
        if self._client is not None:
            await self._client.aclose()
