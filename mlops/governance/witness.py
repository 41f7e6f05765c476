"""Witnessing: the log's newest signed checkpoint, recorded in the repository.

Every promotion commit (and `mlops audit witness`, run on a schedule) adds the checkpoint as
`audit/checkpoints/<log id>/<seq>.json`. Git history then holds every checkpoint ever witnessed,
in every clone: an anchor outside the operator's reach. `mlops audit verify` reads every such
file ever added on any ref (and the work tree) and fails a log that is shorter than, or differs
from, any of them.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from mlops.config.environment import AUDIT_SIGNING_KEY_FILE
from mlops.errors import BadInputError, CheckFailedError
from mlops.governance.checkpoint import Checkpoint

ANCHORS = "audit/checkpoints"
_LOG_ID = re.compile(r"^[A-Za-z0-9-]{1,128}$")


def anchor_dir(log_id: str) -> str:
    """Where a log's witnessed checkpoints live, relative to the repository root."""
    if not _LOG_ID.match(log_id):
        raise BadInputError(f"log id {log_id!r}: allowed: 1-128 characters of A-Z a-z 0-9 -")
    return f"{ANCHORS}/{log_id}"


def write_anchor(tree: Path, checkpoint: Checkpoint) -> str:
    """Write the checkpoint into the work tree; returns the relative path (to stage).

    One file per checkpoint, named by its sequence number: two promotions under way at once
    add different files (or the same file with the same bytes), so their merges never conflict."""
    relative = f"{anchor_dir(checkpoint.log_id)}/{checkpoint.seq:012d}.json"
    target = tree / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(checkpoint.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return relative


def _parse(text: bytes, where: str) -> Checkpoint:
    try:
        return Checkpoint.model_validate_json(text)
    except ValidationError as error:
        raise BadInputError(f"{where}: not a checkpoint JSON: {error.errors()[0]['msg']}") from None


def repository_anchors(repo: Path, log_id: str) -> list[Checkpoint]:
    """Every checkpoint of `log_id` ever witnessed in the repository: each file added under
    `audit/checkpoints/<log id>/` in the history of any ref (so deleting a file in a later
    commit does not un-witness it), and the files in the work tree."""
    directory = anchor_dir(log_id)
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--diff-filter=A", "--name-only",
         "--format=commit %H", "--", directory],
        capture_output=True, text=True, check=False, timeout=120,
    ).stdout  # fmt: skip
    requests, commit = [], ""
    for line in log.splitlines():
        if line.startswith("commit "):
            commit = line.removeprefix("commit ")
        elif line.strip():
            requests.append(f"{commit}:{line.strip()}")
    found: dict[str, Checkpoint] = {}
    if requests:
        batch = subprocess.run(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            input="".join(f"{r}\n" for r in requests).encode(),
            capture_output=True, check=False, timeout=120,
        ).stdout  # fmt: skip
        for request, blob in zip(requests, _blobs(batch), strict=False):
            if blob is not None:
                anchor = _parse(blob, request)
                found.setdefault(anchor.signature, anchor)
    for path in sorted((repo / directory).glob("*.json")):
        anchor = _parse(path.read_bytes(), str(path))
        found.setdefault(anchor.signature, anchor)
    return sorted(found.values(), key=lambda a: a.seq)


def _blobs(output: bytes) -> list[bytes | None]:
    """Split `git cat-file --batch` output: per request, the object's bytes or None (missing)."""
    blobs: list[bytes | None] = []
    position = 0
    while position < len(output):
        end = output.index(b"\n", position)
        header = output[position:end].split()
        position = end + 1
        if len(header) != 3:  # "<name> missing"
            blobs.append(None)
            continue
        size = int(header[2])
        blobs.append(output[position : position + size])
        position += size + 1
    return blobs


class CheckpointSource(Protocol):
    def checkpoint(self) -> Checkpoint | None: ...


def witness(tree: Path, audit: CheckpointSource) -> tuple[str, str]:
    """Record the audit log's newest checkpoint in `tree` (a promotion's work tree).

    Returns (relative path to stage, commit-message trailer). A log with no signed checkpoint
    cannot be witnessed, and a promotion that cannot be witnessed is refused."""
    checkpoint = audit.checkpoint()
    if checkpoint is None:
        raise CheckFailedError(
            "the audit log has no signed checkpoint to witness; give the Audit API its signing "
            f"key ({AUDIT_SIGNING_KEY_FILE.name}) before promoting"
        )
    relative = write_anchor(tree, checkpoint)
    trailer = f"Audit-Checkpoint: {checkpoint.log_id} {checkpoint.seq} {checkpoint.hash}"
    return relative, trailer


def witness_commit(repo: Path, newest: Callable[[], Checkpoint | None]) -> tuple[str, str]:
    """The scheduled witness: add the newest checkpoint to `repo`'s current branch and commit.
    Returns (relative path, commit). Refuses a checkpoint no key in audit/config.yaml vouches
    for, so the witness never records what an auditor would not trust."""
    from mlops.governance.trust import load_config
    from mlops.promotion import git

    checkpoint = newest()
    if checkpoint is None:
        raise CheckFailedError("the audit log has no signed checkpoint to witness yet")
    key = load_config(repo).log_keys(checkpoint.log_id).get(checkpoint.key_id)
    if key is None or not checkpoint.valid_for(key):
        raise CheckFailedError(
            f"checkpoint {checkpoint.log_id} at {checkpoint.seq}: not signed by a key that "
            "audit/config.yaml trusts for this log; nothing witnessed"
        )
    relative = write_anchor(repo, checkpoint)
    message = (
        f"audit: witness checkpoint {checkpoint.seq} of log {checkpoint.log_id}\n\n"
        f"Audit-Checkpoint: {checkpoint.log_id} {checkpoint.seq} {checkpoint.hash}\n"
    )
    if not git.git(repo, "status", "--porcelain", "--", relative).strip():
        return relative, git.rev(repo, "HEAD")  # witnessed already: nothing new to commit
    return relative, git.commit(repo, [relative], message)
