"""Certification: issued when all gates of a scope pass, verified offline, auto-revoked."""

import json

import pytest

from mlops.errors import BadInputError, CheckFailedError
from mlops.governance.certificates import verify_certificate
from mlops.governance.client import EmbeddedAuditClient, Subject
from mlops.governance.keys import key_id, write_private_key
from mlops.governance.quality import Verdict, evaluate, record_verdict

V3 = Subject(model="credit-risk", version="3", environment="int")


@pytest.fixture
def client(tmp_path):
    write_private_key(tmp_path / "key.pem")
    write_private_key(tmp_path / "body.pem")
    c = EmbeddedAuditClient(f"sqlite:///{tmp_path}/audit.db", key_file=tmp_path / "key.pem",
                            certification_key=tmp_path / "body.pem")  # fmt: skip
    yield c
    c.close()


def _trusted(client: EmbeddedAuditClient) -> dict:
    body = client.certifier.body_key.public_key()
    return {key_id(body): body}


def _pass_gates(client: EmbeddedAuditClient) -> None:
    client.append(V3, "accuracy", 0.91, "ratio", "train")
    client.append(V3, "latency_p99", 40, "ms", "loadtest")
    verdict, used = evaluate("quality", [("accuracy", ">=", 0.85)], client.query(V3))
    assert verdict.passed
    record_verdict(client, V3, verdict, used, {"gate-file": "sha256:" + "cd" * 32})
    verdict, used = evaluate("slo", [("latency_p99", "<=", 100)], client.query(V3))
    record_verdict(client, V3, verdict, used)


def test_verdict_cites_the_digests_of_its_inputs(client):
    measured = client.append(V3, "accuracy", 0.7, "ratio", "train")
    verdict, used = evaluate("quality", [("accuracy", ">=", 0.85), ("auc", ">=", 0.8)], [measured])
    assert not verdict.passed
    assert [r.passed for r in verdict.rules] == [False, False]  # auc: no evidence fails
    entry = record_verdict(client, V3, verdict, used, {"gate-file": "sha256:" + "cd" * 32})
    assert entry.kind == "verdict" and entry.name == "gate.quality"
    assert entry.artifacts == {
        f"evidence:{measured.seq}": f"sha256:{measured.hash}",
        "gate-file": "sha256:" + "cd" * 32,
    }
    assert Verdict.model_validate(entry.value).rules[0].actual == 0.7


def test_certificate_issued_verified_offline_and_revoked_on_violation(client, tmp_path):
    certifier = client.certifier
    _pass_gates(client)
    cert = certifier.issue("credit-risk", "3", "eu-ai-act-high-risk", ["quality", "slo"])
    public = client.log.public_key
    trusted = _trusted(client)
    assert cert.key_id != key_id(public)  # the body's key, not the auditee's log key
    document = json.loads(json.dumps(cert.model_dump(mode="json")))  # as written to a file
    assert verify_certificate(document, trusted).id == cert.id
    tampered = {**document, "version": "4"}
    with pytest.raises(CheckFailedError, match="signature invalid"):
        verify_certificate(tampered, trusted)
    with pytest.raises(CheckFailedError):  # the log's own key does not vouch for certificates
        verify_certificate(document, {key_id(public): public})
    assert [s.status for s in certifier.registry("credit-risk", "3")] == ["active"]

    client.append(V3, "accuracy", 0.95, "ratio", "monitoring")  # still fine
    assert certifier.registry()[0].status == "active"
    client.append(Subject(model="credit-risk", version="2"), "accuracy", 0.1)  # other version
    assert certifier.registry()[0].status == "active"
    bad = client.append(V3, "accuracy", 0.80, "ratio", "monitoring")
    (status,) = certifier.registry()
    assert status.status == "revoked"
    assert status.revocation.automatic and status.revocation.trigger.seq == bad.seq
    assert status.revocation.valid_for(client.certifier.body_key.public_key())
    assert "accuracy" in status.revocation.reason
    assert client.log.verify(public_key=public).ok


def test_a_failing_later_verdict_revokes(client):
    _pass_gates(client)
    client.certifier.issue("credit-risk", "3", "s", ["slo"])
    record_verdict(client, V3, Verdict(gate="slo", passed=False))
    assert client.certifier.registry()[0].status == "revoked"


