"""The evidence log: append/read, and verification naming where each kind of tampering happened."""

import sqlite3
from pathlib import Path

import pytest

from mlops.errors import BadInputError
from mlops.governance.chain import content_bytes
from mlops.governance.entry import GENESIS_HASH, Subject, canonical_json
from mlops.governance.keys import write_private_key
from mlops.governance.log import COLUMNS, EvidenceLog, NewEntry

SUBJECT = Subject(model="credit-risk", version="3", environment="prod", run="r1", commit="abc")
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def log(tmp_path: Path):
    key = write_private_key(tmp_path / "key.pem")
    with EvidenceLog(str(tmp_path / "audit.db"), signing_key=key) as opened:
        yield opened


def _fill(log: EvidenceLog, n: int = 6) -> None:
    for i in range(n):
        log.append(SUBJECT, "accuracy", 0.9 + i / 100, "ratio", "train", {"model": DIGEST})


def _raw(log: EvidenceLog) -> sqlite3.Connection:
    """Open the file as an attacker would: drop the append-only triggers first."""
    conn = sqlite3.connect(log.url.path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


def test_append_returns_chained_entries_and_query_reads_them_back(log):
    first = log.append(SUBJECT, "accuracy", 0.91, "ratio", "train", {"model": DIGEST})
    second = log.append(Subject(model="other"), "latency_p99", 12, "ms", "loadtest")
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert log.query(Subject(model="credit-risk")) == [first]
    assert log.query(name="latency_p99") == [second]
    assert log.query(Subject(model="credit-risk", version="4")) == []
    assert log.query(since=first.time, until=second.time) == [first, second]
    assert log.query(since="2999-01-01T00:00:00Z") == []
    assert log.head() == (2, second.hash)


def test_hash_is_sha256_of_canonical_json(log):
    entry = log.append(SUBJECT, "fairness", {"gap": 0.02, "slices": ["a", "ü"]}, None, "x")
    doc = {
        "artifacts": {}, "kind": "measurement", "name": "fairness", "prev": entry.prev_hash,
        "seq": 1, "source": "x", "subject": SUBJECT.as_dict(), "time": entry.time, "unit": None,
        "value": {"gap": 0.02, "slices": ["a", "ü"]},
    }  # fmt: skip
    import hashlib

    assert hashlib.sha256(canonical_json(doc).encode()).hexdigest() == entry.hash
    spliced = content_bytes(
        1, entry.time, "measurement", tuple(SUBJECT.as_dict().values()), "fairness",
        canonical_json(entry.value), None, "x", "{}", entry.prev_hash,
    )  # fmt: skip
    assert spliced == canonical_json(doc).encode()


def test_batch_is_one_transaction_with_one_checkpoint(log):
    entries = log.append_many([NewEntry(SUBJECT, f"m{i}", i) for i in range(50)])
    assert [e.seq for e in entries] == list(range(1, 51))
    checkpoint = log.latest_checkpoint()
    assert checkpoint is not None and (checkpoint.seq, checkpoint.hash) == (50, entries[-1].hash)
    assert checkpoint.valid_for(log.public_key)
    with pytest.raises(BadInputError):
        log.append_many([NewEntry(SUBJECT, "ok", 1), NewEntry(SUBJECT, "bad name!", 1)])
    assert log.head()[0] == 50


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), object(), "x" * 70_000], ids=["nan", "inf", "obj", "big"]
)
def test_bad_values_are_refused_and_nothing_is_written(log, value):
    with pytest.raises(BadInputError):
        log.append(SUBJECT, "m", value)
    assert log.head()[0] == 0


@pytest.mark.parametrize(
    ("name", "artifacts"),
    [("", None), ("a b", None), ("m", {"model": "md5"}), ("m", {"model": "sha256:XYZ"})],
)
def test_bad_names_and_digests_are_refused(log, name, artifacts):
    with pytest.raises(BadInputError):
        log.append(SUBJECT, name, 1, artifacts=artifacts)


@pytest.mark.parametrize(
    "second",
    [
        NewEntry(SUBJECT, "m", 1, artifacts={"model": "md5"}),
        NewEntry(SUBJECT, "m", 1, artifacts={"model": ["sha256:" + "ab" * 32]}),  # type: ignore[dict-item]
        NewEntry(SUBJECT, ["m"], 1),  # type: ignore[arg-type]
        NewEntry(SUBJECT, "m", 1, unit={"x": 1}),  # type: ignore[arg-type]
    ],
    ids=["bad-digest", "unhashable-digest", "unhashable-name", "unhashable-unit"],
)
def test_an_entry_like_one_checked_before_in_its_batch_is_still_checked(log, second):
    """A batch checks each distinct name/unit/source and artifact mapping once: an entry that
    differs from the first only in a bad field is still refused, and nothing is written."""
    first = NewEntry(SUBJECT, "m", 1, artifacts={"model": DIGEST})
    with pytest.raises(BadInputError):
        log.append_many([first, second])
    assert log.head()[0] == 0


