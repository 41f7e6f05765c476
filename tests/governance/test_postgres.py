"""The same log code against a real PostgreSQL; runs only when MLOPS_TEST_POSTGRES_URL is set.

Each test works in a fresh schema (search_path set through the connection URL) dropped afterwards,
so the suite can point at a shared CI database.
"""

import os
import threading
import uuid
from urllib.parse import quote

import pytest

from mlops.governance.entry import Subject
from mlops.governance.keys import write_private_key
from mlops.governance.log import EvidenceLog, NewEntry

POSTGRES_URL = os.environ.get("MLOPS_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="MLOPS_TEST_POSTGRES_URL not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)",
)


@pytest.fixture
def pg_url():
    import psycopg

    schema = f"audit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


def test_append_query_verify_and_tamper_detection_on_postgres(pg_url, tmp_path):
    import psycopg

    key = write_private_key(tmp_path / "key.pem")
    subject = Subject(model="credit-risk", version="3")
    with EvidenceLog(pg_url, signing_key=key) as log:
        first = log.append(subject, "accuracy", 0.91, "ratio", "train")
        batch = log.append_many([NewEntry(subject, "step", i) for i in range(20)])
        assert log.query(subject, name="accuracy") == [first]
        assert [e.seq for e in batch] == list(range(2, 22))
        assert log.verify(public_key=key.public_key(), all_signatures=True).ok
        with psycopg.connect(pg_url, autocommit=True) as conn:
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute("UPDATE audit_entries SET value = '1' WHERE seq = 5")
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute("TRUNCATE audit_entries")
            conn.execute("ALTER TABLE audit_entries DISABLE TRIGGER USER")
            conn.execute("UPDATE audit_entries SET value = '1' WHERE seq = 5")
        assert log.verify(public_key=key.public_key()).first_bad_seq == 5


def test_concurrent_writers_on_postgres_make_one_chain(pg_url, tmp_path):
    key = write_private_key(tmp_path / "key.pem")
    EvidenceLog(pg_url, signing_key=key).close()  # create the schema once
    errors = []

    def write(name: str) -> None:
        try:
            with EvidenceLog(pg_url, signing_key=key) as log:
                for i in range(25):
                    log.append(Subject(run=name), "step", i, None, name)
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with EvidenceLog(pg_url, signing_key=key) as log:
        result = log.verify(public_key=key.public_key())
        assert result.ok and result.entries == 200, result.problems
