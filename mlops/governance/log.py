"""The evidence log: append-only, hash-chained, with Ed25519-signed checkpoints.

Storage is SQLite by default (WAL, synchronous=FULL, so an acknowledged append survives a killed
writer) and PostgreSQL when given a `postgresql://` URL; the SQL is the same. Appends hold the
database's single writer lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL advisory transaction lock),
so concurrent writers in many processes still produce one linear chain.

Tamper evidence, in layers:
- entry n's hash covers its canonical content and entry n-1's hash: an edited byte, a deleted or
  reordered entry breaks the chain at a named sequence number;
- every append transaction ends with a signed checkpoint (log id, head seq, head hash, and the
  digest of the checkpoint before it): a truncated or rewritten tail no longer matches a
  checkpoint the key holder signed, and a deleted checkpoint breaks the checkpoints' own chain;
- checkpoints kept outside the database (witnessed in the repository with every promotion, kept
  by auditors, in bundles) are "anchors": a log that its operator truncated or rewrote together
  with its checkpoints still fails against an anchor;
- triggers refuse UPDATE and DELETE, so an accident cannot rewrite evidence (an attacker with
  file access can drop them: that is what the hashes are for).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import TypeAdapter

from mlops.errors import BadInputError, CheckFailedError
from mlops.governance import keys
from mlops.governance.chain import ENTRY_COLUMNS as COLUMNS
from mlops.governance.chain import content_bytes, json_value
from mlops.governance.checkpoint import Checkpoint
from mlops.governance.db import Db, DbUrl
from mlops.governance.entry import (
    GENESIS_HASH,
    SCHEME_JCS,
    SCHEME_LEGACY,
    Entry,
    Subject,
    canonical_json,
    check_artifacts,
    check_fields,
    check_subject,
    now_text,
    time_text,
    value_text,
)
from mlops.governance.kinds import Kind
from mlops.governance.verify import VerifyResult, verify_db

_INSERT_ENTRY = f"INSERT INTO audit_entries ({COLUMNS}) VALUES ({', '.join('?' * 15)})"  # noqa: S608
MAX_BATCH = 10_000
_ENTRIES = TypeAdapter(list[Entry])

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_entries (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, "
    "kind TEXT NOT NULL, model TEXT, version TEXT, environment TEXT, run TEXT, commit_id TEXT, "
    "name TEXT NOT NULL, value TEXT NOT NULL, unit TEXT, source TEXT NOT NULL, "
    "artifacts TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_entries_by_model ON audit_entries (model, version)",
    "CREATE INDEX IF NOT EXISTS audit_entries_by_name ON audit_entries (name)",
    "CREATE INDEX IF NOT EXISTS audit_entries_by_time ON audit_entries (time)",
    # The certificate registry reads the entries of a kind after the last one it folded in,
    # under the writer lock of every append: without this index, a scan of the whole log.
    "CREATE INDEX IF NOT EXISTS audit_entries_by_kind ON audit_entries (kind, seq)",
    "CREATE TABLE IF NOT EXISTS audit_checkpoints (seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, "
    "time TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL, prev TEXT)",
    # Idempotency keys of appends: a retried request returns what the first one stored.
    "CREATE TABLE IF NOT EXISTS audit_requests (key TEXT PRIMARY KEY, digest TEXT NOT NULL, "
    "first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL)",
)
_SQLITE_GUARDS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END"
    for table in ("audit_entries", "audit_checkpoints", "audit_meta")
    for op in ("UPDATE", "DELETE")
)
_POSTGRES_GUARDS = (
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the evidence log is append-only'; END $$",
    *(
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        for table in ("audit_entries", "audit_checkpoints", "audit_meta")
    ),
    *(
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        for table in ("audit_entries", "audit_checkpoints", "audit_meta")
    ),
)


_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def _log_exists(db: Db) -> bool:
    """True when the database already holds an evidence log (before this open creates one)."""
    table = (
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_meta'"
        if db.dialect == "sqlite"
        else "SELECT 1 FROM information_schema.tables WHERE table_name = 'audit_meta'"
    )
    return db.one(table) is not None


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection while a batch is appended: it makes tens of thousands of
    short-lived objects, none in a reference cycle (tuples, dicts, entries), and the collector's
    passes over them (and over everything older, at a full collection) took about a fifth of a
    batch's time. Reference counting still frees them; the collector runs again afterwards (if
    it ran before: a process that switched it off keeps it off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _member(key: tuple[Any, ...], seen: set | dict) -> bool:
    """key in seen; False when a field cannot be a key (the full check then names it)."""
    try:
        return key in seen
    except TypeError:
        return False


def _request_digest(prepared: Sequence[tuple[NewEntry, str, str, dict]]) -> str:
    """What identifies a request for its idempotency key: every submitted field, in order.

    Every item is text or null, checked to be valid Unicode, so `json.dumps` gives the RFC 8785
    form byte for byte (at C speed, where the library takes microseconds per string).
    """
    content = [
        [i.kind, *i.subject.as_dict().values(), i.name, value, i.unit, i.source, artifacts]
        for i, value, artifacts, _ in prepared
    ]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class NewEntry(NamedTuple):
    """What an auditee submits; the log adds seq, time, prev_hash and hash. (A named tuple:
    immutable, and made in a third of the time a frozen dataclass takes, per entry of a batch.)"""

    subject: Subject
    name: str
    value: Any
    unit: str | None = None
    source: str = ""
    artifacts: dict[str, str] | None = None
    kind: Kind = "measurement"


def _row_to_entry(row: Sequence[Any]) -> Entry:
    seq = row[0]
    try:
        value = json.loads(row[9])
        artifacts = json.loads(row[12])
    except (TypeError, ValueError):
        raise CheckFailedError(
            f"entry {seq}: stored value or artifacts are not JSON; the log was tampered with "
            "(run `mlops audit verify`)"
        ) from None
    return Entry(
        seq=seq,
        time=row[1],
        kind=row[2],
        subject=Subject(
            model=row[3], version=row[4], environment=row[5], run=row[6], commit=row[7]
        ),
        name=row[8],
        value=value,
        unit=row[10],
        source=row[11],
        artifacts=artifacts,
        prev_hash=row[13],
        hash=row[14],
    )


FollowUp = Callable[[list["Entry"]], list["NewEntry"]]


class EvidenceLog:
    """An open evidence log. Thread-safe (one lock around the connection); one per process is plenty."""

    def __init__(
        self,
        db: str,
        signing_key: Ed25519PrivateKey | None = None,
        read_only: bool = False,
        wal_thread: bool = False,
    ) -> None:
        """read_only: an existing log, opened so that nothing can be written (readers, auditors).
        wal_thread: SQLite WAL checkpoints off the commit path (a server; see `Db`)."""
        self.url = DbUrl.parse(db)
        self._db = Db(self.url, read_only=read_only, wal_thread=wal_thread)
        self._lock = threading.RLock()
        self._key = signing_key
        self._key_id = keys.key_id(signing_key.public_key()) if signing_key else None
        if not read_only:
            self._init_schema()
        elif not _log_exists(self._db):
            self._db.close()
            raise BadInputError(f"{db}: not an evidence log (no audit tables)")
        self.log_id = self._meta("log_id") or ""
        self.scheme = self._meta("hash_scheme") or SCHEME_LEGACY

    @classmethod
    def open(cls, db: str, key_file: Path | None = None, wal_thread: bool = False) -> EvidenceLog:
        """Open (creating if needed) with the signing key resolved as in `keys.resolve_signing_key`."""
        url = DbUrl.parse(db)
        sidecar = url.path.with_name(url.path.name + ".key.pem") if url.path else None
        return cls(db, keys.resolve_signing_key(key_file, sidecar), wal_thread=wal_thread)

    def __enter__(self) -> EvidenceLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def signing_key(self) -> Ed25519PrivateKey | None:
        return self._key

    @property
    def public_key(self) -> Ed25519PublicKey | None:
        return self._key.public_key() if self._key else None

    def _init_schema(self) -> None:
        db = self._db
        with self._lock:
            db.begin_write()
            try:
                existing = _log_exists(db)
                for statement in _SCHEMA:
                    db.execute(statement)
                for statement in _SQLITE_GUARDS if db.dialect == "sqlite" else _POSTGRES_GUARDS:
                    db.execute(statement)
                insert = "INSERT INTO audit_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING"
                db.execute(insert, ("log_id", str(uuid.uuid4())))
                # A log made before the scheme was recorded keeps the legacy scheme for good.
                db.execute(insert, ("hash_scheme", SCHEME_LEGACY if existing else SCHEME_JCS))
                if self._key is not None:
                    db.execute(
                        insert, (f"key:{self._key_id}", keys.public_b64(self._key.public_key()))
                    )
                db.commit()
            except Exception:
                db.rollback()
                raise

    def _meta(self, key: str) -> str | None:
        row = self._db.one("SELECT value FROM audit_meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def append(
        self,
        subject: Subject,
        name: str,
        value: Any,
        unit: str | None = None,
        source: str = "",
        artifacts: dict[str, str] | None = None,
        *,
        kind: Kind = "measurement",
    ) -> Entry:
        """Append one entry; returns it once it is durably committed (it is then acknowledged)."""
        return self.append_many([NewEntry(subject, name, value, unit, source, artifacts, kind)])[0]

    def append_many(
        self,
        items: Iterable[NewEntry],
        idempotency_key: str | None = None,
        follow_up: FollowUp | None = None,
    ) -> list[Entry]:
        """Append entries in order in one transaction with one checkpoint: all or nothing.

        idempotency_key: a retry with the same key and the same entries returns what the first
        request stored, writing nothing; the same key with other entries is refused.
        follow_up: called under the writer lock with the new entries; the entries it returns
        (e.g. a certificate's revocation) are appended in the same transaction, so a decision
        taken on the log's state cannot race another writer.
        """
        with _without_cycle_collection():
            return self._append_many(items, idempotency_key, follow_up)

    def _append_many(
        self, items: Iterable[NewEntry], idempotency_key: str | None, follow_up: FollowUp | None
    ) -> list[Entry]:
        prepared = self._prepare(items)
        if not prepared:
            return []
        if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise BadInputError("idempotency key: allowed 1-128 characters of A-Z a-z 0-9 _.:-")
        request = _request_digest(prepared) if idempotency_key is not None else ""
        db = self._db
        with self._lock:
            db.begin_write()
            try:
                if idempotency_key is not None:
                    replayed = self._replay(idempotency_key, request)
                    if replayed is not None:
                        db.rollback()
                        return replayed
                head = db.one("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
                seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
                time = now_text()
                entries = self._insert(prepared, seq, prev, time)
                if idempotency_key is not None:
                    db.execute(
                        "INSERT INTO audit_requests (key, digest, first_seq, last_seq) "
                        "VALUES (?, ?, ?, ?)",
                        (idempotency_key, request, entries[0].seq, entries[-1].seq),
                    )
                last = entries[-1]
                more = self._prepare(follow_up(entries)) if follow_up else []
                if more:
                    last = self._insert(more, last.seq, last.hash, time)[-1]
                self._write_checkpoint(last.seq, last.hash, time)
                db.commit()
            except Exception:
                db.rollback()
                raise
        return entries

    def append_decided(self, decide: Callable[[], list[NewEntry]]) -> list[Entry]:
        """Run `decide` under the writer lock and append what it returns, in one transaction:
        a decision read from the log's state (is this certificate still active?) cannot race
        another writer. An exception from `decide` writes nothing."""
        db = self._db
        with self._lock:
            db.begin_write()
            try:
                prepared = self._prepare(decide())
                if not prepared:
                    db.rollback()
                    return []
                head = db.one("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
                seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
                time = now_text()
                entries = self._insert(prepared, seq, prev, time)
                self._write_checkpoint(entries[-1].seq, entries[-1].hash, time)
                db.commit()
            except Exception:
                db.rollback()
                raise
        return entries

    def locked(self) -> threading.RLock:
        """The log's lock: whoever also holds a lock of its own takes this one first."""
        return self._lock

    def _prepare(self, items: Iterable[NewEntry]) -> list[tuple[NewEntry, str, str, dict]]:
        """Check and canonicalise what is submitted. The entries of a batch mostly repeat their
        name, unit and source and cite the same artifacts (one model, one data set): each
        distinct combination is checked, and each mapping made canonical, once per batch."""
        prepared = []
        checked: set[tuple[Any, ...]] = set()
        canonical: dict[tuple[tuple[str, str], ...], tuple[str, dict]] = {}
        scheme = self.scheme
        for item in items:
            texts = (item.kind, item.name, item.unit, item.source)
            if not _member(texts, checked):
                check_fields(*texts)
                checked.add(texts)
            if type(item.subject) is not Subject and not isinstance(item.subject, Subject):
                raise BadInputError("subject: must be a Subject")
            check_subject(item.subject)
            given = item.artifacts or {}
            cited = tuple(given.items()) if type(given) is dict else ()
            known = canonical.get(cited) if cited and _member(cited, canonical) else None
            if known is None:
                artifacts = check_artifacts(given)
                known = (canonical_json(artifacts, scheme), artifacts)
                if cited:
                    canonical[cited] = known
            prepared.append((item, value_text(item.value, scheme), *known))
        if len(prepared) > MAX_BATCH:
            raise BadInputError(f"batch: {len(prepared)} entries; allowed: at most {MAX_BATCH}")
        return prepared

    def _replay(self, key: str, request: str) -> list[Entry] | None:
        row = self._db.one(
            "SELECT digest, first_seq, last_seq FROM audit_requests WHERE key = ?", (key,)
        )
        if row is None:
            return None
        if row[0] != request:
            raise CheckFailedError(
                f"idempotency key {key!r}: already used for a different request; "
                "allowed: a new key per distinct request"
            )
        rows = self._db.all(
            f"SELECT {COLUMNS} FROM audit_entries WHERE seq BETWEEN ? AND ? ORDER BY seq",  # noqa: S608
            (row[1], row[2]),
        )
        return [_row_to_entry(r) for r in rows]

    def _insert(
        self, prepared: list[tuple[NewEntry, str, str, dict]], seq: int, prev: str, time: str
    ) -> list[Entry]:
        rows, fields = [], []
        sha256 = hashlib.sha256
        for item, value_json, artifacts_json, artifacts in prepared:
            seq += 1
            s, kind, name, unit, source = item.subject, item.kind, item.name, item.unit, item.source
            subject = (s.model, s.version, s.environment, s.run, s.commit)
            digest = sha256(
                content_bytes(seq, time, kind, subject, name, value_json, unit, source, artifacts_json, prev)
            ).hexdigest()  # fmt: skip
            rows.append(
                (seq, time, kind, *subject, name, value_json, unit, source, artifacts_json, prev, digest)
            )  # fmt: skip
            fields.append({
                "seq": seq, "time": time, "kind": kind, "subject": s, "name": name,
                "value": json_value(value_json), "unit": unit, "source": source,
                "artifacts": artifacts, "prev_hash": prev, "hash": digest,
            })  # fmt: skip
            prev = digest
        self._db.executemany(_INSERT_ENTRY, rows)
        # One call for the batch; strict: every field already has its exact type.
        return _ENTRIES.validate_python(fields, strict=True)

    def _write_checkpoint(self, seq: int, head_hash: str, time: str) -> None:
        if self._key is None or self._key_id is None:
            return
        legacy = self.scheme == SCHEME_LEGACY
        previous = None if legacy else self._newest_checkpoint()
        checkpoint = Checkpoint(
            log_id=self.log_id, seq=seq, hash=head_hash, time=time, key_id=self._key_id,
            signature="", scheme=None if legacy else self.scheme,
            prev=None if legacy else (previous.digest() if previous else GENESIS_HASH),
        )  # fmt: skip
        signature = keys.sign(self._key, checkpoint.payload())
        row = (seq, head_hash, time, self._key_id, signature)
        self._db.execute(
            "INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) "
            "VALUES (?, ?, ?, ?, ?)"
            if legacy
            else "INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature, prev) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            row if legacy else (*row, checkpoint.prev),
        )

    def _newest_checkpoint(self) -> Checkpoint | None:
        legacy = self.scheme == SCHEME_LEGACY
        columns = "seq, hash, time, key_id, signature" + ("" if legacy else ", prev")
        row = self._db.one(
            f"SELECT {columns} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"  # noqa: S608
        )
        if row is None:
            return None
        return Checkpoint(
            log_id=self.log_id, seq=row[0], hash=row[1], time=row[2], key_id=row[3],
            signature=row[4], scheme=None if legacy else self.scheme,
            prev=None if legacy else row[5],
        )  # fmt: skip

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest signed checkpoint: what an auditor keeps as an anchor."""
        with self._lock:
            return self._newest_checkpoint()

    def links(self) -> list[tuple[int, str, str]]:
        """(seq, prev_hash, hash) of every entry: the chain proof without the contents."""
        with self._lock:
            rows = self._db.all("SELECT seq, prev_hash, hash FROM audit_entries ORDER BY seq")
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def head(self) -> tuple[int, str]:
        """(sequence number, hash) of the newest entry; (0, genesis) when empty."""
        with self._lock:
            row = self._db.one("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
        return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)

    def query(
        self,
        subject: Subject | None = None,
        name: str | None = None,
        since: str | None = None,
        until: str | None = None,
        *,
        kind: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries matching every filter given, in sequence order. since/until: ISO 8601, inclusive."""
        where: list[str] = ["seq > ?"]
        params: list[int | str] = [after_seq]
        for column, wanted in (subject.as_dict() if subject else {}).items():
            if wanted is not None:
                where.append(f"{'commit_id' if column == 'commit' else column} = ?")
                params.append(wanted)
        if name is not None:
            where.append("name = ?")
            params.append(name)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if since is not None:
            where.append("time >= ?")
            params.append(time_text(since))
        if until is not None:
            where.append("time <= ?")
            params.append(time_text(until))
        sql = f"SELECT {COLUMNS} FROM audit_entries WHERE {' AND '.join(where)} ORDER BY seq"  # noqa: S608 - constant columns, ? params
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.all(sql, params)
        return [_row_to_entry(row) for row in rows]

    def verify(
        self,
        public_key: Ed25519PublicKey | None = None,
        anchors: Sequence[Checkpoint] = (),
        all_signatures: bool = False,
    ) -> VerifyResult:
        """Strict verification (see `mlops.governance.verify`) trusting `public_key`, else the
        public half of this process's own signing key (never a key recorded in the database)."""
        key = public_key or self.public_key
        trusted = {keys.key_id(key): key} if key else {}
        with self._lock:
            return verify_db(self._db, trusted, anchors, all_signatures)
