"""Strict verification against its own operator: anchors witnessed in the repository, keys from
the repository's configuration, read-only, malformed fields named, legacy logs still verifiable."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from mlops.governance import keys, verify
from mlops.governance.chain import content_bytes
from mlops.governance.checkpoint import Checkpoint
from mlops.governance.db import Db, DbUrl
from mlops.governance.entry import GENESIS_HASH, SCHEME_LEGACY, Subject, canonical_json
from mlops.governance.keys import write_private_key
from mlops.governance.log import EvidenceLog, NewEntry
from mlops.governance.witness import repository_anchors, write_anchor

SUBJECT = Subject(model="credit-risk", version="3")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


@pytest.fixture
def platform(tmp_path: Path):
    """A repository that trusts one log (audit/config.yaml), and that log with 6 entries."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "-b", "main")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    db = tmp_path / "audit.db"
    key = write_private_key(tmp_path / "log.pem")
    with EvidenceLog(str(db), key) as log:
        for i in range(6):
            log.append(SUBJECT, "accuracy", 0.9 + i / 100, "ratio", "train")
        log_id = log.log_id
    config = {"logs": [{"id": log_id, "url": f"sqlite:///{db}",
                        "keys": [keys.public_pem(key.public_key())]}]}  # fmt: skip
    (repo / "audit").mkdir()
    (repo / "audit/config.yaml").write_text(yaml.safe_dump(config))
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "-m", "trust the log")
    return repo, db, key


def _witness(repo: Path, db: Path) -> Checkpoint:
    with EvidenceLog(str(db), read_only=True) as log:
        checkpoint = log.latest_checkpoint()
    assert checkpoint is not None
    _git(repo, "add", write_anchor(repo, checkpoint))
    _git(repo, "commit", "--quiet", "-m", "witness")
    return checkpoint


