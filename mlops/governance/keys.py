"""Ed25519 keys for signed checkpoints and certificates: load, create, identify.

The service reads its private key from a PEM file mounted from a Secret
(`MLOPS_AUDIT_SIGNING_KEY_FILE`); auditors verify with the public key alone, offline.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mlops.config.environment import AUDIT_CERTIFICATION_KEY_FILE, AUDIT_SIGNING_KEY_FILE
from mlops.errors import BadInputError
from mlops.inputs import read_bytes

MAX_PEM_BYTES = 64 * 1024


def certification_key(explicit: Path | None) -> Ed25519PrivateKey | None:
    """The certification body's signing key: explicit path, else $MLOPS_AUDIT_CERTIFICATION_KEY_FILE."""
    path = explicit or AUDIT_CERTIFICATION_KEY_FILE.get()
    return load_private_key(path) if path else None


def public_raw(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """Short stable name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(public_raw(key)).hexdigest()[:16]


def public_b64(key: Ed25519PublicKey) -> str:
    """Base64 of the raw public key, the form embedded in checkpoints' registry and bundles."""
    return base64.b64encode(public_raw(key)).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    """PEM (SubjectPublicKeyInfo) text of a public key, for people and other tools."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def sign(key: Ed25519PrivateKey, payload: bytes) -> str:
    """Base64 Ed25519 signature of payload."""
    return base64.b64encode(key.sign(payload)).decode()


def signature_valid(key: Ed25519PublicKey, payload: bytes, signature_b64: str) -> bool:
    """True when signature_b64 is a valid signature of payload by key."""
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an unencrypted Ed25519 PEM private key (PKCS#8)."""
    data = read_bytes(path, MAX_PEM_BYTES, "PEM private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise BadInputError(f"{path}: not an unencrypted PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInputError(f"{path}: key type {type(key).__name__}; allowed: Ed25519")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM; a private key PEM is accepted too."""
    data = read_bytes(path, MAX_PEM_BYTES, "PEM public key")
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as error:
        raise BadInputError(f"{path}: not a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInputError(f"{path}: key type {type(key).__name__}; allowed: Ed25519")
    return key


def write_private_key(path: Path) -> Ed25519PrivateKey:
    """Create a new Ed25519 key and write it as PEM readable by the owner only."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def resolve_signing_key(explicit: Path | None, sidecar: Path | None) -> Ed25519PrivateKey | None:
    """The key to sign checkpoints with: explicit path, else $MLOPS_AUDIT_SIGNING_KEY_FILE, else
    a sidecar file next to a local SQLite log (created on first use, mode 0600), else None.
    """
    if explicit is not None:
        return load_private_key(explicit)
    configured = AUDIT_SIGNING_KEY_FILE.get()
    if configured is not None:
        return load_private_key(configured)
    if sidecar is None:
        return None
    if sidecar.exists():
        return load_private_key(sidecar)
    try:
        return write_private_key(sidecar)
    except FileExistsError:
        return load_private_key(sidecar)


def load_public_pem(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text (as bundled)."""
    try:
        key = serialization.load_pem_public_key(text.encode())
    except (ValueError, TypeError) as error:
        raise BadInputError(f"public key: not PEM: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInputError(f"public key: type {type(key).__name__}; allowed: Ed25519")
    return key
