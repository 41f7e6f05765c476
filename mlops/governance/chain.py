"""The hash chain: the canonical bytes an entry's hash covers, and the check of a range of stored
entries against them.

Kept to the standard library and the database layer so that a worker process starts in a
fraction of a second: verification of a long log checks one range of entries per CPU, each in
its own process, and joins the ranges at their boundaries (`mlops.governance.verify`). There is
one check, `check_rows`; a short log is one range, checked in the calling process.

    python -m mlops.governance.chain   # a worker: a job as JSON on stdin, its `Span` on stdout
"""

from __future__ import annotations

import hashlib
import itertools
import json
import json.scanner
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from mlops.governance.db import Db, DbUrl

MAX_PROBLEMS = 50
ENTRY_COLUMNS = (
    "seq, time, kind, model, version, environment, run, commit_id, name, value, unit, source, "
    "artifacts, prev_hash, hash"
)
_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]


def content_bytes(
    seq: int,
    time: str,
    kind: str,
    subject: Sequence[str | None],
    name: str,
    value_json: str,
    unit: str | None,
    source: str,
    artifacts_json: str,
    prev_hash: str,
) -> bytes:
    """Canonical JSON bytes of an entry, spliced from stored text (fast; equals canonical_json).

    `value_json` and `artifacts_json` are spliced as stored, so a changed byte there changes the
    hash. The key order below is the sorted order, so the result is canonical JSON (RFC 8785
    escapes strings exactly as `encode_basestring` does). A field that is not text where text is
    required raises TypeError: a stored field of the wrong type is tamper evidence.
    """
    model, version, environment, run, commit = subject
    s = _encode_str
    return (
        f'{{"artifacts":{artifacts_json},"kind":{s(kind)},"name":{s(name)},'
        f'"prev":{s(prev_hash)},"seq":{seq},"source":{s(source)},'
        f'"subject":{{"commit":{"null" if commit is None else s(commit)},'
        f'"environment":{"null" if environment is None else s(environment)},'
        f'"model":{"null" if model is None else s(model)},'
        f'"run":{"null" if run is None else s(run)},'
        f'"version":{"null" if version is None else s(version)}}},'
        f'"time":{s(time)},"unit":{"null" if unit is None else s(unit)},"value":{value_json}}}'
    ).encode()


def entry_hash(content: bytes) -> str:
    """SHA-256 hex digest of an entry's canonical content."""
    return hashlib.sha256(content).hexdigest()


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


# One JSON value at the start of a string, without the whitespace `json.loads` allows around it
# (canonical JSON has none) and without NaN or Infinity (not JSON).
# (typeshed types make_scanner as a class of its own; it takes the decoder whose settings it uses)
_scan = json.scanner.make_scanner(json.JSONDecoder(parse_constant=_no_constant))  # type: ignore[arg-type]


def json_value(text: str) -> Any:
    """The value of a JSON text as the log stores it (no surrounding whitespace, no NaN)."""
    value, end = _scan(text, 0)
    if end != len(text):
        raise ValueError(f"not one JSON value: {text[:40]!r}")
    return value


@dataclass(frozen=True)
class Problem:
    """One finding: where (sequence number, or None for the log as a whole) and what."""

    seq: int | None
    message: str


@dataclass
class Span:
    """What the check of one range of entries found, in sequence order.

    `first_seq`, `first_prev`: the range's first entry's stored sequence number (None when it is
    not an integer) and previous-hash link, which `link` checks against the range before it.
    `next_seq`, `head`: the sequence number the next entry must have and the hash it must link to.
    """

    count: int = 0
    first_seq: int | None = None
    first_prev: str | None = None
    next_seq: int = 0
    head: str = ""
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Span:
        problems = [Problem(p["seq"], p["message"]) for p in data.pop("problems")]
        return cls(**data, problems=problems)


def link_problems(seq: int, expected_seq: int, stored_prev: object, prev: object) -> list[Problem]:
    """Why an entry does not follow the one before it (missing, out of order, or another link)."""
    found = []
    if seq > expected_seq:
        missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
        found.append(
            Problem(expected_seq, f"entry {missing} missing (deleted?); next stored is {seq}")
        )
    elif seq < expected_seq:
        found.append(
            Problem(seq, f"entry {seq}: stored out of order after entry {expected_seq - 1}")
        )
    if stored_prev != prev:
        found.append(Problem(seq, f"entry {seq}: previous-hash link does not match entry {seq - 1} "
                             "(entries deleted, reordered or edited)"))  # fmt: skip
    return found


