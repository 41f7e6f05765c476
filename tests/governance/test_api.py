"""The Audit API: roles, limits, append-only surface, the five stages over HTTP."""

import json

import pytest
from fastapi.testclient import TestClient

from mlops.governance.api import create_app
from mlops.governance.auth import Role, token_digest
from mlops.governance.entry import Subject
from mlops.governance.keys import load_public_pem, write_private_key
from mlops.governance.log import EvidenceLog
from mlops.governance.openapi import render_openapi

TOKENS = {"auditee": "t-auditee", "auditor": "t-auditor", "cb": "t-cb"}
SUBJECT = {"model": "credit-risk", "version": "3", "environment": "int"}


def _h(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


@pytest.fixture
def setup(tmp_path):
    key = write_private_key(tmp_path / "key.pem")
    body = write_private_key(tmp_path / "body.pem")
    log = EvidenceLog(str(tmp_path / "audit.db"), signing_key=key)
    tokens = {
        token_digest(TOKENS["auditee"]): frozenset({Role.AUDITEE}),
        token_digest(TOKENS["auditor"]): frozenset({Role.AUDITOR}),
        token_digest(TOKENS["cb"]): frozenset({Role.CERTIFICATION_BODY}),
    }
    with TestClient(create_app(log, tokens, max_body=4096, certification_key=body)) as client:
        yield client, log
    log.close()


def _entry(**over):
    return {"subject": SUBJECT, "name": "accuracy", "value": 0.91, "unit": "ratio",
            "source": "train", **over}  # fmt: skip


def test_health_and_public_key_are_open(setup):
    client, log = setup
    assert client.get("/healthz").json() == {"status": "ok"}
    key = client.get("/v1/public-key").json()
    assert load_public_pem(key["pem"]).public_bytes_raw() == log.public_key.public_bytes_raw()


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer nope"}, 401), ({"Authorization": "Basic x"}, 401),
     (_h("auditor"), 403), (_h("cb"), 403)],
)  # fmt: skip
def test_append_needs_the_auditee_role_and_refusals_write_nothing(setup, headers, status):
    client, log = setup
    response = client.post("/v1/entries", json=_entry(), headers=headers)
    assert response.status_code == status
    assert log.head()[0] == 0


@pytest.mark.parametrize(
    ("method", "path", "who", "status"),
    [("get", "/v1/entries", None, 401), ("get", "/v1/entries", "auditee", 403),
     ("get", "/v1/verify", "auditee", 403), ("get", "/v1/report", "auditee", 403),
     ("get", "/v1/export", None, 401), ("post", "/v1/certificates", "auditor", 403),
     ("post", "/v1/certificates", "auditee", 403), ("post", "/v1/certificates/x/revoke", None, 401)],
)  # fmt: skip
def test_reads_and_certification_need_their_roles(setup, method, path, who, status):
    client, log = setup
    headers = _h(who) if who else {}
    body = {"model": "m", "version": "1", "scope": "s", "gates": ["g"], "reason": "r"}
    kwargs = {"json": body} if method == "post" else {}
    assert getattr(client, method)(path, headers=headers, **kwargs).status_code == status
    assert log.head()[0] == 0


