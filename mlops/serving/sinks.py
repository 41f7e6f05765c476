"""Where request-log records go: a JSONL file or SQLite locally (embedded mode), CloudEvents over
HTTP to a collector in the cluster. Sinks take batches; the RequestLogger's background thread
calls them, never the request path.

URLs (`sink_from_url`): `sqlite:///PATH`, `file:///PATH.jsonl` or a plain path (JSONL),
`http(s)://COLLECTOR` (CloudEvents in batched content mode, one POST per batch), the same with
`?ce-mode=structured` (one structured-mode POST per event, for receivers without batch support
such as a Knative broker), `none` (logging off).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from mlops.errors import BadInputError
from mlops.files import create_private, open_private
from mlops.inputs import MAX_TABLE_BYTES, check_file, iter_jsonl, parse_json

CLOUDEVENT_TYPE = "org.mlops-platform.serving.request-log.v1"
CLOUDEVENT_BATCH = "application/cloudevents-batch+json"
CLOUDEVENT_STRUCTURED = "application/cloudevents+json"
STRUCTURED_QUERY = "ce-mode=structured"


class Sink(Protocol):
    """A destination for request-log records (plain JSON-able dicts)."""

    def write(self, records: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), default=str, allow_nan=False)


class JsonlSink:
    """One JSON object per line, appended; flushed after every batch. The file holds model
    inputs: owner-only (0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open_private(path, "a")

    def write(self, records: list[dict[str, Any]]) -> None:
        self._file.write("".join(_dumps(record) + "\n" for record in records))
        self._file.flush()

    def close(self) -> None:
        self._file.close()


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS request_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    time TEXT NOT NULL,
    type TEXT NOT NULL,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS request_log_model_time ON request_log (model, time);
"""


class SqliteSink:
    """An embedded SQLite table `request_log`: indexed columns plus the whole record as JSON.
    The database holds model inputs: owner-only (0600)."""

    def __init__(self, path: Path) -> None:
        create_private(path)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # a committed row survives the process being killed; fsync per commit would cost ms
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SQLITE_SCHEMA)
        self._lock = threading.Lock()

    def write(self, records: list[dict[str, Any]]) -> None:
        rows = [
            (r["id"], r["time"], r["type"], r["model"], str(r["version"]), _dumps(r))
            for r in records
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO request_log (id, time, type, model, version, record) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CloudEventSink:
    """POSTs each batch as CloudEvents 1.0 in batched content mode to a collector (for example a
    Knative broker or the KServe logger's receiver). Retries a few times, then gives up (the
    logger counts the loss)."""

    def __init__(
        self,
        url: str,
        source: str = "/mlops/serving",
        timeout: float = 5.0,
        retries: int = 3,
        batch: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.batch = batch
        self.source = source
        self.retries = retries
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def event(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": f"{record['id']}:{record['type']}",
            "source": f"{self.source}/models/{record['model']}/versions/{record['version']}",
            "type": CLOUDEVENT_TYPE,
            "subject": record["id"],
            "time": record["time"],
            "datacontenttype": "application/json",
            "data": record,
        }

    def write(self, records: list[dict[str, Any]]) -> None:
        if self.batch:
            body = "[" + ",".join(_dumps(self.event(record)) for record in records) + "]"
            self._post(body, CLOUDEVENT_BATCH)
        else:
            for record in records:
                self._post(_dumps(self.event(record)), CLOUDEVENT_STRUCTURED)

    def _post(self, body: str, content_type: str) -> None:
        for attempt in range(self.retries + 1):
            try:
                response = self._http.post(
                    self.url, content=body, headers={"content-type": content_type}
                )
                if response.status_code < 300:
                    return
                if response.status_code < 500 and response.status_code != 429:
                    raise RuntimeError(
                        f"{self.url}: collector refused: HTTP {response.status_code}"
                    )
            except httpx.HTTPError:
                if attempt == self.retries:
                    raise
            time.sleep(min(0.1 * 2**attempt, 2.0))
        raise RuntimeError(f"{self.url}: collector unavailable after {self.retries + 1} tries")

    def close(self) -> None:
        self._http.close()


def sink_from_url(url: str | None) -> Sink | None:
    """Parse a sink URL (module docstring); `None`, "" or "none" mean request logging off. A
    local sink that cannot be opened is bad input."""
    try:
        return _sink(url)
    except (OSError, sqlite3.Error) as error:
        raise BadInputError(f"{url}: cannot open the request log: {error}") from None


def _sink(url: str | None) -> Sink | None:
    if not url or url == "none":
        return None
    if url.startswith("sqlite:///"):
        return SqliteSink(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        query = [q for q in parts.query.split("&") if q and q != STRUCTURED_QUERY]
        target = urlunsplit(parts._replace(query="&".join(query)))
        return CloudEventSink(target, batch=STRUCTURED_QUERY not in parts.query.split("&"))
    if url.startswith("file://"):
        return JsonlSink(Path(url.removeprefix("file://")))
    if "://" in url:
        raise BadInputError(
            f"{url}: unknown request-log sink; allowed: sqlite:///PATH, file:///PATH.jsonl, "
            "PATH.jsonl, http(s)://COLLECTOR, none"
        )
    return JsonlSink(Path(url))


def _record(text: str, source: str) -> dict[str, Any]:
    record = parse_json(text, source)
    if not isinstance(record, dict):
        raise BadInputError(f"{source}: a {type(record).__name__}; allowed: a JSON object")
    return record


def read_records(url: str, record_type: str | None = "inference") -> list[dict[str, Any]]:
    """Read back what a local sink holds (JSONL or SQLite), oldest first; monitoring jobs use
    this. CloudEvents collectors are read by their own tools."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        check_file(path, MAX_TABLE_BYTES, "request-log database")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            query = "SELECT record FROM request_log"
            rows = (
                db.execute(query + " WHERE type = ? ORDER BY seq", (record_type,))
                if record_type
                else db.execute(query + " ORDER BY seq")
            )
            return [_record(row[0], f"{url}: row {n}") for n, row in enumerate(rows, 1)]
        except sqlite3.DatabaseError as error:
            raise BadInputError(f"{url}: not a request-log database: {error}") from None
        finally:
            db.close()
    path = Path(url.removeprefix("file://"))
    if "://" in url and not url.startswith("file://"):
        raise BadInputError(f"{url}: cannot read this sink; allowed: sqlite:///PATH, PATH.jsonl")
    return [
        record
        for _, record in iter_jsonl(path)
        if record_type is None or record.get("type") == record_type
    ]
