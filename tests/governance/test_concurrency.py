"""Many writer processes make one linear chain; a writer killed mid-append loses nothing acknowledged."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from mlops.governance.keys import load_private_key, write_private_key
from mlops.governance.log import EvidenceLog

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mlops.governance.entry import Subject
    from mlops.governance.keys import load_private_key
    from mlops.governance.log import EvidenceLog

    db, key, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    wal_thread = sys.argv[5:] == ["wal-thread"]
    log = EvidenceLog(db, signing_key=load_private_key(Path(key)), wal_thread=wal_thread)
    subject = Subject(model="m", run=name)
    for i in range(count):
        entry = log.append(subject, "step", i, None, name)
        print(entry.seq, entry.hash, flush=True)  # printed only once the append is acknowledged
    """
)


def _writer(db: str, key: str, name: str, count: int, *mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, db, key, name, str(count), *mode],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_eight_concurrent_writers_produce_one_linear_chain(tmp_path):
    key_file = tmp_path / "key.pem"
    write_private_key(key_file)
    db = str(tmp_path / "audit.db")
    procs = [_writer(db, str(key_file), f"w{i}", 40) for i in range(8)]
    acknowledged = {}
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        acknowledged.update(dict(line.split() for line in out.splitlines()))
    with EvidenceLog(db) as log:
        result = log.verify(public_key=load_private_key(key_file).public_key(), all_signatures=True)
        entries = log.query()
    assert result.ok, result.problems
    assert result.entries == 320 and [e.seq for e in entries] == list(range(1, 321))
    assert {str(e.seq): e.hash for e in entries} == acknowledged
    for i in range(8):  # each writer's own entries keep their order in the chain
        values = [e.value for e in entries if e.source == f"w{i}"]
        assert values == list(range(40))


@pytest.mark.parametrize("mode", [(), ("wal-thread",)], ids=["wal-in-commit", "wal-thread"])
def test_a_writer_killed_mid_append_loses_no_acknowledged_entry(tmp_path, mode):
    """Also with WAL checkpoints on a thread (the server's): killed while one may be copying."""
    key_file = tmp_path / "key.pem"
    write_private_key(key_file)
    db = str(tmp_path / "audit.db")
    survivor = _writer(db, str(key_file), "steady", 100_000, *mode)
    victim = _writer(db, str(key_file), "victim", 100_000, *mode)
    acknowledged = []
    deadline = time.monotonic() + 30
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        acknowledged.append(victim.stdout.readline().split())
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    for _ in range(50):  # the other writer carries on after the kill
        survivor.stdout.readline()
    survivor.kill()
    survivor.wait(timeout=10)
    for proc in (victim, survivor):
        proc.stdout.close()
        proc.stderr.close()
    assert len(acknowledged) == 300
    with EvidenceLog(db) as log:
        result = log.verify(public_key=load_private_key(key_file).public_key())
        stored = {str(e.seq): e.hash for e in log.query()}
    assert result.ok, result.problems
    for seq, digest in acknowledged:
        assert stored[seq] == digest


OPEN = """
import sys
from mlops.governance.log import EvidenceLog
EvidenceLog(sys.argv[1]).close()
"""


def test_processes_opening_a_new_log_at_once_all_succeed(tmp_path):
    """Switching a new SQLite file to WAL takes an exclusive lock that SQLite does not wait for."""
    for attempt in range(10):
        db = str(tmp_path / f"fresh-{attempt}.db")
        procs = [
            subprocess.Popen([sys.executable, "-c", OPEN, db], stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
