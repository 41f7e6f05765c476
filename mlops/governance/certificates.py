"""Certification (stage 5): a registry of signed certificates per model version and scope.

A certificate is issued only when the newest verdict of every gate in its scope passed for that
model version; it carries the rules those verdicts evaluated (the quality goals) and is signed
with the certification body's own Ed25519 key, never the log's (the auditee's): the body is
independent, and auditors trust its key through the repository's audit/config.yaml. A
certificate expires (`expires_at`) and must be re-tested: without a passing verdict of its gates
within `retest_days`, its status is `retest-due`. After issue, every new measurement of that
model version is checked against its rules, and every new verdict of a gate in scope must still
pass: a violation revokes the certificate automatically, in the same transaction as the entry
that breaches it, so it is revoked exactly once and the append that caused it is acknowledged
normally. Issue and revocation are evidence entries (kind `certificate`), so the registry is
part of the hash chain; its state is a fold over those entries.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

from mlops.config.environment import AUDIT_CERTIFICATION_KEY_FILE
from mlops.errors import BadInputError, CheckFailedError
from mlops.governance import keys
from mlops.governance.entry import TIME_FORMAT, Entry, Subject, canonical_json, now_text
from mlops.governance.log import EvidenceLog, NewEntry
from mlops.governance.quality import VERDICT_PREFIX, Rule, holds, verdict_of

ISSUED = "certificate.issued"
REVOKED = "certificate.revoked"
VALID_DAYS = 365
RETEST_DAYS = 30
Status = Literal["active", "revoked", "expired", "retest-due"]


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def _later(text: str, days: int) -> str:
    return (_parse_time(text) + timedelta(days=days)).strftime(TIME_FORMAT)


class EvidenceRef(BaseModel):
    """A pointer into the chain: sequence number and entry hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    hash: str


class _Signed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: str = ""
    signature: str = ""

    def payload(self) -> bytes:
        """Canonical JSON of every field but the signature: the signed bytes."""
        return canonical_json(self.model_dump(mode="json", exclude={"signature"})).encode()

    def valid_for(self, key: Ed25519PublicKey) -> bool:
        """Offline check: signed by exactly this key, and unchanged since."""
        return self.key_id == keys.key_id(key) and keys.signature_valid(
            key, self.payload(), self.signature
        )


class Certificate(_Signed):
    """A signed statement: this model version met every gate of this scope, under these rules."""

    id: str
    model: str
    version: str
    scope: str
    gates: dict[str, EvidenceRef]
    rules: list[Rule]
    issued_at: str
    expires_at: str
    retest_days: int
    log_id: str
    evidence_head: EvidenceRef


class Revocation(_Signed):
    """A signed statement that a certificate no longer holds, and why."""

    certificate_id: str
    reason: str
    trigger: EvidenceRef | None = None
    revoked_at: str
    automatic: bool


@dataclass
class CertificateStatus:
    """One row of the registry; `last_tested`: the newest passing verdict of a gate in scope."""

    certificate: Certificate
    issued_seq: int
    revocation: Revocation | None = None
    last_tested: str = ""

    @property
    def retest_due_at(self) -> str:
        return _later(self.last_tested or self.certificate.issued_at, self.certificate.retest_days)

    def status_at(self, now: str) -> Status:
        if self.revocation is not None:
            return "revoked"
        if now > self.certificate.expires_at:
            return "expired"
        if now > self.retest_due_at:
            return "retest-due"
        return "active"

    @property
    def status(self) -> Status:
        return self.status_at(now_text())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "issued_seq": self.issued_seq,
            "expires_at": self.certificate.expires_at,
            "retest_due_at": self.retest_due_at,
            "certificate": self.certificate.model_dump(mode="json"),
            "revocation": self.revocation.model_dump(mode="json") if self.revocation else None,
        }


