"""The producers' client: the embedded implementation and the URL factory."""

from datetime import UTC, datetime, timedelta

import pytest

from mlops.errors import BadInputError
from mlops.governance.client import (
    AuditClient,
    EmbeddedAuditClient,
    HttpAuditClient,
    Subject,
    audit_client_from_url,
)


def test_factory_picks_the_implementation_by_url(tmp_path):
    embedded = audit_client_from_url(f"sqlite:///{tmp_path}/a.db")
    http = audit_client_from_url("http://127.0.0.1:9", token="t")
    assert isinstance(embedded, EmbeddedAuditClient) and isinstance(embedded, AuditClient)
    assert isinstance(http, HttpAuditClient) and isinstance(http, AuditClient)
    embedded.close()
    http.close()
    with pytest.raises(BadInputError, match="allowed"):
        audit_client_from_url("ftp://x")


def test_embedded_client_appends_and_queries(tmp_path):
    client = audit_client_from_url(f"sqlite:///{tmp_path}/a.db")
    subject = Subject(model="credit-risk", version="3")
    entry = client.append(subject, "accuracy", 0.9, unit="ratio", source="train")
    verdict = client.append(subject, "gate.int", {"passed": True}, source="gate", kind="verdict")
    assert client.query(subject) == [entry, verdict]
    assert client.query(subject, kind="verdict") == [verdict]
    assert client.query(name="accuracy", since=datetime.now(UTC) - timedelta(minutes=1)) == [entry]
    assert client.query(until=datetime.now(UTC) - timedelta(days=1)) == []
    assert (tmp_path / "a.db.key.pem").stat().st_mode & 0o077 == 0  # key file owner-only
    client.close()


def test_the_token_comes_from_a_file_where_the_variable_is_unset(tmp_path, monkeypatch):
    """A Secret mounted as a file (the evidence collector's CronJob), not an environment
    variable; an explicit token wins; an empty file is bad input."""
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    monkeypatch.setenv("MLOPS_AUDIT_TOKEN_FILE", str(token))
    client = audit_client_from_url("http://127.0.0.1:9")
    assert client._http.headers["Authorization"] == "Bearer s3cret"
    explicit = audit_client_from_url("http://127.0.0.1:9", "given")
    assert explicit._http.headers["Authorization"] == "Bearer given"
    token.write_text("")
    with pytest.raises(BadInputError, match=r"MLOPS_AUDIT_TOKEN_FILE=.*: empty"):
        audit_client_from_url("http://127.0.0.1:9")
