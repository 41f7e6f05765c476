"""Certification: issued when all gates of a scope pass, verified offline, auto-revoked."""

import json

import pytest

from mlops.errors import BadInputError, CheckFailedError
from mlops.governance.certificates import verify_certificate
from mlops.governance.client import EmbeddedAuditClient, Subject
from mlops.governance.keys import write_private_key
from mlops.governance.quality import Verdict, evaluate, record_verdict

V3 = Subject(model="credit-risk", version="3", environment="int")


@pytest.fixture
def client(tmp_path):
    write_private_key(tmp_path / "key.pem")
    c = EmbeddedAuditClient(f"sqlite:///{tmp_path}/audit.db", key_file=tmp_path / "key.pem")
    yield c
    c.close()


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
    document = json.loads(json.dumps(cert.model_dump(mode="json")))  # as written to a file
    assert verify_certificate(document, public).id == cert.id
    tampered = {**document, "version": "4"}
    with pytest.raises(CheckFailedError, match="signature invalid"):
        verify_certificate(tampered, public)
    other = write_private_key(tmp_path / "other.pem").public_key()
    with pytest.raises(CheckFailedError):
        verify_certificate(document, other)
    assert [s.status for s in certifier.registry("credit-risk", "3")] == ["active"]

    client.append(V3, "accuracy", 0.95, "ratio", "monitoring")  # still fine
    assert certifier.registry()[0].status == "active"
    client.append(Subject(model="credit-risk", version="2"), "accuracy", 0.1)  # other version
    assert certifier.registry()[0].status == "active"
    bad = client.append(V3, "accuracy", 0.80, "ratio", "monitoring")
    (status,) = certifier.registry()
    assert status.status == "revoked"
    assert status.revocation.automatic and status.revocation.trigger.seq == bad.seq
    assert status.revocation.valid_for(public)
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
    assert [r.certificate_id for r in client.certifier.sweep()] == [second.id]


def test_certificate_entries_cannot_be_appended_by_clients(client):
    with pytest.raises(BadInputError):
        client.append(V3, "certificate.issued", {}, kind="certificate")
