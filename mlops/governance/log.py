"""The evidence log: append-only, hash-chained, with Ed25519-signed checkpoints.

Storage is SQLite by default (WAL, synchronous=FULL, so an acknowledged append survives a killed
writer) and PostgreSQL when given a `postgresql://` URL; the SQL is the same. Appends hold the
database's single writer lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL advisory transaction lock),
so concurrent writers in many processes still produce one linear chain.

Tamper evidence, in layers:
- entry n's hash covers its canonical content and entry n-1's hash: an edited byte, a deleted or
  reordered entry breaks the chain at a named sequence number;
- every append transaction ends with a signed checkpoint (log id, head seq, head hash): a
  truncated or rewritten tail no longer matches a checkpoint the key holder signed;
- checkpoints kept outside the database (by auditors, in bundles) are "anchors": a log that was
  truncated together with its checkpoints still fails against an anchor;
- triggers refuse UPDATE and DELETE, so an accident cannot rewrite evidence (an attacker with
  file access can drop them: that is what the hashes are for).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

from mlops.errors import BadInputError, CheckFailedError
from mlops.governance import keys
from mlops.governance.db import Db, DbUrl
from mlops.governance.entry import (
    GENESIS_HASH,
    Entry,
    Subject,
    canonical_json,
    check_fields,
    content_bytes,
    entry_hash,
    now_text,
    time_text,
    value_text,
)

COLUMNS = (
    "seq, time, kind, model, version, environment, run, commit_id, name, value, unit, source, "
    "artifacts, prev_hash, hash"
)
_INSERT_ENTRY = f"INSERT INTO audit_entries ({COLUMNS}) VALUES ({', '.join('?' * 15)})"  # noqa: S608
MAX_BATCH = 10_000
MAX_PROBLEMS = 50

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_entries (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, "
    "kind TEXT NOT NULL, model TEXT, version TEXT, environment TEXT, run TEXT, commit_id TEXT, "
    "name TEXT NOT NULL, value TEXT NOT NULL, unit TEXT, source TEXT NOT NULL, "
    "artifacts TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_entries_by_model ON audit_entries (model, version)",
    "CREATE INDEX IF NOT EXISTS audit_entries_by_name ON audit_entries (name)",
    "CREATE INDEX IF NOT EXISTS audit_entries_by_time ON audit_entries (time)",
    "CREATE TABLE IF NOT EXISTS audit_checkpoints (seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, "
    "time TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL)",
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


class Checkpoint(BaseModel):
    """A signed statement "log L had head hash H at sequence number S"; kept by auditors as anchors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_id: str
    seq: int
    hash: str
    time: str
    key_id: str
    signature: str

    def payload(self) -> bytes:
        """The canonical bytes that are signed."""
        return canonical_json(
            {
                "hash": self.hash,
                "key_id": self.key_id,
                "log_id": self.log_id,
                "seq": self.seq,
                "time": self.time,
            }
        ).encode()

    def valid_for(self, key: Ed25519PublicKey) -> bool:
        """True when the signature is valid for key (and key is the one named)."""
        return keys.key_id(key) == self.key_id and keys.signature_valid(
            key, self.payload(), self.signature
        )


@dataclass(frozen=True)
class Problem:
    """One finding of `verify`: where (sequence number, or None for the log as a whole) and what."""

    seq: int | None
    message: str