def test_updates_and_deletes_are_refused_by_the_database(log):
    _fill(log, 2)
    conn = sqlite3.connect(log.url.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_entries SET value = '1' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_entries WHERE seq = 2")
    conn.close()


def test_intact_log_verifies_with_the_trusted_key(log):
    _fill(log)
    result = log.verify(public_key=log.public_key, all_signatures=True)
    assert result.ok, result.problems
    assert (result.entries, result.head_seq, result.checkpoints) == (6, 6, 6)
    assert result.signatures_checked == 6 and result.key_trusted


COLUMN_NAMES = [c.strip() for c in COLUMNS.split(",")]


@pytest.mark.parametrize("column", [c for c in COLUMN_NAMES if c != "seq"])
@pytest.mark.parametrize("seq", [1, 4, 6])
def test_a_changed_byte_in_any_field_of_any_entry_is_named(log, column, seq):
    _fill(log)
    conn = _raw(log)
    (old,) = conn.execute(f"SELECT {column} FROM audit_entries WHERE seq = ?", (seq,)).fetchone()
    old = "" if old is None else str(old)
    new = old[:-1] + chr(ord(old[-1]) ^ 1) if old else "x"
    conn.execute(f"UPDATE audit_entries SET {column} = ? WHERE seq = ?", (new, seq))
    result = log.verify(public_key=log.public_key)
    assert not result.ok
    assert result.first_bad_seq == seq
    assert f"entry {seq}" in result.problems[0].message


def test_a_changed_sequence_number_is_named(log):
    _fill(log)
    _raw(log).execute("UPDATE audit_entries SET seq = 99 WHERE seq = 3")
    result = log.verify(public_key=log.public_key)
    assert result.first_bad_seq == 3 and "missing" in result.problems[0].message


def test_a_deleted_entry_is_named(log):
    _fill(log)
    _raw(log).execute("DELETE FROM audit_entries WHERE seq = 3")
    result = log.verify(public_key=log.public_key)
    assert result.first_bad_seq == 3
    assert "entry 3 missing" in result.problems[0].message


def test_a_reordered_pair_is_named(log):
    _fill(log)
    conn = _raw(log)
    conn.execute("UPDATE audit_entries SET seq = -1 WHERE seq = 3")
    conn.execute("UPDATE audit_entries SET seq = 3 WHERE seq = 4")
    conn.execute("UPDATE audit_entries SET seq = 4 WHERE seq = -1")
    result = log.verify(public_key=log.public_key)
    assert not result.ok and result.first_bad_seq == 3


def test_a_truncated_tail_is_named(log):
    _fill(log)
    _raw(log).execute("DELETE FROM audit_entries WHERE seq >= 5")
    result = log.verify(public_key=log.public_key)
    assert not result.ok
    assert "truncated" in result.problems[0].message and result.first_bad_seq == 5


def test_a_rewritten_tail_fails_against_the_signed_checkpoint(log, tmp_path):
    _fill(log)
    conn = _raw(log)
    conn.execute("DELETE FROM audit_entries WHERE seq >= 5")
    conn.close()
    # The attacker re-appends a consistent chain; without the key they cannot sign checkpoints.
    with EvidenceLog(str(log.url.path), signing_key=None) as forged:
        forged.append(SUBJECT, "accuracy", 0.99)
        forged.append(SUBJECT, "accuracy", 0.99)
    result = log.verify(public_key=log.public_key)
    assert not result.ok
    assert result.first_bad_seq == 5 and "signed checkpoint" in result.problems[0].message


def test_truncation_with_checkpoints_removed_fails_against_an_anchor(log):
    _fill(log)
    anchor = log.latest_checkpoint()
    conn = _raw(log)
    conn.execute("DELETE FROM audit_entries WHERE seq >= 5")
    conn.execute("DELETE FROM audit_checkpoints WHERE seq >= 5")
    assert log.verify(public_key=log.public_key).ok  # undetectable from inside alone
    result = log.verify(public_key=log.public_key, anchors=[anchor])
    assert not result.ok and "truncated" in result.problems[0].message


def test_a_forged_checkpoint_signature_is_reported(log):
    _fill(log)
    _raw(log).execute("UPDATE audit_checkpoints SET signature = ? WHERE seq = 6", ("AAAA",))
    result = log.verify(public_key=log.public_key)
    assert not result.ok and "signature invalid" in result.problems[0].message


def test_an_anchor_from_another_log_is_refused(log, tmp_path):
    _fill(log, 1)
    with EvidenceLog(
        str(tmp_path / "other.db"), signing_key=write_private_key(tmp_path / "o")
    ) as other:
        other.append(SUBJECT, "m", 1)
        foreign = other.latest_checkpoint()
    result = log.verify(anchors=[foreign])
    assert not result.ok and "belongs to log" in result.problems[0].message


def test_subject_parse_and_render_round_trip():
    subject = Subject.parse("model=credit-risk, version=3,environment=prod")
    assert subject == Subject(model="credit-risk", version="3", environment="prod")
    assert Subject.parse(subject.render()) == subject
    for bad in ("model", "team=x", "model=a,model=b", "model="):
        with pytest.raises(BadInputError):
            Subject.parse(bad)
