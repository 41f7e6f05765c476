"""Strict verification of an evidence log, read-only, against keys and anchors from outside it.

The log is opened read-only and nothing is written. What counts as intact:
- every entry's hash recomputes from its stored fields and links to the entry before it;
- every entry is covered by a signed checkpoint (the newest one is at the head), the checkpoints
  form an unbroken chain (under `rfc8785-sha256`), every checkpoint names a trusted key, and the
  newest signature (all of them with `all_signatures`) is valid for it;
- every anchor (a checkpoint kept outside the database: witnessed in the repository, kept by an
  auditor) is signed by a trusted key and matches the log: a shorter or different log fails.
Trusted keys never come from the log itself. Any malformed stored field is tamper evidence
(a problem naming the entry), never an exception.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from mlops.governance.chain import MAX_PROBLEMS, Problem, Span, check_range, link
from mlops.governance.checkpoint import Checkpoint
from mlops.governance.db import Db
from mlops.governance.entry import (
    GENESIS_HASH,
    SCHEME_JCS,
    SCHEME_LEGACY,
    SCHEMES,
)

MIN_RANGE = 100_000  # entries a worker process checks at least (it costs ~0.1 s to start)


@dataclass
class VerifyResult:
    """Outcome of a verification: intact when there are no problems; the first names where."""

    log_id: str = ""
    scheme: str = ""
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    checkpoints: int = 0
    signatures_checked: int = 0
    anchors: int = 0
    key_trusted: bool = False
    from_seq: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        """The lowest entry a problem names (None when only the log as a whole is at fault)."""
        return min((p.seq for p in self.problems if p.seq is not None), default=None)

    def add(self, seq: int | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "log_id": self.log_id,
            "scheme": self.scheme,
            "entries": self.entries,
            "from_seq": self.from_seq,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpoints": self.checkpoints,
            "signatures_checked": self.signatures_checked,
            "anchors": self.anchors,
            "key_trusted": self.key_trusted,
            "first_bad_seq": self.first_bad_seq,
            "problems": [{"seq": p.seq, "message": p.message} for p in self.problems],
            "warnings": self.warnings,
        }


def _meta(db: Db, result: VerifyResult) -> tuple[str, str] | None:
    """(log id, scheme), or None (with a problem) when the log's own metadata is unusable."""
    try:
        rows = db.all("SELECT key, value FROM audit_meta WHERE key IN ('log_id', 'hash_scheme')")
    except Exception as error:  # any database error here means "not a log"
        result.add(None, f"not an evidence log (audit_meta unreadable: {error})")
        return None
    meta = dict(rows)
    log_id, scheme = meta.get("log_id"), meta.get("hash_scheme", SCHEME_LEGACY)
    if not isinstance(log_id, str) or not log_id:
        result.add(None, "the log's id (audit_meta log_id) is missing or malformed")
        return None
    if scheme not in SCHEMES:
        result.add(None, f"hash scheme {scheme!r} is unknown; allowed: {', '.join(SCHEMES)}")
        return None
    return log_id, scheme


def _checkpoints(
    db: Db, log_id: str, scheme: str, after: int, result: VerifyResult
) -> list[Checkpoint]:
    columns = "seq, hash, time, key_id, signature" + (", prev" if scheme == SCHEME_JCS else "")
    try:
        rows = db.all(
            f"SELECT {columns} FROM audit_checkpoints WHERE seq > ? ORDER BY seq",  # noqa: S608
            (after,),
        )
    except Exception as error:
        result.add(None, f"checkpoints unreadable: {error}")
        return []
    checkpoints = []
    for row in rows:
        try:
            checkpoints.append(
                Checkpoint.model_validate(
                    {"log_id": log_id, "seq": row[0], "hash": row[1], "time": row[2],
                     "key_id": row[3], "signature": row[4],
                     "scheme": scheme if scheme == SCHEME_JCS else None,
                     "prev": row[5] if scheme == SCHEME_JCS else None},
                    strict=True,
                )
            )  # fmt: skip
        except ValidationError as error:
            where = row[0] if isinstance(row[0], int) else None
            field_names = ", ".join(str(e["loc"][0]) for e in error.errors())
            result.add(where, f"checkpoint at {row[0]!r}: malformed stored field ({field_names})")
    return checkpoints