def test_not_certifiable_when_a_gate_is_missing_or_failed(client):
    _pass_gates(client)
    with pytest.raises(CheckFailedError, match="fairness: no verdict"):
        client.certifier.issue("credit-risk", "3", "s", ["quality", "fairness"])
    record_verdict(client, V3, Verdict(gate="quality", passed=False))
    with pytest.raises(CheckFailedError, match="quality: failed"):
        client.certifier.issue("credit-risk", "3", "s", ["quality"])
    with pytest.raises(BadInputError):
        client.certifier.issue("credit-risk", "3", "s", [])
    assert client.certifier.registry() == []


def test_manual_revocation_and_sweep(client):
    _pass_gates(client)
    cert = client.certifier.issue("credit-risk", "3", "s", ["quality"])
    client.certifier.revoke(cert.id, "withdrawn by the certification body")
    with pytest.raises(CheckFailedError, match="already revoked"):
        client.certifier.revoke(cert.id, "again")
    with pytest.raises(BadInputError):
        client.certifier.revoke("nope", "x")
    second = client.certifier.issue("credit-risk", "3", "s", ["quality"])
    client.log.append(V3, "accuracy", 0.5)  # bypasses enforcement, e.g. a crash in between
    assert {s.certificate.id: s.status for s in client.certifier.registry()}[second.id] == "active"
    assert client.certifier.sweep() == [second.id]
    assert client.certifier.sweep() == []


def test_certificate_entries_cannot_be_appended_by_clients(client):
    with pytest.raises(BadInputError):
        client.append(V3, "certificate.issued", {}, kind="certificate")


def test_the_body_must_hold_its_own_key(tmp_path):
    write_private_key(tmp_path / "key.pem")
    db = f"sqlite:///{tmp_path}/audit.db"
    for body in (None, tmp_path / "key.pem"):  # none, or the log's own key
        c = EmbeddedAuditClient(db, key_file=tmp_path / "key.pem", certification_key=body)
        try:
            _pass_gates(c)
            with pytest.raises(BadInputError, match="certification body"):
                c.certifier.issue("credit-risk", "3", "s", ["quality"])
        finally:
            c.close()


def test_certificates_expire_and_fall_due_for_retest(client):
    _pass_gates(client)
    cert = client.certifier.issue(
        "credit-risk", "3", "s", ["quality"], valid_days=10, retest_days=2
    )
    (status,) = client.certifier.registry()
    assert cert.expires_at > cert.issued_at and status.status == "active"
    day = 86_400
    later = lambda days: _shift(cert.issued_at, days * day)  # noqa: E731
    assert status.status_at(later(3)) == "retest-due"
    assert status.status_at(later(11)) == "expired"
    document = cert.model_dump(mode="json")
    with pytest.raises(CheckFailedError, match="expired"):
        verify_certificate(document, _trusted(client), now=later(11))
    record_verdict(client, V3, Verdict(gate="quality", passed=True))  # a re-test
    (status,) = client.certifier.registry()
    assert status.last_tested > cert.issued_at and status.retest_due_at > later(2)


def _shift(text: str, seconds: int) -> str:
    from datetime import UTC, datetime, timedelta

    from mlops.governance.entry import TIME_FORMAT

    moment = datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.strftime(TIME_FORMAT)


def test_concurrent_breaches_revoke_exactly_once_and_every_append_is_acknowledged(client, tmp_path):
    """Many writers (threads here, processes in test_concurrency) breaching one certificate at
    once: each append succeeds, and exactly one revocation is written."""
    import threading

    _pass_gates(client)
    client.certifier.issue("credit-risk", "3", "s", ["quality"])
    others = [
        EmbeddedAuditClient(f"sqlite:///{tmp_path}/audit.db", key_file=tmp_path / "key.pem",
                            certification_key=tmp_path / "body.pem")
        for _ in range(4)
    ]  # fmt: skip
    results, errors = [], []

    def breach(c: EmbeddedAuditClient) -> None:
        try:
            results.append(c.append(V3, "accuracy", 0.5, "ratio", "monitoring"))
        except Exception as error:  # collected, asserted below
            errors.append(error)

    threads = [threading.Thread(target=breach, args=(c,)) for c in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for c in others:
        c.close()
    assert errors == [] and len(results) == 4
    revocations = client.query(kind="certificate", name="certificate.revoked")
    assert len(revocations) == 1
    stored = {e.seq for e in client.query(name="accuracy")}
    assert {r.seq for r in results} <= stored
