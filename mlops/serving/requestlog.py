"""Per-request logging (Zwiesler 2.4): model metadata, input, output, latency and, where
required, an explanation, for every sampled request.

The request path only builds a record and appends it to a bounded buffer; a background thread
wakes every `flush_interval` seconds, masks the buffered records and writes them to the sink in
one batch. Waking per interval rather than per record keeps the writer from contending for the
GIL on every request; a slow collector costs records (counted in
`mlops_request_log_records_dropped`), never latency. Sampling is decided by a hash of the
request id, so the primary and its shadow keep or skip the same requests.
"""

from __future__ import annotations

import logging
import threading
import uuid
import zlib
from collections import deque
from datetime import UTC, datetime
from typing import Any

from mlops.errors import BadInputError
from mlops.serving.masking import Masker
from mlops.serving.metrics import LOG_DROPPED, LOG_WRITTEN
from mlops.serving.sinks import Sink

log = logging.getLogger(__name__)

RECORD_TYPES = ("inference", "batch", "shadow")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_request_id() -> str:
    return uuid.uuid4().hex


def sampled(request_id: str, rate: float) -> bool:
    """Deterministic per request id: the same id is kept (or not) by every service."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    return zlib.crc32(request_id.encode("utf-8")) / 2**32 < rate


class RequestLogger:
    """Builds, masks, samples and ships request-log records; `close()` drains the queue."""

    def __init__(
        self,
        sink: Sink,
        *,
        model: str,
        version: str,
        digest: str,
        environment: str = "",
        sample_rate: float = 1.0,
        masker: Masker | None = None,
        queue_size: int = 50_000,
        flush_interval: float = 0.05,
    ) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise BadInputError(f"sample rate: {sample_rate} is not between 0 and 1")
        self.sink = sink
        self.model, self.version, self.digest = model, version, digest
        self.environment = environment
        self.sample_rate = sample_rate
        self.masker = masker or Masker()
        self.queue_size = queue_size
        self.flush_interval = flush_interval
        self._buffer: deque[dict[str, Any]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def log(
        self,
        request_id: str,
        *,
        record_type: str = "inference",
        protocol: str,
        inputs: Any,
        outputs: Any,
        latency_ms: float,
        status: str = "ok",
        error: str | None = None,
        explanation: Any = None,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """Queue one record if the request is sampled; False when skipped or dropped."""
        if not sampled(request_id, self.sample_rate):
            return False
        record: dict[str, Any] = {
            "id": request_id,
            "time": now_iso(),
            "type": record_type,
            "model": self.model,
            "version": self.version,
            "digest": self.digest,
            "environment": self.environment,
            "protocol": protocol,
            "status": status,
            "latency_ms": round(latency_ms, 3),
            "input": inputs,
            "output": outputs,
        }
        if error is not None:
            record["error"] = error
        if explanation is not None:
            record["explanation"] = explanation
        if extra:
            record.update(extra)
        if len(self._buffer) >= self.queue_size:
            LOG_DROPPED.labels(self.model, "queue_full").inc()
            return False
        self._buffer.append(record)
        return True

    def _mask(self, record: dict[str, Any]) -> dict[str, Any]:
        for key in ("input", "output", "explanation"):
            if key in record:
                record[key] = self.masker(record[key])
        return record

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            self._flush()
        self._flush()

    def _flush(self) -> None:
        batch: list[dict[str, Any]] = []
        while self._buffer:
            batch.append(self._buffer.popleft())
            if len(batch) == 1000:
                self._write([self._mask(record) for record in batch])
                batch = []
        if batch:
            self._write([self._mask(record) for record in batch])

    def _write(self, batch: list[dict[str, Any]]) -> None:
        try:
            self.sink.write(batch)
        except Exception as error:  # a failing sink must not stop serving
            log.warning("request log: %d records lost: %s", len(batch), error)
            LOG_DROPPED.labels(self.model, "sink_error").inc(len(batch))
            return
        LOG_WRITTEN.labels(self.model).inc(len(batch))

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered, then close the sink."""
        self._stop.set()
        self._thread.join(timeout)
        self.sink.close()
