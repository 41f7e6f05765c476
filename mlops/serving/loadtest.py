"""A load generator for the serving load-test gate (Zwiesler 1.3, 2.3): latency percentiles,
error rate and achieved throughput of one HTTP endpoint.

It speaks plain HTTP/1.1 with keep-alive over asyncio streams (one connection per worker, as
wrk does), so the client costs little next to the server it measures. Closed loop by default
(each worker sends its next request when the answer arrives). With a target rate the schedule
is fixed in advance and latency counts from each request's scheduled start, so a stalled server
is not hidden by the client waiting (no coordinated omission, as in wrk2).
"""

from __future__ import annotations

import asyncio
import math
import ssl
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mlops.errors import BadInputError

EVIDENCE = {
    "loadtest.p95_latency_ms": ("p95_ms", "ms"),
    "loadtest.error_rate": ("error_rate", "ratio"),
    "loadtest.throughput_rps": ("throughput_rps", "rps"),
}


@dataclass(frozen=True)
class LoadSpec:
    url: str
    duration: float
    concurrency: int = 8
    rps: float | None = None
    method: str = "POST"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
    timeout: float = 10.0


@dataclass
class LoadResult:
    url: str
    duration_s: float
    concurrency: int
    target_rps: float | None
    requests: int  # answered plus failed at the connection level
    errors: int  # HTTP status >= 400, timeouts and connection failures
    error_rate: float
    throughput_rps: float  # answered responses per second, any status (as wrk counts)
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    status_codes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (the value below which q% of samples fall)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class _Target:
    def __init__(self, spec: LoadSpec) -> None:
        parts = urlsplit(spec.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadInputError(f"--url: '{spec.url}' is not an http(s) URL")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = parts.netloc.rsplit("@", 1)[-1]
        lines = [f"{spec.method} {path} HTTP/1.1", f"host: {host_header}"]
        lines += [f"{k}: {v}" for k, v in spec.headers]
        if spec.body or spec.method in ("POST", "PUT", "PATCH"):
            lines.append(f"content-length: {len(spec.body)}")
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + spec.body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; returns (status, keep the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked, close = 0, False, lines[0].startswith("HTTP/1.0")
    for line in lines[1:]:
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip().lower()
        if key == "content-length":
            length = int(value)
        elif key == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif key == "connection":
            close = value == "close"
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, not close


class _Run:
    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.target = _Target(spec)
        self.latencies: list[float] = []
        self.errors = 0
        self.codes: dict[str, int] = {}
        self.next_slot = 0

    async def worker(self, start: float, deadline: float) -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        interval = 1.0 / self.spec.rps if self.spec.rps else 0.0
        while True:
            if interval:
                scheduled = start + self.next_slot * interval
                self.next_slot += 1
                if scheduled >= deadline:
                    break
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                scheduled = time.perf_counter()
                if scheduled >= deadline:
                    break
            try:
                if connection is None:
                    connection = await asyncio.wait_for(
                        asyncio.open_connection(
                            self.target.host, self.target.port, ssl=self.target.ssl
                        ),
                        self.spec.timeout,
                    )
                reader, writer = connection
                writer.write(self.target.request)
                status, keep = await asyncio.wait_for(_read_response(reader), self.spec.timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                self.errors += 1
                name = type(error).__name__
                self.codes[name] = self.codes.get(name, 0) + 1
                if connection is not None:
                    connection[1].close()
                connection = None
                continue
            self.latencies.append(time.perf_counter() - scheduled)
            self.codes[str(status)] = self.codes.get(str(status), 0) + 1
            if status >= 400:
                self.errors += 1
            if not keep:
                writer.close()
                connection = None
        if connection is not None:
            connection[1].close()

    async def run(self) -> LoadResult:
        start = time.perf_counter()
        deadline = start + self.spec.duration
        await asyncio.gather(*(self.worker(start, deadline) for _ in range(self.spec.concurrency)))
        elapsed = time.perf_counter() - start
        answered = len(self.latencies)
        total = answered + sum(v for k, v in self.codes.items() if not k.isdigit())
        ordered = sorted(ms * 1000 for ms in self.latencies)
        return LoadResult(
            url=self.spec.url,
            duration_s=round(elapsed, 3),
            concurrency=self.spec.concurrency,
            target_rps=self.spec.rps,
            requests=total,
            errors=self.errors,
            error_rate=round(self.errors / total, 6) if total else 1.0,
            throughput_rps=round(answered / elapsed, 2),
            p50_ms=round(percentile(ordered, 50), 3),
            p95_ms=round(percentile(ordered, 95), 3),
            p99_ms=round(percentile(ordered, 99), 3),
            max_ms=round(ordered[-1], 3) if ordered else 0.0,
            mean_ms=round(sum(ordered) / len(ordered), 3) if ordered else 0.0,
            status_codes=dict(sorted(self.codes.items())),
        )


def run_load(spec: LoadSpec) -> LoadResult:
    """Run the load test to completion (its own event loop, uvloop when installed)."""
    if spec.duration <= 0 or spec.concurrency < 1:
        raise BadInputError("--duration must be > 0 and --concurrency >= 1")
    if spec.rps is not None and spec.rps <= 0:
        raise BadInputError("--rps must be > 0")
    runner = _Run(spec)
    try:
        import uvloop

        return uvloop.run(runner.run())
    except ImportError:
        return asyncio.run(runner.run())


def evidence(result: LoadResult) -> list[tuple[str, float, str]]:
    """(name, value, unit) of the load-test SLO evidence the promotion gates read."""
    values = result.to_dict()
    return [(name, float(values[key]), unit) for name, (key, unit) in EVIDENCE.items()]
