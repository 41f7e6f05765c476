"""Per-request logging (Zwiesler 2.4): model metadata, input, output, latency and, where
required, an explanation, for every sampled request.

Two durability modes (`DURABILITY`):
- `sync`: the record is masked and handed to the sink before `log()` returns, so before the
  predictor answers. A JSONL line is flushed to the operating system and a SQLite row committed
  (WAL, synchronous=NORMAL): an answered request survives the predictor being killed (SIGKILL),
  not a power loss of the node. With an HTTP collector every answer waits for its POST.
- `buffered`: the request path appends to a bounded buffer; a background thread wakes every
  `flush_interval` seconds and writes one batch. What was answered in the last interval is lost
  if the process is killed; a slow collector costs records (counted in
  `mlops_request_log_records_dropped`), never latency. Explanations are computed when records
are written, over the whole batch at once: off the request path in `buffered` mode.
Each record's `id` is assigned by the server; a caller's own id is kept as `client_id`, cut to
`MAX_CLIENT_ID` printable characters. Sampling is decided by a hash of the id, so the primary and
its shadow record keep or skip the same requests.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
import zlib
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from mlops.errors import BadInputError
from mlops.serving.masking import Masker
from mlops.serving.metrics import LOG_DROPPED, LOG_WRITTEN
from mlops.serving.sinks import Sink

log = logging.getLogger(__name__)

PENDING = "_explain"  # a record's input frame, until its explanation is computed
MAX_ERROR_CHARS = 1000
DURABILITY = ("sync", "buffered")
MAX_CLIENT_ID = 128


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_request_id() -> str:
    return uuid.uuid4().hex


def client_id(value: str | bytes | None) -> str | None:
    """A caller-supplied request id as a bounded field: printable ASCII, at most MAX_CLIENT_ID
    characters (anything else becomes `?`); None when absent or empty."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    kept = "".join(c if " " <= c <= "~" else "?" for c in text[:MAX_CLIENT_ID])
    return kept or None


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
        durability: Literal["sync", "buffered"] = "buffered",
        explainer: Callable[[Any], list[Any]] | None = None,
    ) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise BadInputError(f"sample rate: {sample_rate} is not between 0 and 1")
        if durability not in DURABILITY:
            raise BadInputError(
                f"request-log durability: {durability!r}; allowed: {', '.join(DURABILITY)}"
            )
        self.durability = durability
        self.sink = sink
        self.model, self.version, self.digest = model, version, digest
        self.environment = environment
        self.sample_rate = sample_rate
        self.masker = masker or Masker()
        self.queue_size = queue_size
        self.flush_interval = flush_interval
        self.explainer = explainer
        self._buffer: deque[dict[str, Any]] = deque()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        if durability == "buffered":
            self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
            self._thread.start()

    def keeps(self, request_id: str) -> bool:
        """Whether this request's records are sampled (decided by the id alone)."""
        return sampled(request_id, self.sample_rate)

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
        client: str | None = None,
        explain: Any = None,
    ) -> bool:
        """Write (sync) or queue (buffered) one record if the request is sampled; False when
        skipped or lost."""
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
        if client is not None:
            record["client_id"] = client
        if error is not None:
            record["error"] = error
        if explanation is not None:
            record["explanation"] = explanation
        if extra:
            record.update(extra)
        if explain is not None and self.explainer is not None:
            record[PENDING] = explain
        if self._thread is None:
            with self._lock:
                return self._write([self._mask(record) for record in self._explain([record])])
        if len(self._buffer) >= self.queue_size:
            LOG_DROPPED.labels(self.model, "queue_full").inc()
            return False
        self._buffer.append(record)
        return True

    def _explain(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Explanations of the records that asked for one, in one call over all their rows
        (per-call overhead dominates a one-row explanation; batched it costs a fifth); a
        failing explainer is recorded on each record, never loses it."""
        waiting = [record for record in batch if PENDING in record]
        if not waiting or self.explainer is None:
            return batch
        frames = [record.pop(PENDING) for record in waiting]
        try:
            import pandas as pd

            explained = self.explainer(pd.concat(frames, ignore_index=True))
        except Exception as error:
            failure = {"error": f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]}
            for record in waiting:
                record["explanation"] = failure
            return batch
        start = 0
        for record, frame in zip(waiting, frames, strict=True):
            record["explanation"] = explained[start : start + len(frame)]
            start += len(frame)
        return batch

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
                self._write([self._mask(record) for record in self._explain(batch)])
                batch = []
        if batch:
            self._write([self._mask(record) for record in self._explain(batch)])

    def _write(self, batch: list[dict[str, Any]]) -> bool:
        batch = self._writable(batch)
        if not batch:
            return False
        try:
            self.sink.write(batch)
        except Exception as error:  # a failing sink must not stop serving
            log.warning("request log: %d records lost: %s", len(batch), error)
            LOG_DROPPED.labels(self.model, "sink_error").inc(len(batch))
            return False
        LOG_WRITTEN.labels(self.model).inc(len(batch))
        return True

    def _writable(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records JSON can hold: one a model answered with NaN or infinity is dropped and
        counted, not the whole batch the sink would refuse with it."""
        kept = []
        for record in batch:
            try:
                json.dumps(record, allow_nan=False, default=str)
            except ValueError as error:
                log.warning("request log: record %s lost: %s", record.get("id"), error)
                LOG_DROPPED.labels(self.model, "not_json").inc()
                continue
            kept.append(record)
        return kept

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered, then close the sink."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self.sink.close()
