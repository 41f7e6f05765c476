"""Signed checkpoints: "log L had head hash H at sequence number S", signed with Ed25519.

Every append transaction ends with one. Under the `rfc8785-sha256` scheme a checkpoint also names
its scheme and the digest of the previous checkpoint (`prev`), so the checkpoints form their own
chain: a deleted or altered checkpoint breaks it, and the newest signature vouches for all of
them. Checkpoints kept outside the database (witnessed in the repository, kept by auditors, in
bundles) are anchors. Legacy checkpoints (no scheme) sign the five fields without `prev`.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

from mlops.governance import keys
from mlops.governance.entry import SCHEME_LEGACY, canonical_json


class Checkpoint(BaseModel):
    """A signed statement "log L had head hash H at sequence number S"; kept by auditors as anchors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_id: str
    seq: int
    hash: str
    time: str
    key_id: str
    signature: str
    scheme: str | None = None
    prev: str | None = None

    def payload(self) -> bytes:
        """The canonical bytes that are signed."""
        fields = {
            "hash": self.hash,
            "key_id": self.key_id,
            "log_id": self.log_id,
            "seq": self.seq,
            "time": self.time,
        }
        if self.scheme is None:
            return canonical_json(fields, SCHEME_LEGACY).encode()
        return canonical_json({**fields, "prev": self.prev, "scheme": self.scheme}).encode()

    def digest(self) -> str:
        """SHA-256 of the signed payload: what the next checkpoint names as `prev`."""
        return hashlib.sha256(self.payload()).hexdigest()

    def valid_for(self, key: Ed25519PublicKey) -> bool:
        """True when the signature is valid for key (and key is the one named)."""
        return keys.key_id(key) == self.key_id and keys.signature_valid(
            key, self.payload(), self.signature
        )