def _check_checkpoint_chain(
    checkpoints: Sequence[Checkpoint], start_prev: str, result: VerifyResult
) -> None:
    """Under rfc8785-sha256 each checkpoint names the digest of the one before it."""
    prev_digest, prev_seq = start_prev, result.from_seq
    for checkpoint in checkpoints:
        if checkpoint.seq <= prev_seq:
            result.add(checkpoint.seq, f"checkpoint at {checkpoint.seq}: out of order")
        elif checkpoint.prev != prev_digest:
            result.add(
                checkpoint.seq,
                f"checkpoint at {checkpoint.seq}: does not follow the checkpoint at {prev_seq} "
                "(checkpoints deleted or altered before it)",
            )
        prev_digest, prev_seq = checkpoint.digest(), checkpoint.seq


def _check_signatures(
    checkpoints: Sequence[Checkpoint],
    anchors: Sequence[Checkpoint],
    trusted: dict[str, Ed25519PublicKey],
    all_signatures: bool,
    result: VerifyResult,
) -> None:
    for checkpoint in checkpoints if trusted else ():  # no key at all is one problem, not many
        if checkpoint.key_id not in trusted:
            result.add(
                checkpoint.seq,
                f"checkpoint at {checkpoint.seq}: signed by key {checkpoint.key_id}, which is "
                "not trusted",
            )
    to_check = list(checkpoints if all_signatures else checkpoints[-1:])
    for checkpoint in [*to_check, *anchors]:
        key = trusted.get(checkpoint.key_id)
        if key is None:
            if checkpoint in anchors:
                result.add(
                    checkpoint.seq,
                    f"anchor at {checkpoint.seq}: signed by key {checkpoint.key_id}, which is not "
                    "trusted",
                )
            continue
        result.signatures_checked += 1
        if not checkpoint.valid_for(key):
            what = "anchor" if checkpoint in anchors else "checkpoint"
            result.add(
                checkpoint.seq,
                f"{what} at {checkpoint.seq}: signature invalid for trusted key {checkpoint.key_id}",
            )


