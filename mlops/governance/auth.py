"""Bearer tokens and roles of the Audit API.

The tokens file (`MLOPS_AUDIT_TOKENS_FILE`, mounted from a Secret) maps the SHA-256 hex digest
of each token to a role or a list of roles, so the file never holds a usable token:

    {"9f86d081884c7d65...": "auditee", "60303ae22b998861...": ["auditor", "certification-body"]}

Roles (IML4E 4.4.3.5): auditee appends evidence; auditor reads, verifies, evaluates (records gate
verdicts); certification-body issues and revokes certificates and reads.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from pathlib import Path

from mlops.errors import BadInputError
from mlops.inputs import load_json

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Role(StrEnum):
    AUDITEE = "auditee"
    AUDITOR = "auditor"
    CERTIFICATION_BODY = "certification-body"


def token_digest(token: str) -> str:
    """What the tokens file stores for a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def load_tokens(path: Path) -> dict[str, frozenset[Role]]:
    """Read and validate a tokens file; any malformed line is bad input naming the file."""
    data = load_json(path)
    if not isinstance(data, dict):
        raise BadInputError(f"{path}: must be a JSON object of sha256 digest -> role(s)")
    allowed = ", ".join(r.value for r in Role)
    tokens: dict[str, frozenset[Role]] = {}
    for digest, roles in data.items():
        if not _HEX64.match(digest):
            raise BadInputError(
                f"{path}: key {digest[:12]!r}...: not a lowercase sha256 hex digest of a token "
                "(plaintext tokens are not allowed; use `mlops audit token-digest`)"
            )
        names = [roles] if isinstance(roles, str) else roles
        if not isinstance(names, list) or not names:
            raise BadInputError(
                f"{path}: {digest[:12]}...: roles must be a string or list; allowed: {allowed}"
            )
        try:
            tokens[digest] = frozenset(Role(name) for name in names)
        except ValueError:
            raise BadInputError(
                f"{path}: {digest[:12]}...: unknown role in {names!r}; allowed: {allowed}"
            ) from None
    return tokens
