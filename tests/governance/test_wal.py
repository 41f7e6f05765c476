"""WAL checkpoints on a thread of their own (how `mlops audit serve` opens its log): commits reach
the database file without the writer checkpointing, and the WAL starts afresh between them."""

import shutil
import sqlite3
import time
from pathlib import Path

from mlops.governance.entry import Subject
from mlops.governance.log import EvidenceLog, NewEntry
from mlops.governance.wal import CHECKPOINT_SECONDS

SUBJECT = Subject(model="credit-risk", version="3")


def _batch(count: int) -> list[NewEntry]:
    return [NewEntry(SUBJECT, "accuracy", i / count, "ratio", "test") for i in range(count)]


def _entries_in_the_file_alone(db: Path, copy: Path) -> int:
    """Entries in the database file without its WAL: what checkpoints have copied there."""
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(copy)
    try:
        return conn.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
    except sqlite3.DatabaseError:  # no table yet, or copied while a checkpoint wrote
        return 0
    finally:
        conn.close()


def test_commits_reach_the_database_file_without_the_writer_checkpointing(tmp_path):
    db = tmp_path / "audit.db"
    with EvidenceLog(str(db), wal_thread=True) as log:
        log.append_many(_batch(100))  # far below any automatic checkpoint of the writer's
        deadline = time.monotonic() + 10
        while _entries_in_the_file_alone(db, tmp_path / "copy.db") < 100:
            assert time.monotonic() < deadline, "no checkpoint within 10 s of the commit"
            time.sleep(0.05)


def test_the_wal_starts_afresh_after_each_checkpoint(tmp_path):
    """Paced commits: each checkpoint copies the whole WAL, so the next commit writes from its
    start again and the file stays the size of one commit, not of all of them."""
    db = tmp_path / "audit.db"
    wal = tmp_path / "audit.db-wal"
    with EvidenceLog(str(db), wal_thread=True) as log:
        log.append_many(_batch(100))
        one = wal.stat().st_size
        for _ in range(6):
            time.sleep(CHECKPOINT_SECONDS + 0.1)
            log.append_many(_batch(100))
        largest = wal.stat().st_size
        entries = log.head()[0]
    assert entries == 700
    assert largest < 3 * one, f"WAL of {largest} bytes after 7 commits of ~{one} bytes each"
