"""WAL checkpoints of a SQLite log on a thread of their own, off the commit path.

SQLite's automatic checkpoint runs inside the commit that takes the write-ahead log past 1,000
pages: it copies them into the database file and syncs it, 3-7 ms added to one request in
about forty at 2,000 entries/s through the Audit API (once 233 ms, with another process busy),
which is its p99. A server's writer
connection checkpoints itself only far later (`SAFETY_PAGES`, should this thread fall behind);
this thread checkpoints, on its own connection, within `CHECKPOINT_SECONDS` of a commit.

Durability is the same: a commit is synced in the WAL before it returns (synchronous=FULL on
the writer); a checkpoint only copies committed pages into the database file (syncing the WAL
before and the file after, as the writer's own checkpoint does), and a crash during one is
repaired from the WAL when the log is next opened.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

CHECKPOINT_SECONDS = 0.25  # at most this long after a commit; one checkpoint per interval
RESTART_PAGES = 2_000  # a WAL not started afresh for twice SQLite's default size: catch up
SAFETY_PAGES = 10_000  # the writer's own automatic checkpoint: 10x SQLite's default, ~40 MB

log = logging.getLogger(__name__)


class WalCheckpointer:
    """Checkpoints the WAL of the SQLite file at `path` shortly after each `committed()`."""

    def __init__(self, path: Path, busy_timeout_s: float) -> None:
        self._conn = sqlite3.connect(
            path, isolation_level=None, timeout=busy_timeout_s, check_same_thread=False
        )
        # The checkpoint's syncs follow the checkpointing connection's setting: the writer's.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._due = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A commit is in the WAL: checkpoint it within CHECKPOINT_SECONDS (cheap; no I/O here)."""
        self._due.set()

    def _run(self) -> None:
        while True:
            self._due.wait()
            # Commits that arrive meanwhile share this checkpoint; close() cuts the wait short.
            self._stop.wait(CHECKPOINT_SECONDS)
            if self._stop.is_set():
                return
            self._due.clear()
            self._checkpoint()

    def _checkpoint(self) -> None:
        """A PASSIVE checkpoint: it waits for neither the writer nor a reader. Under a steady
        stream of commits it may never copy the last pages before the next commit, and then
        the WAL is never started afresh and keeps growing: past RESTART_PAGES a RESTART
        checkpoint waits for the writer's transaction to end and holds the next one until it
        has copied everything (the cost the writer's own checkpoint had, only when behind).
        A failure is logged and left to the next commit's checkpoint."""
        try:
            _, pages, _ = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if pages > RESTART_PAGES:
                self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        except sqlite3.Error as error:
            log.warning("WAL checkpoint failed (the next commit retries): %s", error)

    def close(self) -> None:
        """Stop the thread and close its connection (the writer's close checkpoints the rest)."""
        self._stop.set()
        self._due.set()
        self._thread.join()
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
