"""Where a model came from: code commit, environment specification, file digests.

Inside a component image there is no Git checkout; the image bakes `MLOPS_CODE_COMMIT` (and
ships `uv.lock`), and these functions read those instead.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlops.config import environment as settings
from mlops.errors import CheckFailedError
from mlops.promotion.git import git

SHAREABLE_REMOTE = re.compile(r"^(https://|git@|ssh://)\S+$")  # what release descriptors accept


def sha256_bytes(payload: bytes) -> str:
    return f"sha256:{hashlib.sha256(payload).hexdigest()}"


@dataclass(frozen=True)
class CodeRef:
    commit: str
    dirty: bool
    source: str  # "git" or "env" or "unknown"


def code_ref(repo: Path) -> CodeRef:
    """The commit the code runs from: $MLOPS_CODE_COMMIT if set, else `git` in `repo`."""
    pinned = settings.CODE_COMMIT.get()
    if pinned:
        return CodeRef(pinned, dirty=False, source="env")
    try:
        head = git(repo, "rev-parse", "HEAD").strip()
        status = git(repo, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError, CheckFailedError):
        return CodeRef("unknown", dirty=False, source="unknown")
    return CodeRef(head, dirty=bool(status.strip()), source="git")


def code_repository(repo: Path, default: str) -> str:
    """Where the code lives: $MLOPS_CODE_REPOSITORY, else git's `origin` remote when it is a URL
    others can fetch (a clone of a local folder is not), else `default`."""
    pinned = settings.CODE_REPOSITORY.get()
    if pinned:
        return pinned
    try:
        origin = git(repo, "remote", "get-url", "origin").strip()
    except (OSError, subprocess.SubprocessError, CheckFailedError):
        return default
    return origin if SHAREABLE_REMOTE.match(origin) else default


def installed_distributions() -> str:
    """`name==version` of every installed distribution, sorted: the `pip freeze` of this run."""
    seen: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            seen.setdefault(name.lower(), f"{name}=={dist.version}")
    return "".join(f"{line}\n" for _, line in sorted(seen.items()))


@dataclass(frozen=True)
class EnvironmentSpec:
    python: str
    platform: str
    requirements: str
    requirements_sha256: str
    lock_sha256: str | None


def environment_spec(repo: Path) -> EnvironmentSpec:
    """Python version, installed distributions and the digest of `uv.lock` (or $MLOPS_UV_LOCK)."""
    requirements = installed_distributions()
    lock = settings.UV_LOCK.get(repo / "uv.lock")
    lock_digest = sha256_bytes(lock.read_bytes()) if lock.is_file() else None
    return EnvironmentSpec(
        python=platform.python_version(),
        platform=platform.platform(),
        requirements=requirements,
        requirements_sha256=sha256_bytes(requirements.encode()),
        lock_sha256=lock_digest,
    )