class Certifier:
    """The certification body's registry over one evidence log.

    body_key: the certification body's own signing key (issue, manual revocation); without it
    the registry is read-only and automatic revocations are signed with the log's key."""

    def __init__(self, log: EvidenceLog, body_key: Ed25519PrivateKey | None = None) -> None:
        self.log = log
        self.body_key = body_key
        self._registry: dict[str, CertificateStatus] = {}
        self._seen = {"certificate": 0, "verdict": 0}
        self._lock = threading.Lock()

    def _body(self) -> Ed25519PrivateKey:
        key = self.body_key
        if key is None:
            raise BadInputError(
                "certificates are signed by the certification body's own key; allowed: "
                f"--certification-key or {AUDIT_CERTIFICATION_KEY_FILE.name} (not the log's key)"
            )
        log_key = self.log.public_key
        if log_key is not None and keys.key_id(log_key) == keys.key_id(key.public_key()):
            raise BadInputError(
                "the certification body's key is the log's signing key; allowed: a key of its "
                "own (the body must be independent of the auditee)"
            )
        return key

    @staticmethod
    def _sign(document: _Signed, key: Ed25519PrivateKey) -> None:
        document.key_id = keys.key_id(key.public_key())
        document.signature = keys.sign(key, document.payload())

    def _refresh(self) -> None:
        for kind in ("certificate", "verdict"):
            for entry in self.log.query(kind=kind, after_seq=self._seen[kind]):
                self._seen[kind] = entry.seq
                self._fold(entry)

    def _fold(self, entry: Entry) -> None:
        try:
            if entry.name == ISSUED:
                cert = Certificate.model_validate(entry.value)
                self._registry.setdefault(cert.id, CertificateStatus(cert, entry.seq))
            elif entry.name == REVOKED:
                revocation = Revocation.model_validate(entry.value)
                status = self._registry.get(revocation.certificate_id)
                if status is not None and status.revocation is None:
                    status.revocation = revocation
            elif entry.kind == "verdict":
                verdict = verdict_of(entry)
                for status in self._registry.values():
                    cert = status.certificate
                    if (
                        verdict is not None and verdict.passed and verdict.gate in cert.gates
                        and (entry.subject.model, entry.subject.version) == (cert.model, cert.version)
                        and entry.seq > status.issued_seq
                    ):  # fmt: skip
                        status.last_tested = entry.time
        except ValueError:
            return

    def registry(
        self, model: str | None = None, version: str | None = None
    ) -> list[CertificateStatus]:
        """Every certificate (optionally of one model / version), oldest first."""
        with self.log.locked(), self._lock:
            self._refresh()
            rows = list(self._registry.values())
        return [
            r for r in rows
            if (model is None or r.certificate.model == model)
            and (version is None or r.certificate.version == version)
        ]  # fmt: skip

    def issue(
        self,
        model: str,
        version: str,
        scope: str,
        gates: Iterable[str],
        valid_days: int = VALID_DAYS,
        retest_days: int = RETEST_DAYS,
    ) -> Certificate:
        """Issue when the newest verdict of every gate in scope passed; else CheckFailedError."""
        key = self._body()
        wanted = sorted(set(gates))
        if not wanted:
            raise BadInputError(f"scope {scope!r}: names no gates; allowed: one or more gate names")
        if not 1 <= retest_days <= valid_days <= 3 * 365:
            raise BadInputError(
                f"validity {valid_days} days, re-test every {retest_days} days; allowed: "
                "1 <= re-test interval <= validity <= 1095 days"
            )
        issued: list[Certificate] = []

        def decide() -> list[NewEntry]:
            latest: dict[str, Entry] = {}
            for entry in self.log.query(Subject(model=model, version=version), kind="verdict"):
                verdict = verdict_of(entry)
                if verdict is not None:
                    latest[verdict.gate] = entry
            failing = []
            for gate in wanted:
                entry = latest.get(gate)
                verdict = verdict_of(entry) if entry else None
                if verdict is None:
                    failing.append(f"{gate}: no verdict recorded")
                elif not verdict.passed:
                    failing.append(f"{gate}: failed (entry {entry.seq})")  # type: ignore[union-attr]
            if failing:
                raise CheckFailedError(
                    f"{model} {version}: not certifiable for scope {scope!r}: " + "; ".join(failing)
                )
            rules = [
                rule
                for gate in wanted
                for rule in verdict_of(latest[gate]).rules  # type: ignore[union-attr]
            ]
            head_seq, head_hash = self.log.head()
            now = now_text()
            cert = Certificate(
                id=str(uuid.uuid4()), model=model, version=version, scope=scope,
                gates={g: EvidenceRef(seq=latest[g].seq, hash=latest[g].hash) for g in wanted},
                rules=rules, issued_at=now, expires_at=_later(now, valid_days),
                retest_days=retest_days, log_id=self.log.log_id,
                evidence_head=EvidenceRef(seq=head_seq, hash=head_hash),
            )  # fmt: skip
            self._sign(cert, key)
            issued.append(cert)
            return [
                NewEntry(Subject(model=model, version=version), ISSUED,
                         cert.model_dump(mode="json"), None, "certification-body", None,
                         "certificate")
            ]  # fmt: skip

        self.log.append_decided(decide)
        return issued[0]

    def _revocation(
        self, status: CertificateStatus, reason: str, trigger: Entry | None, automatic: bool
    ) -> tuple[Revocation, NewEntry]:
        revocation = Revocation(
            certificate_id=status.certificate.id, reason=reason[:500], revoked_at=now_text(),
            trigger=EvidenceRef(seq=trigger.seq, hash=trigger.hash) if trigger else None,
            automatic=automatic,
        )  # fmt: skip
        key = self.body_key if self.body_key is not None else self.log.signing_key
        if key is None:
            raise BadInputError("revocation: no key to sign it with")
        self._sign(revocation, key)
        cert = status.certificate
        entry = NewEntry(
            Subject(model=cert.model, version=cert.version), REVOKED,
            revocation.model_dump(mode="json"), None, "certification-body", None, "certificate",
        )  # fmt: skip
        return revocation, entry

    def revoke(self, certificate_id: str, reason: str) -> Revocation:
        """Revoke an active certificate, once (BadInputError when unknown, CheckFailedError when
        already revoked); decided and written under the log's writer lock."""
        self._body()
        made: list[Revocation] = []

        def decide() -> list[NewEntry]:
            status = {r.certificate.id: r for r in self.registry()}.get(certificate_id)
            if status is None:
                raise BadInputError(f"certificate {certificate_id!r}: not in the registry")
            if status.revocation is not None:
                raise CheckFailedError(f"certificate {certificate_id}: already revoked")
            revocation, entry = self._revocation(status, reason, None, False)
            made.append(revocation)
            return [entry]

        self.log.append_decided(decide)
        return made[0]

    def follow_up(self, new_entries: list[Entry]) -> list[NewEntry]:
        """The revocations that newly appended entries cause (for `append_many(follow_up=...)`,
        which calls this under the writer lock, so each certificate is revoked exactly once)."""
        relevant = [e for e in new_entries if e.kind in ("measurement", "verdict")]
        if not relevant or (self.body_key is None and self.log.signing_key is None):
            return []
        revocations = []
        for status in self.registry():
            if status.revocation is not None:
                continue
            for entry in relevant:
                reason = violation(status, entry)
                if reason is not None:
                    revocations.append(self._revocation(status, reason, entry, True)[1])
                    break
        return revocations

    def sweep(self) -> list[str]:
        """Re-check every active certificate against all evidence after it (e.g. at start-up);
        returns the ids revoked now."""
        revoked: list[str] = []

        def decide() -> list[NewEntry]:
            found = []
            for status in self.registry():
                if status.revocation is not None:
                    continue
                cert = status.certificate
                later = self.log.query(
                    Subject(model=cert.model, version=cert.version), after_seq=status.issued_seq
                )
                for entry in later:
                    reason = violation(status, entry)
                    if reason is not None and entry.kind in ("measurement", "verdict"):
                        found.append(self._revocation(status, reason, entry, True)[1])
                        revoked.append(cert.id)
                        break
            return found

        self.log.append_decided(decide)
        return revoked