@dataclass
class VerifyResult:
    """Outcome of `verify`: intact when there are no problems; the first problem names where."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    checkpoints: int = 0
    signatures_checked: int = 0
    key_trusted: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        return self.problems[0].seq if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpoints": self.checkpoints,
            "signatures_checked": self.signatures_checked,
            "key_trusted": self.key_trusted,
            "first_bad_seq": self.first_bad_seq,
            "problems": [{"seq": p.seq, "message": p.message} for p in self.problems],
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class NewEntry:
    """What an auditee submits; the log adds seq, time, prev_hash and hash."""

    subject: Subject
    name: str
    value: Any
    unit: str | None = None
    source: str = ""
    artifacts: dict[str, str] | None = None
    kind: str = "measurement"


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


class EvidenceLog:
    """An open evidence log. Thread-safe (one lock around the connection); one per process is plenty."""

    def __init__(self, db: str, signing_key: Ed25519PrivateKey | None = None) -> None:
        self.url = DbUrl.parse(db)
        self._db = Db(self.url)
        self._lock = threading.Lock()
        self._key = signing_key
        self._key_id = keys.key_id(signing_key.public_key()) if signing_key else None
        self._init_schema()
        self.log_id = self._meta("log_id") or ""

    @classmethod
    def open(cls, db: str, key_file: Path | None = None) -> EvidenceLog:
        """Open (creating if needed) with the signing key resolved as in `keys.resolve_signing_key`."""
        url = DbUrl.parse(db)
        sidecar = url.path.with_name(url.path.name + ".key.pem") if url.path else None
        return cls(db, keys.resolve_signing_key(key_file, sidecar))

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
                for statement in _SCHEMA:
                    db.execute(statement)
                for statement in _SQLITE_GUARDS if db.dialect == "sqlite" else _POSTGRES_GUARDS:
                    db.execute(statement)
                insert = "INSERT INTO audit_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING"
                db.execute(insert, ("log_id", str(uuid.uuid4())))
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

    def known_keys(self) -> dict[str, Ed25519PublicKey]:
        """Public keys recorded in the log itself (not trusted on their own: an auditor passes one)."""
        with self._lock:
            rows = self._db.all("SELECT key, value FROM audit_meta WHERE key LIKE 'key:%'")
        return {k.removeprefix("key:"): keys.public_from_b64(v) for k, v in rows}

    def append(
        self,
        subject: Subject,
        name: str,
        value: Any,
        unit: str | None = None,
        source: str = "",
        artifacts: dict[str, str] | None = None,
        *,
        kind: str = "measurement",
    ) -> Entry:
        """Append one entry; returns it once it is durably committed (it is then acknowledged)."""
        return self.append_many([NewEntry(subject, name, value, unit, source, artifacts, kind)])[0]

    def append_many(self, items: Iterable[NewEntry]) -> list[Entry]:
        """Append entries in order in one transaction with one checkpoint: all or nothing."""
        prepared = []
        for item in items:
            artifacts = check_fields(item.kind, item.name, item.unit, item.source, item.artifacts)
            if not isinstance(item.subject, Subject):
                raise BadInputError("subject: must be a Subject")
            prepared.append((item, value_text(item.value), canonical_json(artifacts), artifacts))
        if not prepared:
            return []
        if len(prepared) > MAX_BATCH:
            raise BadInputError(f"batch: {len(prepared)} entries; allowed: at most {MAX_BATCH}")
        db = self._db
        with self._lock:
            db.begin_write()
            try:
                head = db.one("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
                seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
                time = now_text()
                rows, entries = [], []
                for item, value_json, artifacts_json, artifacts in prepared:
                    seq += 1
                    subj = item.subject
                    subject_tuple = (
                        subj.model,
                        subj.version,
                        subj.environment,
                        subj.run,
                        subj.commit,
                    )
                    digest = entry_hash(
                        content_bytes(
                            seq, time, item.kind, subject_tuple, item.name, value_json,
                            item.unit, item.source, artifacts_json, prev,
                        )
                    )  # fmt: skip
                    rows.append(
                        (seq, time, item.kind, *subject_tuple, item.name, value_json,
                         item.unit, item.source, artifacts_json, prev, digest)
                    )  # fmt: skip
                    entries.append(
                        Entry(
                            seq=seq, time=time, kind=item.kind, subject=subj, name=item.name,
                            value=json.loads(value_json), unit=item.unit, source=item.source,
                            artifacts=artifacts, prev_hash=prev, hash=digest,
                        )
                    )  # fmt: skip
                    prev = digest
                db.executemany(
                    _INSERT_ENTRY,
                    rows,
                )
                self._write_checkpoint(seq, prev, time)
                db.commit()
            except Exception:
                db.rollback()
                raise
        return entries

    def _write_checkpoint(self, seq: int, head_hash: str, time: str) -> None:
        if self._key is None or self._key_id is None:
            return
        checkpoint = Checkpoint(
            log_id=self.log_id, seq=seq, hash=head_hash, time=time, key_id=self._key_id,
            signature="",
        )  # fmt: skip
        signature = keys.sign(self._key, checkpoint.payload())
        self._db.execute(
            "INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) "
            "VALUES (?, ?, ?, ?, ?)",
            (seq, head_hash, time, self._key_id, signature),
        )

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest signed checkpoint: what an auditor keeps as an anchor."""
        with self._lock:
            row = self._db.one(
                "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints "
                "ORDER BY seq DESC LIMIT 1"
            )
        if row is None:
            return None
        return Checkpoint(
            log_id=self.log_id, seq=row[0], hash=row[1], time=row[2], key_id=row[3],
            signature=row[4],
        )  # fmt: skip

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
        where, params = ["seq > ?"], [after_seq]
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
        """Recompute the whole chain and check it against the stored checkpoints and any anchors.

        public_key: the key the auditor trusts; without it the keys recorded in the log are used
        (detects tampering by anyone without the signing key's holder's cooperation only if the
        log's key record is itself untouched, so `key_trusted` is reported False).
        Signatures: the newest checkpoint and every anchor always; all when `all_signatures`.
        """
        result = VerifyResult(key_trusted=public_key is not None)
        with self._lock:
            checkpoints = self._db.all(
                "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq"
            )
            log_id = self._meta("log_id") or ""
            rows = self._db.stream(f"SELECT {COLUMNS} FROM audit_entries ORDER BY seq")  # noqa: S608
            expected_at: dict[int, set[str]] = {}
            for row in checkpoints:
                expected_at.setdefault(int(row[0]), set()).add(str(row[1]))
            for anchor in anchors:
                if anchor.log_id == log_id:
                    expected_at.setdefault(anchor.seq, set()).add(anchor.hash)
            self._verify_chain(rows, expected_at, result)
        self._verify_checkpoints(
            checkpoints, log_id, public_key, anchors, all_signatures, expected_at, result
        )
        return result

    @staticmethod
    def _verify_chain(
        rows: Iterable[Sequence[Any]], expected_at: dict[int, set[str]], result: VerifyResult
    ) -> None:
        problems = result.problems
        prev, expected_seq, count = GENESIS_HASH, 1, 0
        for row in rows:
            count += 1
            seq, stored_prev, stored_hash = row[0], row[13], row[14]
            if seq != expected_seq and len(problems) < MAX_PROBLEMS:
                if isinstance(seq, int) and seq > expected_seq:
                    missing = (
                        f"{expected_seq}"
                        if seq == expected_seq + 1
                        else f"{expected_seq}-{seq - 1}"
                    )
                    problems.append(
                        Problem(
                            expected_seq,
                            f"entry {missing} missing (deleted?); next stored is {seq}",
                        )
                    )
                else:
                    problems.append(
                        Problem(
                            expected_seq, f"entry {expected_seq}: stored sequence number is {seq!r}"
                        )
                    )
            recomputed = entry_hash(
                content_bytes(seq, row[1], row[2], row[3:8], row[8], row[9], row[10], row[11], row[12], stored_prev)
            )  # fmt: skip
            if stored_prev != prev and len(problems) < MAX_PROBLEMS:
                problems.append(
                    Problem(seq, f"entry {seq}: previous-hash link does not match entry {seq - 1} "
                            "(entries deleted, reordered or edited)")
                )  # fmt: skip
            if recomputed != stored_hash and len(problems) < MAX_PROBLEMS:
                problems.append(
                    Problem(seq, f"entry {seq}: content does not match its stored hash (edited)")
                )
            if (
                seq in expected_at
                and expected_at[seq] != {stored_hash}
                and len(problems) < MAX_PROBLEMS
            ):
                problems.append(
                    Problem(seq, f"entry {seq}: differs from the signed checkpoint at {seq} "
                            "(tail rewritten)")
                )  # fmt: skip
            prev = stored_hash
            expected_seq = (seq if isinstance(seq, int) else expected_seq) + 1
        result.entries = count
        result.head_seq = expected_seq - 1
        result.head_hash = prev

    def _verify_checkpoints(
        self,
        checkpoints: list[tuple[Any, ...]],
        log_id: str,
        public_key: Ed25519PublicKey | None,
        anchors: Sequence[Checkpoint],
        all_signatures: bool,
        expected_at: dict[int, set[str]],
        result: VerifyResult,
    ) -> None:
        result.checkpoints = len(checkpoints)
        trusted = {keys.key_id(public_key): public_key} if public_key else self.known_keys()
        stored = [
            Checkpoint(log_id=log_id, seq=r[0], hash=r[1], time=r[2], key_id=r[3], signature=r[4])
            for r in checkpoints
        ]
        to_check = stored if all_signatures else stored[-1:]
        for checkpoint in [*to_check, *anchors]:
            result.signatures_checked += 1
            key = trusted.get(checkpoint.key_id)
            if checkpoint.log_id != log_id:
                result.problems.append(
                    Problem(None, f"anchor at {checkpoint.seq} belongs to log {checkpoint.log_id}, "
                            f"not to this log ({log_id})")
                )  # fmt: skip
            elif key is None or not checkpoint.valid_for(key):
                result.problems.append(
                    Problem(checkpoint.seq, f"checkpoint at {checkpoint.seq}: signature invalid for "
                            f"the trusted key (log id {checkpoint.log_id}, key {checkpoint.key_id})")
                )  # fmt: skip
        for seq in sorted(expected_at):
            if seq > result.head_seq:
                result.problems.append(
                    Problem(result.head_seq + 1, f"log truncated: a signed checkpoint covers entry "
                            f"{seq} but the log ends at entry {result.head_seq}")
                )  # fmt: skip
                break
        if not checkpoints:
            result.warnings.append(
                "no signed checkpoints: a truncated tail cannot be detected without an anchor"
            )
        elif stored[-1].seq != result.head_seq and result.ok:
            result.warnings.append(
                f"entries after the newest checkpoint ({stored[-1].seq}) are not covered by a signature"
            )