def test_verdicts_need_the_auditor_role(setup):
    client, log = setup
    verdict = _entry(name="gate.quality", value={"gate": "quality", "passed": True}, kind="verdict")
    assert client.post("/v1/entries", json=verdict, headers=_h("auditee")).status_code == 403
    assert client.post("/v1/entries", json=verdict, headers=_h("auditor")).status_code == 201
    assert (
        client.post(
            "/v1/entries", json=_entry(kind="certificate"), headers=_h("auditor")
        ).status_code
        == 422
    )
    assert log.head()[0] == 1


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"subject": {}, "name": "x"}', b'{"subject": {"team": "x"}, "name": "x", "value": 1}',
     b'{"subject": {}, "name": "x", "value": NaN}', b'{"subject": {}, "name": "bad name", "value": 1}',
     b'{"subject": {}, "name": "x", "value": 1, "artifacts": {"m": "md5"}}', b"[]",
     b'{"subject": {}, "name": "x", "value": 1, "seq": 7}'],
)  # fmt: skip
def test_malformed_payloads_get_4xx_and_write_nothing(setup, body):
    client, log = setup
    headers = {**_h("auditee"), "Content-Type": "application/json"}
    response = client.post("/v1/entries", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert log.head()[0] == 0


def test_oversized_payloads_get_413_and_write_nothing(setup):
    client, log = setup
    big = _entry(value="x" * 5000)
    assert client.post("/v1/entries", json=big, headers=_h("auditee")).status_code == 413

    def chunks():
        yield json.dumps(big).encode()[:3000]
        yield json.dumps(big).encode()[3000:]

    response = client.post(
        "/v1/entries",
        content=chunks(),
        headers={**_h("auditee"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert log.head()[0] == 0


def test_no_route_updates_or_deletes_evidence(setup):
    client, _ = setup
    document = json.loads(render_openapi())
    methods = {m for path in document["paths"].values() for m in path}
    assert methods <= {"get", "post"}
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/v1/entries", headers=_h("auditee")).status_code == 405


def test_committed_openapi_document_is_current():
    from mlops.cli.audit import OPENAPI_PATH

    assert OPENAPI_PATH.read_text(encoding="utf-8") == render_openapi(), "run `mlops audit openapi`"


def test_append_query_page_verify_export(setup):
    client, _ = setup
    first = client.post("/v1/entries", json=_entry(), headers=_h("auditee")).json()
    batch = {"entries": [_entry(value=0.9 + i / 1000) for i in range(5)]}
    assert client.post("/v1/entries/batch", json=batch, headers=_h("auditee")).status_code == 201
    page = client.get(
        "/v1/entries", params={"model": "credit-risk", "limit": 4}, headers=_h("auditor")
    ).json()
    assert [e["seq"] for e in page["entries"]] == [1, 2, 3, 4] and page["next_after"] == 4
    rest = client.get("/v1/entries", params={"after": 4}, headers=_h("auditor")).json()
    assert [e["seq"] for e in rest["entries"]] == [5, 6] and rest["next_after"] is None
    assert page["entries"][0] == first
    assert client.get("/v1/verify", headers=_h("auditor")).json()["ok"] is True
    csv_text = client.get("/v1/export", params={"format": "csv"}, headers=_h("auditor")).text
    assert (
        csv_text.splitlines()[0].startswith("seq,time,kind,model")
        and len(csv_text.splitlines()) == 7
    )
    exported = client.get("/v1/export", headers=_h("auditor")).json()
    assert exported["checkpoint"]["seq"] == 6 and len(exported["entries"]) == 6
    html = client.get("/v1/report", headers=_h("cb")).text
    assert "<svg" in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    card = client.get(
        "/v1/quality-record",
        params={"model": "credit-risk", "version": "3", "format": "markdown"},
        headers=_h("auditor"),
    )
    assert "| int | accuracy |" in card.text
    assert (
        client.get("/v1/entries", params={"since": "yesterday"}, headers=_h("auditor")).status_code
        == 400
    )


def test_certificate_lifecycle_over_http(setup):
    client, _ = setup
    client.post("/v1/entries", json=_entry(), headers=_h("auditee"))
    verdict = {"gate": "quality", "passed": True,
               "rules": [{"measurement": "accuracy", "op": ">=", "required": 0.85, "actual": 0.91, "passed": True}]}  # fmt: skip
    client.post(
        "/v1/entries",
        json=_entry(name="gate.quality", value=verdict, kind="verdict"),
        headers=_h("auditor"),
    )
    issue = {"model": "credit-risk", "version": "3", "scope": "s", "gates": ["quality", "slo"]}
    assert client.post("/v1/certificates", json=issue, headers=_h("cb")).status_code == 409
    issue["gates"] = ["quality"]
    cert = client.post("/v1/certificates", json=issue, headers=_h("cb")).json()
    assert client.get("/v1/certificates").json()[0]["status"] == "active"  # public registry
    client.post("/v1/entries", json=_entry(value=0.5), headers=_h("auditee"))
    (row,) = client.get("/v1/certificates", params={"model": "credit-risk"}).json()
    assert row["certificate"]["id"] == cert["id"] and row["status"] == "revoked"
    assert row["revocation"]["automatic"] is True
    again = client.post(
        f"/v1/certificates/{cert['id']}/revoke", json={"reason": "x"}, headers=_h("cb")
    )
    assert again.status_code == 409


def test_a_retried_append_with_its_idempotency_key_is_stored_once(setup):
    client, log = setup
    headers = {**_h("auditee"), "Idempotency-Key": "req-1"}
    first = client.post("/v1/entries", json=_entry(), headers=headers)
    again = client.post("/v1/entries", json=_entry(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and log.head()[0] == 1
    other = client.post("/v1/entries", json=_entry(value=0.5), headers=headers)
    assert other.status_code == 409 and log.head()[0] == 1
    bad = client.post(
        "/v1/entries", json=_entry(), headers={**_h("auditee"), "Idempotency-Key": "a b"}
    )
    assert bad.status_code == 422 and log.head()[0] == 1


def test_a_breach_is_acknowledged_and_revokes_in_the_same_transaction(setup):
    client, log = setup
    client.post("/v1/entries", json=_entry(), headers=_h("auditee"))
    verdict = {"gate": "quality", "passed": True,
               "rules": [{"measurement": "accuracy", "op": ">=", "required": 0.85, "actual": 0.91, "passed": True}]}  # fmt: skip
    client.post("/v1/entries", json=_entry(name="gate.quality", value=verdict, kind="verdict"),
                headers=_h("auditor"))  # fmt: skip
    issue = {"model": "credit-risk", "version": "3", "scope": "s", "gates": ["quality"]}
    assert client.post("/v1/certificates", json=issue, headers=_h("cb")).status_code == 201
    checkpoints = log.latest_checkpoint().seq
    breach = client.post("/v1/entries", json=_entry(value=0.5), headers=_h("auditee"))
    assert breach.status_code == 201
    revocation = log.query(kind="certificate", name="certificate.revoked")
    assert len(revocation) == 1 and revocation[0].seq == breach.json()["seq"] + 1
    assert log.latest_checkpoint().seq == revocation[0].seq > checkpoints  # one transaction
    assert (
        client.post("/v1/entries", json=_entry(value=0.4), headers=_h("auditee")).status_code == 201
    )
    assert len(log.query(kind="certificate", name="certificate.revoked")) == 1


def test_out_of_range_query_parameters_are_refused_not_a_server_error(setup):
    client, _ = setup
    client.post("/v1/entries", json=_entry(), headers=_h("auditee"))
    for params in ({"after": str(2**64)}, {"after": "-1"}, {"limit": "0"}, {"since": "yesterday"}):
        response = client.get("/v1/entries", params=params, headers=_h("auditor"))
        assert response.status_code in (400, 422), (params, response.status_code)


def test_public_quality_record_shows_what_the_configuration_makes_public(tmp_path):
    from mlops.governance.api import PublicRecords

    log = EvidenceLog(str(tmp_path / "audit.db"), signing_key=write_private_key(tmp_path / "k.pem"))
    log.append(Subject(**SUBJECT), "accuracy", 0.91, "ratio", "train")
    public = PublicRecords(models=frozenset({"credit-risk"}), sections=frozenset({"gates"}))
    with TestClient(create_app(log, {}, public=public)) as client:
        shown = client.get(
            "/v1/public/quality-record", params={"model": "credit-risk", "version": "3"}
        )
        assert shown.status_code == 200  # no token
        assert set(shown.json()) == {"model", "version", "generated_at", "checkpoint", "gates"}
        hidden = client.get("/v1/public/quality-record", params={"model": "other", "version": "1"})
        assert hidden.status_code == 404
    log.close()


@pytest.mark.parametrize(
    "entry",
    [_entry(source="\ud800"), _entry(unit="x\udfff"), _entry(artifacts={"\ud800": "sha256:" + "ab" * 32}),
     _entry(subject={**SUBJECT, "run": "\ud800"}), _entry(value={"k": "\ud800"})],
    ids=["source", "unit", "artifact-key", "subject", "value"],
)  # fmt: skip
def test_lone_surrogates_are_bad_input_not_a_server_error(setup, entry):
    client, log = setup
    body = json.dumps(entry)  # JSON escapes carry the lone surrogate as \\ud800
    response = client.post(
        "/v1/entries", content=body, headers={**_h("auditee"), "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422) and log.head()[0] == 0