def check_rows(
    rows: Iterable[Sequence[Any]],
    expected_at: dict[int, set[str]],
    start: tuple[int, str] | None,
    after: int,
) -> Span:
    """Recompute every hash and link of `rows` (entries after sequence number `after`, in order).

    start: (sequence number expected first, hash it must link to); None when the range before
    this one is checked elsewhere: the first entry's link is then left to `link`. A malformed
    field is a problem naming the entry, never an exception.
    """
    span = Span()
    problems = span.problems
    rows, (expected_seq, prev) = _opening(iter(rows), start, after, span)
    sha256, scan, count = hashlib.sha256, _scan, 0
    for row in rows:
        count += 1
        seq, stored_prev, stored_hash = row[0], row[13], row[14]
        if type(seq) is not int:
            problems.append(Problem(expected_seq, f"entry {expected_seq}: stored sequence number is {seq!r}"))  # fmt: skip
            seq = expected_seq
        if seq != expected_seq or stored_prev != prev:
            problems.extend(link_problems(seq, expected_seq, stored_prev, prev))
        value, artifacts_json = row[9], row[12]
        try:
            recomputed = sha256(
                content_bytes(seq, row[1], row[2], row[3:8], row[8], value, row[10], row[11], artifacts_json, stored_prev)
            ).hexdigest()  # fmt: skip
            artifacts, end = scan(artifacts_json, 0)
            if end != len(artifacts_json) or type(artifacts) is not dict:
                raise TypeError("artifacts")
            if scan(value, 0)[1] != len(value):
                raise ValueError("value")
        except (TypeError, ValueError, AttributeError, StopIteration, RecursionError):
            problems.append(Problem(seq, f"entry {seq}: malformed stored field (a value of the wrong type)"))  # fmt: skip
        else:
            if recomputed != stored_hash:
                problems.append(Problem(seq, f"entry {seq}: content does not match its stored hash (edited)"))  # fmt: skip
        wanted = expected_at.get(seq)
        if wanted is not None and wanted != {stored_hash}:
            problems.append(Problem(seq, f"entry {seq}: differs from the signed checkpoint or anchor at {seq} (rewritten)"))  # fmt: skip
        if len(problems) > MAX_PROBLEMS:
            del problems[MAX_PROBLEMS:]
        prev = stored_hash if type(stored_hash) is str else ""
        expected_seq = seq + 1
    span.count, span.next_seq, span.head = count, expected_seq, prev
    return span


def _opening(
    rows: Iterator[Sequence[Any]], start: tuple[int, str] | None, after: int, span: Span
) -> tuple[Iterator[Sequence[Any]], tuple[int, Any]]:
    """The rows and the state the first must follow: `start`, or without one the first entry's
    own (its link is checked by `link` when the ranges are joined)."""
    if start is not None:
        return rows, start
    first = next(rows, None)
    if first is None:
        return rows, (after + 1, "")
    span.first_seq = first[0] if type(first[0]) is int else None
    span.first_prev = first[13] if type(first[13]) is str else None
    expected_seq = after + 1 if span.first_seq is None else span.first_seq
    return itertools.chain((first,), rows), (expected_seq, first[13])


def link(before: tuple[int, str], span: Span) -> list[Problem]:
    """The problems of a range's first entry against where the range before it ended."""
    if span.count == 0:
        return []
    expected_seq, prev = before
    seq = expected_seq if span.first_seq is None else span.first_seq
    if seq == expected_seq and span.first_prev == prev:
        return []
    return link_problems(seq, expected_seq, span.first_prev, prev)


def check_range(
    db: Db,
    after: int,
    upto: int | None,
    expected_at: dict[int, set[str]],
    start: tuple[int, str] | None,
) -> Span:
    """Check the entries with after < seq <= upto (no upper bound when upto is None)."""
    bound = "" if upto is None else " AND seq <= ?"
    rows = db.execute(
        f"SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE seq > ?{bound} ORDER BY seq",  # noqa: S608
        (after,) if upto is None else (after, upto),
    )
    return check_rows(rows, expected_at, start, after)


def _worker() -> None:
    """One range, as `verify` asks for it on stdin; its span as JSON on stdout."""
    job = json.loads(sys.stdin.readline())
    db = Db(DbUrl.parse(job["url"]), read_only=True)
    try:
        span = check_range(
            db, job["after"], job["upto"],
            {int(seq): set(hashes) for seq, hashes in job["expected_at"].items()},
            tuple(job["start"]) if job["start"] else None,
        )  # fmt: skip
    finally:
        db.close()
    json.dump(span.as_json(), sys.stdout)


if __name__ == "__main__":
    _worker()
