"""Certification (stage 5): a registry of signed certificates per model version and scope.

A certificate is issued only when the newest verdict of every gate in its scope passed for that
model version; it carries the rules those verdicts evaluated (the quality goals) and is signed
with Ed25519, so anyone holding the public key can check it offline. After issue, every new
measurement of that model version is checked against those rules, and every new verdict of a
gate in scope must still pass: a violation revokes the certificate automatically, with a signed
revocation naming the entry that caused it. Issue and revocation are themselves evidence
entries (kind `certificate`), so the registry is part of the hash chain and cannot be silently
edited; the registry's state is a fold over those entries.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

from mlops.config import environment as settings
from mlops.errors import BadInputError, CheckFailedError
from mlops.governance import keys
from mlops.governance.entry import Entry, Subject, canonical_json, now_text
from mlops.governance.log import EvidenceLog
from mlops.governance.quality import VERDICT_PREFIX, Rule, holds, verdict_of

ISSUED = "certificate.issued"
REVOKED = "certificate.revoked"


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
    """One row of the registry."""

    certificate: Certificate
    issued_seq: int
    revocation: Revocation | None = None

    @property
    def status(self) -> Literal["active", "revoked"]:
        return "active" if self.revocation is None else "revoked"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "issued_seq": self.issued_seq,
            "certificate": self.certificate.model_dump(mode="json"),
            "revocation": self.revocation.model_dump(mode="json") if self.revocation else None,
        }


class Certifier:
    """The certification body's registry over one evidence log (needs the log's signing key)."""

    def __init__(self, log: EvidenceLog) -> None:
        self.log = log
        self._registry: dict[str, CertificateStatus] = {}
        self._seen = 0
        self._lock = threading.Lock()

    def _key(self) -> Ed25519PrivateKey:
        key = self.log.signing_key
        if key is None:
            raise BadInputError(
                f"certificates need a signing key; allowed: set {settings.AUDIT_SIGNING_KEY_FILE.name} or --key"
            )
        return key

    def _sign(self, document: _Signed) -> None:
        key = self._key()
        document.key_id = keys.key_id(key.public_key())
        document.signature = keys.sign(key, document.payload())

    def _refresh(self) -> None:
        for entry in self.log.query(kind="certificate", after_seq=self._seen):
            self._seen = entry.seq
            try:
                if entry.name == ISSUED:
                    cert = Certificate.model_validate(entry.value)
                    self._registry.setdefault(cert.id, CertificateStatus(cert, entry.seq))
                elif entry.name == REVOKED:
                    revocation = Revocation.model_validate(entry.value)
                    status = self._registry.get(revocation.certificate_id)
                    if status is not None and status.revocation is None:
                        status.revocation = revocation
            except ValueError:
                continue

    def registry(
        self, model: str | None = None, version: str | None = None
    ) -> list[CertificateStatus]:
        """Every certificate (optionally of one model / version), oldest first."""
        with self._lock:
            self._refresh()
            rows = list(self._registry.values())
        return [
            r for r in rows
            if (model is None or r.certificate.model == model)
            and (version is None or r.certificate.version == version)
        ]  # fmt: skip

    def issue(self, model: str, version: str, scope: str, gates: Iterable[str]) -> Certificate:
        """Issue when the newest verdict of every gate in scope passed; else CheckFailedError."""
        wanted = sorted(set(gates))
        if not wanted:
            raise BadInputError(f"scope {scope!r}: names no gates; allowed: one or more gate names")
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
        cert = Certificate(
            id=str(uuid.uuid4()), model=model, version=version, scope=scope,
            gates={g: EvidenceRef(seq=latest[g].seq, hash=latest[g].hash) for g in wanted},
            rules=rules, issued_at=now_text(), log_id=self.log.log_id,
            evidence_head=EvidenceRef(seq=head_seq, hash=head_hash),
        )  # fmt: skip
        self._sign(cert)
        self.log.append(
            Subject(model=model, version=version), ISSUED, cert.model_dump(mode="json"), None,
            "certification-body", kind="certificate",
        )  # fmt: skip
        return cert

    def revoke(
        self,
        certificate_id: str,
        reason: str,
        trigger: Entry | None = None,
        automatic: bool = False,
    ) -> Revocation:
        """Revoke an active certificate (BadInputError when unknown, CheckFailedError when revoked)."""
        status = {r.certificate.id: r for r in self.registry()}.get(certificate_id)
        if status is None:
            raise BadInputError(f"certificate {certificate_id!r}: not in the registry")
        if status.revocation is not None:
            raise CheckFailedError(f"certificate {certificate_id}: already revoked")
        revocation = Revocation(
            certificate_id=certificate_id, reason=reason[:500], revoked_at=now_text(),
            trigger=EvidenceRef(seq=trigger.seq, hash=trigger.hash) if trigger else None,
            automatic=automatic,
        )  # fmt: skip
        self._sign(revocation)
        cert = status.certificate
        self.log.append(
            Subject(model=cert.model, version=cert.version), REVOKED,
            revocation.model_dump(mode="json"), None, "certification-body", kind="certificate",
        )  # fmt: skip
        with self._lock:
            self._refresh()
        return revocation

    def enforce(self, new_entries: Iterable[Entry]) -> list[Revocation]:
        """Revoke every active certificate that a newly appended entry violates."""
        new_entries = [e for e in new_entries if e.kind in ("measurement", "verdict")]
        if self.log.signing_key is None or not new_entries:
            return []
        revocations = []
        for status in self.registry():
            if status.revocation is not None:
                continue
            for entry in new_entries:
                reason = violation(status, entry)
                if reason is not None:
                    revocations.append(self.revoke(status.certificate.id, reason, entry, True))
                    break
        return revocations

    def sweep(self) -> list[Revocation]:
        """Re-check every active certificate against all evidence after it (e.g. at start-up)."""
        revocations = []
        for status in self.registry():
            if status.revocation is not None:
                continue
            cert = status.certificate
            later = self.log.query(
                Subject(model=cert.model, version=cert.version), after_seq=status.issued_seq
            )
            revocations.extend(self.enforce(later))
        return revocations


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


def verify_certificate(document: dict[str, Any], public_key: Ed25519PublicKey) -> Certificate:
    """Offline check of a certificate document; CheckFailedError when altered or wrongly signed."""
    try:
        cert = Certificate.model_validate(document)
    except ValueError as error:
        raise BadInputError(f"certificate: not a certificate document: {error}") from None
    if not cert.valid_for(public_key):
        raise CheckFailedError(
            f"certificate {cert.id}: signature invalid for key {keys.key_id(public_key)} "
            "(altered, or signed by another key)"
        )
    return cert