def violation(status: CertificateStatus, entry: Entry) -> str | None:
    """Why `entry` breaks the certificate, or None when it does not concern or break it."""
    cert = status.certificate
    if entry.seq <= status.issued_seq:
        return None
    if entry.subject.model != cert.model or entry.subject.version != cert.version:
        return None
    if entry.kind == "verdict" and entry.name.removeprefix(VERDICT_PREFIX) in cert.gates:
        verdict = verdict_of(entry)
        if verdict is not None and not verdict.passed:
            return f"gate {verdict.gate} failed at entry {entry.seq}"
    if entry.kind == "measurement":
        for rule in cert.rules:
            if rule.measurement == entry.name and not holds(rule.op, entry.value, rule.required):
                return (
                    f"{entry.name} = {entry.value!r} at entry {entry.seq} violates "
                    f"{rule.measurement} {rule.op} {rule.required!r}"
                )
    return None


def verify_certificate(
    document: dict[str, Any], trusted: dict[str, Ed25519PublicKey], now: str | None = None
) -> Certificate:
    """Offline check of a certificate document against the certification body's trusted keys;
    CheckFailedError when altered, signed by another key, or expired."""
    try:
        cert = Certificate.model_validate(document)
    except ValueError as error:
        raise BadInputError(f"certificate: not a certificate document: {error}") from None
    key = trusted.get(cert.key_id)
    if key is None or not cert.valid_for(key):
        raise CheckFailedError(
            f"certificate {cert.id}: signature invalid for the trusted certification body keys "
            f"({', '.join(trusted) or 'none'}): altered, or signed by another key"
        )
    if (now or now_text()) > cert.expires_at:
        raise CheckFailedError(f"certificate {cert.id}: expired at {cert.expires_at}")
    return cert
