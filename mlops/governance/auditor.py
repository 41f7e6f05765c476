"""What an auditor runs: a log verified against the trust and the witnesses of a repository.

Keys: those `audit/config.yaml` lists for the log's id, plus any given; anchors: every
checkpoint witnessed in the repository's history, plus any given. The log is opened read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mlops.governance.checkpoint import Checkpoint
from mlops.governance.db import Db, DbUrl
from mlops.governance.trust import CONFIG, AuditConfig
from mlops.governance.verify import VerifyResult, log_id_of, newest_valid, verify_db
from mlops.governance.witness import repository_anchors


def verify_against_repository(
    url: str,
    root: Path | None,
    config: AuditConfig,
    extra_keys: dict[str, Ed25519PublicKey] | None = None,
    anchors: Sequence[Checkpoint] = (),
    all_signatures: bool = False,
    incremental: bool = False,
) -> VerifyResult:
    database = Db(DbUrl.parse(url), read_only=True)
    try:
        log_id = log_id_of(database)
        trusted = {**(config.log_keys(log_id) if log_id else {}), **(extra_keys or {})}
        found = list(anchors)
        if root is not None and log_id:
            found += repository_anchors(root, log_id)
        since = newest_valid(found, trusted) if incremental else None
        result = verify_db(database, trusted, found, all_signatures, since)
    finally:
        database.close()
    if config.logs and log_id and config.log(log_id) is None:
        listed = ", ".join(entry.id for entry in config.logs)
        result.add(None, f"log {log_id} is not one {CONFIG} trusts (it lists {listed}): "
                   "the log was replaced, or is another platform's")  # fmt: skip
    return result
