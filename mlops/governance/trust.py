"""What an auditor trusts, kept in the repository (reviewed, replicated), never in the log itself.

`audit/config.yaml` lists each evidence log the platform runs (its id, where to find it, the
public keys whose checkpoints are trusted) and the certification body's public keys:

    logs:
      - id: 0b6f...            # the log's id (`mlops audit checkpoint` prints it)
        url: sqlite:////var/lib/mlops/audit.db   # optional: where `verify` finds it without --audit
        keys: ["-----BEGIN PUBLIC KEY-----\\n..."]
    certification_body:
      keys: ["-----BEGIN PUBLIC KEY-----\\n..."]
      name: Example Certification GmbH

A key that the database declares is never trusted: whoever can write the database could
declare one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlops.errors import BadInputError
from mlops.governance import keys
from mlops.yamlio import load_yaml

CONFIG = "audit/config.yaml"


class LogTrust(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=128)
    url: str | None = None
    keys: list[str] = Field(min_length=1)


class BodyTrust(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    keys: list[str] = Field(default_factory=list)


class AuditConfig(BaseModel):
    """The repository's audit trust configuration (empty when the file does not exist)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    logs: list[LogTrust] = Field(default_factory=list)
    certification_body: BodyTrust = Field(default_factory=BodyTrust)

    def log(self, log_id: str) -> LogTrust | None:
        return next((entry for entry in self.logs if entry.id == log_id), None)

    def log_keys(self, log_id: str) -> dict[str, Ed25519PublicKey]:
        entry = self.log(log_id)
        return _keys(entry.keys if entry else [], f"{CONFIG}: logs[{log_id}].keys")

    def body_keys(self) -> dict[str, Ed25519PublicKey]:
        return _keys(self.certification_body.keys, f"{CONFIG}: certification_body.keys")


def _keys(pems: list[str], where: str) -> dict[str, Ed25519PublicKey]:
    found = {}
    for pem in pems:
        try:
            key = keys.load_public_pem(pem)
        except BadInputError as error:
            raise BadInputError(f"{where}: {error}") from None
        found[keys.key_id(key)] = key
    return found


def repository(start: Path) -> Path | None:
    """The Git work tree that contains `start`, or None outside one."""
    result = subprocess.run(
        ["git", "-C", str(start), "rev-parse", "--show-toplevel"],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def load_config(repo: Path | None) -> AuditConfig:
    """The configuration in `repo` (an empty one when there is no repository or no file)."""
    path = repo / CONFIG if repo else None
    if path is None or not path.is_file():
        return AuditConfig()
    data = load_yaml(path) or {}
    try:
        return AuditConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInputError(f"{path}: {where}: {first['msg']}") from None