def _attack(db: Path, *statements: str) -> None:
    """What an operator with file access does: drop the guards, then change rows."""
    conn = sqlite3.connect(db, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        conn.execute(statement)
    conn.close()


def _verify(mlops, monkeypatch, repo: Path, *args: str):
    monkeypatch.chdir(repo)
    code, out, err = mlops("audit", "verify", *args)
    assert "Traceback" not in err
    return code, out, err


def test_intact_log_passes_with_keys_and_anchors_from_the_repository(mlops, monkeypatch, platform):
    repo, db, _ = platform
    _witness(repo, db)
    code, out, _ = _verify(mlops, monkeypatch, repo, "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["anchors"] == 1 and result["entries"] == 6


def test_truncated_tail_with_its_checkpoints_fails_against_the_witnessed_anchor(
    mlops, monkeypatch, platform
):
    repo, db, _ = platform
    _witness(repo, db)
    _attack(db, "DELETE FROM audit_entries WHERE seq >= 5",
            "DELETE FROM audit_checkpoints WHERE seq >= 5")  # fmt: skip
    code, _, err = _verify(mlops, monkeypatch, repo)
    assert code == 1 and "first bad entry 5" in err and "log truncated" in err


def test_a_witness_deleted_in_a_later_commit_still_counts(mlops, monkeypatch, platform):
    repo, db, _ = platform
    _witness(repo, db)
    _git(repo, "rm", "--quiet", "-r", "audit/checkpoints")
    _git(repo, "commit", "--quiet", "-m", "hide the witness")
    _attack(
        db, "DELETE FROM audit_entries WHERE seq = 6", "DELETE FROM audit_checkpoints WHERE seq = 6"
    )
    assert _verify(mlops, monkeypatch, repo)[0] == 1


def test_rewritten_tail_without_checkpoints_fails_as_uncovered(mlops, monkeypatch, platform):
    repo, db, _ = platform
    _attack(db, "DELETE FROM audit_checkpoints WHERE seq >= 4")
    conn = sqlite3.connect(db, isolation_level=None)
    rows = conn.execute("SELECT * FROM audit_entries WHERE seq >= 4 ORDER BY seq").fetchall()
    prev = conn.execute("SELECT hash FROM audit_entries WHERE seq = 3").fetchone()[0]
    for stored in rows:  # a consistent rewrite: new values, every hash recomputed
        row = list(stored)
        row[9], row[13] = "0.5", prev
        row[14] = hashlib.sha256(content_bytes(row[0], row[1], row[2], row[3:8], row[8], row[9],
                                               row[10], row[11], row[12], row[13])).hexdigest()  # fmt: skip
        conn.execute("UPDATE audit_entries SET value = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (row[9], row[13], row[14], row[0]))  # fmt: skip
        prev = row[14]
    conn.close()
    code, _, err = _verify(mlops, monkeypatch, repo)
    assert code == 1 and "first bad entry 4" in err and "not covered by a signed checkpoint" in err


def test_a_rewrite_re_signed_with_a_key_the_log_declares_is_not_trusted(
    mlops, monkeypatch, platform, tmp_path
):
    repo, db, _ = platform
    _witness(repo, db)
    _attack(db, "DELETE FROM audit_entries WHERE seq >= 4", "DELETE FROM audit_checkpoints")
    intruder = write_private_key(tmp_path / "intruder.pem")
    with EvidenceLog(str(db), intruder) as log:  # declares its key in audit_meta, re-signs
        for value in (0.99, 0.98, 0.97):
            log.append(SUBJECT, "accuracy", value, "ratio", "train")
    code, _, err = _verify(mlops, monkeypatch, repo)
    assert code == 1 and "which is not trusted" in err
    # even an auditor talked into trusting the intruder's key: the witnessed anchor differs
    code, _, err = _verify(mlops, monkeypatch, repo, "--public-key", str(tmp_path / "intruder.pem"))
    assert code == 1 and "differs from the signed checkpoint or anchor at 6" in err


def test_a_deleted_checkpoint_in_the_middle_is_named(mlops, monkeypatch, platform):
    repo, db, _ = platform
    _attack(db, "DELETE FROM audit_checkpoints WHERE seq = 3")
    code, _, err = _verify(mlops, monkeypatch, repo)
    assert code == 1 and "first bad entry 4" in err and "checkpoints deleted or altered" in err


def test_without_a_trusted_key_verification_fails(mlops, monkeypatch, platform, tmp_path):
    _, db, _ = platform
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code, _, err = _verify(mlops, monkeypatch, outside, "--audit", str(db))
    assert code == 1 and "no trusted key" in err


def test_a_replaced_log_is_not_one_the_repository_trusts(mlops, monkeypatch, platform, tmp_path):
    repo, db, key = platform
    db.unlink()
    with EvidenceLog(str(db), key) as log:  # same key, fresh log: history rewritten wholesale
        log.append(SUBJECT, "accuracy", 0.99, "ratio", "train")
    code, _, err = _verify(mlops, monkeypatch, repo)
    assert code == 1 and "is not one audit/config.yaml trusts" in err


@pytest.mark.parametrize(
    ("statement", "seq"),
    [
        ("UPDATE audit_entries SET kind = 7 WHERE seq = 2", 2),
        ("UPDATE audit_entries SET value = x'00ff' WHERE seq = 3", 3),
        ("UPDATE audit_entries SET artifacts = '[1]' WHERE seq = 4", 4),
        ("UPDATE audit_entries SET seq = 'five' WHERE seq = 5", 5),
        ("UPDATE audit_checkpoints SET signature = 12 WHERE seq = 6", 6),
    ],
    ids=["kind-int", "value-blob", "artifacts-list", "seq-text", "signature-int"],
)
def test_malformed_stored_fields_are_named_never_a_traceback(
    mlops, monkeypatch, platform, statement, seq
):
    repo, db, _ = platform
    _attack(db, statement)
    code, out, _ = _verify(mlops, monkeypatch, repo, "--json")
    assert code == 1
    assert json.loads(out)["first_bad_seq"] == seq


def test_verification_writes_nothing(mlops, monkeypatch, platform):
    repo, db, _ = platform
    _attack(db, "DELETE FROM audit_meta WHERE key = 'log_id'")
    before = db.read_bytes()
    code, _, err = _verify(mlops, monkeypatch, repo)
    assert code == 1 and "log's id" in err
    assert db.read_bytes() == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone() == (
        0,
    )
    assert conn.execute("SELECT count(*) FROM audit_meta WHERE key = 'log_id'").fetchone() == (0,)
    conn.close()


def test_incremental_verification_starts_at_the_newest_anchor(mlops, monkeypatch, platform):
    repo, db, key = platform
    anchor = _witness(repo, db)
    with EvidenceLog(str(db), key) as log:
        log.append_many([NewEntry(SUBJECT, "latency", i) for i in range(3)])
    code, out, _ = _verify(mlops, monkeypatch, repo, "--incremental", "--json")
    result = json.loads(out)
    assert code == 0 and result["from_seq"] == anchor.seq == 6 and result["entries"] == 3
    _attack(db, "UPDATE audit_entries SET value = '42' WHERE seq = 8")
    code, out, _ = _verify(mlops, monkeypatch, repo, "--incremental", "--json")
    assert code == 1 and json.loads(out)["first_bad_seq"] == 8


def test_repository_anchors_come_from_every_ref_and_the_work_tree(platform):
    repo, db, key = platform
    first = _witness(repo, db)
    _git(repo, "checkout", "--quiet", "-b", "promote/x")
    with EvidenceLog(str(db), key) as log:
        log.append(SUBJECT, "accuracy", 0.5)
    second = _witness(repo, db)
    _git(repo, "checkout", "--quiet", "main")
    assert [a.seq for a in repository_anchors(repo, first.log_id)] == [first.seq, second.seq]


def test_rfc8785_numbers_and_a_legacy_log_stays_verifiable(tmp_path):
    key = write_private_key(tmp_path / "k.pem")
    with EvidenceLog(str(tmp_path / "new.db"), key) as log:
        entry = log.append(SUBJECT, "m", {"b": 2.0, "a": 1e-7, "c": 1e21})
        stored = (
            sqlite3.connect(tmp_path / "new.db")
            .execute("SELECT value FROM audit_entries")
            .fetchone()
        )
        assert stored == ('{"a":1e-7,"b":2,"c":1e+21}',)
        assert log.scheme == "rfc8785-sha256" and entry.value == {"a": 1e-7, "b": 2, "c": 1e21}
    legacy = tmp_path / "legacy.db"
    _legacy_log(legacy, key)
    with EvidenceLog(str(legacy), key) as log:
        assert log.scheme == SCHEME_LEGACY
        log.append(SUBJECT, "m", 2.0)
        result = log.verify(public_key=key.public_key(), all_signatures=True)
        assert result.ok, result.problems
        assert result.scheme == SCHEME_LEGACY and result.entries == 3


def _legacy_log(path: Path, key) -> None:
    """A log as the code before schemes wrote it: no hash_scheme, json.dumps, 5-field checkpoints."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("CREATE TABLE audit_entries (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, kind TEXT NOT NULL, "
                 "model TEXT, version TEXT, environment TEXT, run TEXT, commit_id TEXT, name TEXT NOT NULL, "
                 "value TEXT NOT NULL, unit TEXT, source TEXT NOT NULL, artifacts TEXT NOT NULL, "
                 "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)")  # fmt: skip
    conn.execute("CREATE TABLE audit_checkpoints (seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, "
                 "time TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL)")  # fmt: skip
    conn.execute("INSERT INTO audit_meta VALUES ('log_id', 'legacy-log')")
    prev, time = GENESIS_HASH, "2025-01-01T00:00:00.000000Z"
    for seq, value in ((1, 2.0), (2, {"x": 1e-7})):
        value_json = canonical_json(value, SCHEME_LEGACY)
        digest = hashlib.sha256(content_bytes(seq, time, "measurement", ("m", "1", None, None, None),
                                              "m", value_json, None, "", "{}", prev)).hexdigest()  # fmt: skip
        conn.execute("INSERT INTO audit_entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (seq, time, "measurement", "m", "1", None, None, None, "m", value_json, None, "",
                      "{}", prev, digest))  # fmt: skip
        checkpoint = Checkpoint(log_id="legacy-log", seq=seq, hash=digest, time=time,
                                key_id=keys.key_id(key.public_key()), signature="")  # fmt: skip
        conn.execute("INSERT INTO audit_checkpoints VALUES (?,?,?,?,?)",
                     (seq, digest, time, checkpoint.key_id, keys.sign(key, checkpoint.payload())))  # fmt: skip
        prev = digest
    conn.close()


def test_the_witness_command_commits_a_trusted_checkpoint_and_refuses_another(
    mlops, platform, tmp_path
):
    repo, db, _ = platform
    before = db.read_bytes()
    code, _, err = mlops("audit", "witness", "--audit", f"sqlite:///{db}", "--repo", str(repo))
    assert code == 0, err
    assert _git(repo, "log", "-1", "--format=%s").startswith("audit: witness checkpoint 6 ")
    with EvidenceLog(str(db), read_only=True) as log:
        assert [a.seq for a in repository_anchors(repo, log.log_id)] == [6]
    assert db.read_bytes() == before  # witnessing reads the log, never writes it
    other = tmp_path / "other.db"
    with EvidenceLog(str(other), write_private_key(tmp_path / "other.pem")) as log:
        log.append(SUBJECT, "accuracy", 0.5)
    code, _, err = mlops("audit", "witness", "--audit", f"sqlite:///{other}", "--repo", str(repo))
    assert code == 1 and "nothing witnessed" in err


@pytest.mark.parametrize(
    "statements",
    [
        (),
        ("DELETE FROM audit_entries WHERE seq = 3",),
        ("DELETE FROM audit_entries WHERE seq = 2",),
        ("DELETE FROM audit_entries WHERE seq IN (3, 4)",),
        ("UPDATE audit_entries SET prev_hash = 'x' WHERE seq = 5",),
        ("UPDATE audit_entries SET value = '0.5' WHERE seq = 3",),
        ("UPDATE audit_entries SET seq = 'five' WHERE seq = 5",),
        ("UPDATE audit_entries SET hash = 'x' WHERE seq = 2",),
    ],
    ids=["intact", "range-start", "range-end", "empty-range", "link", "edited", "seq-text", "hash"],
)
def test_ranges_checked_in_worker_processes_find_what_one_range_finds(
    monkeypatch, platform, statements
):
    """A long log is checked in ranges, one per CPU, each in its own process, joined at the
    boundaries: tampering at a boundary is found as it is in one pass."""
    _, db, key = platform
    _attack(db, *statements)
    trusted = {keys.key_id(key.public_key()): key.public_key()}

    def run(jobs: int) -> dict:
        monkeypatch.setattr(verify, "_jobs", lambda: jobs)
        database = Db(DbUrl.parse(str(db)), read_only=True)
        try:
            return verify.verify_db(database, trusted).as_dict()
        finally:
            database.close()

    monkeypatch.setattr(verify, "MIN_RANGE", 2)  # six entries: ranges (0, 2], (2, 4], (4, ...)
    one, ranged = run(1), run(3)
    assert ranged == one
    assert ranged["ok"] is not bool(statements)
