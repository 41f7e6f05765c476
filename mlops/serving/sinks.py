"""Where request-log records go: a JSONL file or SQLite locally (embedded mode), CloudEvents over
HTTP to a collector in the cluster. Sinks take batches; the RequestLogger's background thread
calls them, never the request path.

URLs (`sink_from_url`): `s3://BUCKET/PREFIX` (the platform's object store: one object of JSON
lines per batch under `PREFIX/<model>/<date>/`; the clusters' durable sink, configured from the
stack), `sqlite:///PATH`, `file:///PATH.jsonl` or a plain path (JSONL),
`http(s)://COLLECTOR` (CloudEvents in batched content mode, one POST per batch), the same with
`?ce-mode=structured` (one structured-mode POST per event, for receivers without batch support
such as a Knative broker), `none` (logging off).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from mlops.config.environment import STORE_KEYS_DIR
from mlops.errors import BadInputError
from mlops.files import create_private, open_private
from mlops.inputs import MAX_TABLE_BYTES, check_file, iter_jsonl, parse_json, read_text
from mlops.objectstore.location import Location

CLOUDEVENT_TYPE = "org.mlops-platform.serving.request-log.v1"
CLOUDEVENT_BATCH = "application/cloudevents-batch+json"
CLOUDEVENT_STRUCTURED = "application/cloudevents+json"
STRUCTURED_QUERY = "ce-mode=structured"
ALLOWED_S3 = "s3://BUCKET/PREFIX"


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


def s3_client() -> Any:
    """A boto3 S3 client as the pod has it: region, keys and endpoint from the environment
    (`AWS_ENDPOINT_URL` for the in-cluster store, path-style; IRSA on S3), or the keys from
    the files of `MLOPS_STORE_KEYS_DIR` (a Secret mounted as files, which a process listing
    does not show) where the environment has none."""
    import os

    import boto3
    from boto3.session import Config

    style = "path" if os.environ.get("AWS_ENDPOINT_URL") else "auto"
    return boto3.client(
        "s3",
        config=Config(s3={"addressing_style": style}, retries={"max_attempts": 3}),
        **_mounted_keys(),
    )


def _mounted_keys() -> dict[str, str]:
    import os

    from mlops.config.object_store import ACCESS_KEY, SECRET_KEY

    directory = STORE_KEYS_DIR.get()
    if directory is None or os.environ.get(ACCESS_KEY):
        return {}
    access, secret = (read_text(directory / name, 4096, "store key file").strip()
                      for name in (ACCESS_KEY, SECRET_KEY))  # fmt: skip
    if not access or not secret:
        raise BadInputError(f"{STORE_KEYS_DIR.name}={directory}: an empty key file")
    return {"aws_access_key_id": access, "aws_secret_access_key": secret}


class S3Sink:
    """Each batch becomes one object of JSON lines, `PREFIX/<model>/<YYYY-MM-DD>/<time>-<id>.jsonl`
    (never overwritten: the name is unique; the predictor may only put objects). A failed put
    raises, and the logger counts the batch as lost."""

    def __init__(self, url: str, client: Any | None = None) -> None:
        location = Location.parse(url, "request log", ALLOWED_S3)
        self.bucket, self.prefix = location.bucket, location.prefix
        self._client = client or s3_client()

    def key(self, records: list[dict[str, Any]]) -> str:
        first = records[0]
        stamp = str(first["time"])  # ISO 8601, UTC
        day, clock = stamp[:10], stamp[11:].replace(":", "").rstrip("Z")
        name = f"{first['model']}/{day}/{clock}-{uuid.uuid4().hex[:12]}.jsonl"
        return f"{self.prefix}/{name}" if self.prefix else name

    def write(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        body = "".join(_dumps(record) + "\n" for record in records).encode("utf-8")
        self._client.put_object(
            Bucket=self.bucket, Key=self.key(records), Body=body, ContentType="application/x-ndjson"
        )

    def close(self) -> None:
        """Nothing is held open between batches."""


def read_s3_records(url: str, client: Any | None = None) -> list[dict[str, Any]]:
    """Every record under an `s3://` request-log prefix, oldest object first (names sort by
    model, day and time)."""
    location = Location.parse(url, "request log", ALLOWED_S3)
    s3: Any = s3_client() if client is None else client  # Any: boto3 ships no types
    records: list[dict[str, Any]] = []
    try:
        for key in sorted(location.object_keys(s3)):
            text = s3.get_object(Bucket=location.bucket, Key=key)["Body"].read().decode("utf-8")
            records += [
                _record(line, f"s3://{location.bucket}/{key}: line {n}")
                for n, line in enumerate(text.splitlines(), 1)
                if line.strip()
            ]
    except BadInputError:
        raise
    except Exception as error:  # botocore's many kinds: refused, unreachable, no credentials
        raise BadInputError(f"{url}: cannot read the request log: {error}") from None
    return records


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
    if url.startswith("s3://"):
        return S3Sink(url)
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        query = [q for q in parts.query.split("&") if q and q != STRUCTURED_QUERY]
        target = urlunsplit(parts._replace(query="&".join(query)))
        return CloudEventSink(target, batch=STRUCTURED_QUERY not in parts.query.split("&"))
    if url.startswith("file://"):
        return JsonlSink(Path(url.removeprefix("file://")))
    if "://" in url:
        raise BadInputError(
            f"{url}: unknown request-log sink; allowed: s3://BUCKET/PREFIX, sqlite:///PATH, "
            "file:///PATH.jsonl, PATH.jsonl, http(s)://COLLECTOR, none"
        )
    return JsonlSink(Path(url))


def _record(text: str, source: str) -> dict[str, Any]:
    record = parse_json(text, source)
    if not isinstance(record, dict):
        raise BadInputError(f"{source}: a {type(record).__name__}; allowed: a JSON object")
    return record


def read_records(url: str, record_type: str | None = "inference") -> list[dict[str, Any]]:
    """Read back what a sink holds (s3://, JSONL or SQLite), oldest first; monitoring jobs use
    this. CloudEvents collectors are read by their own tools."""
    if url.startswith("s3://"):
        return [
            record
            for record in read_s3_records(url)
            if record_type is None or record.get("type") == record_type
        ]
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
        raise BadInputError(
            f"{url}: cannot read this sink; allowed: s3://BUCKET/PREFIX, sqlite:///PATH, PATH.jsonl"
        )
    return [
        record
        for _, record in iter_jsonl(path)
        if record_type is None or record.get("type") == record_type
    ]