def _ranges(after: int, newest: int, jobs: int) -> tuple[list[tuple[int, int]], int]:
    """Split the entries after `after` into up to `jobs` ranges of at least MIN_RANGE entries,
    bounded by the newest checkpoint's sequence number: the bounded ranges (after, upto], and
    where the last, open-ended one starts (entries past every checkpoint are checked too)."""
    count = max(1, min(jobs, (newest - after) // MIN_RANGE))
    bounds = [after + (newest - after) * i // count for i in range(count)]
    return list(itertools.pairwise(bounds)), bounds[-1]


def _jobs() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check_entries(
    db: Db, expected_at: dict[int, set[str]], start: tuple[int, str], newest: int,
    result: VerifyResult,
) -> None:  # fmt: skip
    """Check every entry after start[0]: each bounded range in a worker process (one per CPU),
    the open-ended last range here, then each range's first link against the range before it."""
    bounded, last = _ranges(start[0], newest, _jobs())
    workers: list[subprocess.Popen[bytes]] = []
    spans = []
    try:
        for after, upto in bounded:
            job = {
                "url": db.url.url, "after": after, "upto": upto,
                "start": [after + 1, start[1]] if after == start[0] else None,
                "expected_at": {s: sorted(h) for s, h in expected_at.items() if after < s <= upto},
            }  # fmt: skip
            worker = subprocess.Popen(  # this interpreter, a module of this package
                [sys.executable, "-m", "mlops.governance.chain"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            workers.append(worker)
            assert worker.stdin is not None
            worker.stdin.write(json.dumps(job).encode() + b"\n")  # one line, read at once
            worker.stdin.flush()
        own = check_range(db, last, None, expected_at, None if workers else (last + 1, start[1]))
        for worker in workers:
            out, err = worker.communicate()
            if worker.returncode != 0:
                lines = err.decode(errors="replace").strip().splitlines() or [
                    str(worker.returncode)
                ]
                raise RuntimeError(f"a verification worker failed: {lines[-1]}")
            spans.append(Span.from_json(json.loads(out)))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    spans.append(own)
    state = (start[0] + 1, start[1])
    for i, span in enumerate(spans):
        for problem in ([] if i == 0 else link(state, span)) + span.problems:
            result.add(problem.seq, problem.message)
        if span.count:
            result.entries += span.count
            state = (span.next_seq, span.head)
    result.head_seq, result.head_hash = state[0] - 1, state[1]


def verify_db(
    db: Db,
    trusted: dict[str, Ed25519PublicKey],
    anchors: Sequence[Checkpoint] = (),
    all_signatures: bool = False,
    since: Checkpoint | None = None,
) -> VerifyResult:
    """Verify the log in `db` (read only). `since`: a trusted anchor to verify incrementally from
    (only entries and checkpoints after it are read)."""
    result = VerifyResult(key_trusted=bool(trusted), anchors=len(anchors))
    if not trusted:
        result.add(None, "no trusted key: give --public-key or list the log's key in the "
                   "repository's audit/config.yaml (keys the log declares are never trusted)")  # fmt: skip
    meta = _meta(db, result)
    if meta is None:
        return result
    log_id, scheme = meta
    result.log_id, result.scheme = log_id, scheme
    for anchor in anchors:
        if anchor.log_id != log_id:
            result.add(None, f"anchor at {anchor.seq} belongs to log {anchor.log_id}, not to this "
                       f"log ({log_id}): the log was replaced, or the anchor is another log's")  # fmt: skip
    anchors = [a for a in anchors if a.log_id == log_id]
    start = (0, GENESIS_HASH)
    start_prev = GENESIS_HASH
    if since is not None:
        row = db.one("SELECT hash FROM audit_entries WHERE seq = ?", (since.seq,))
        if row is None or row[0] != since.hash:
            result.add(since.seq, f"entry {since.seq}: differs from the anchor it is verified from")
            return result
        start, start_prev, result.from_seq = (since.seq, since.hash), since.digest(), since.seq
    checkpoints = _checkpoints(db, log_id, scheme, start[0], result)
    result.checkpoints = len(checkpoints)
    if scheme == SCHEME_JCS:
        _check_checkpoint_chain(checkpoints, start_prev, result)
    _check_signatures(checkpoints, [*anchors, *([since] if since else [])], trusted,
                      all_signatures, result)  # fmt: skip
    expected_at: dict[int, set[str]] = {}
    for checkpoint in [*checkpoints, *anchors]:
        expected_at.setdefault(checkpoint.seq, set()).add(checkpoint.hash)
    newest = checkpoints[-1].seq if checkpoints else start[0]
    try:
        _check_entries(db, expected_at, start, newest, result)
    except Exception as error:  # an unreadable table is tamper evidence too
        result.add(None, f"entries unreadable: {error}")
        return result
    for seq in sorted(expected_at):
        if seq > result.head_seq:
            result.add(result.head_seq + 1, f"log truncated: a signed checkpoint or anchor covers "
                       f"entry {seq} but the log ends at entry {result.head_seq}")  # fmt: skip
            break
    if newest < result.head_seq:
        first = newest + 1
        span = f"{first}" if first == result.head_seq else f"{first}-{result.head_seq}"
        result.add(first, f"entries {span} are not covered by a signed checkpoint "
                   "(checkpoints deleted, or entries added without the signing key)")  # fmt: skip
    return result


def log_id_of(db: Db) -> str | None:
    """The log's id as stored, or None when it cannot be read (verification then says why)."""
    try:
        row = db.one("SELECT value FROM audit_meta WHERE key = 'log_id'")
    except Exception:  # any database error: verify_db reports it as a problem
        return None
    return row[0] if row and isinstance(row[0], str) else None


def newest_valid(
    anchors: Sequence[Checkpoint], trusted: dict[str, Ed25519PublicKey]
) -> Checkpoint | None:
    """The newest anchor signed by a trusted key: where incremental verification starts."""
    for anchor in sorted(anchors, key=lambda a: a.seq, reverse=True):
        key = trusted.get(anchor.key_id)
        if key is not None and anchor.valid_for(key):
            return anchor
    return None
