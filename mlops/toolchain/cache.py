"""Where built programs are kept: one directory per program, version and recipe under
`${XDG_CACHE_HOME:-~/.cache}/mlops-platform/toolchain`, outside the repository, so a fresh clone
reuses what an earlier one built. A file lock per entry keeps concurrent builds from colliding."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from mlops.toolchain.catalogue import Program

COMPLETE = ".complete"


def root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlops-platform" / "toolchain"


def entry(program: Program) -> Path:
    """The program's directory; the recipe's hash makes a changed recipe a new entry."""
    recipe = hashlib.sha256(repr(sorted(asdict(program).items())).encode()).hexdigest()[:10]
    return root() / f"{program.name}-{program.version}-{recipe}"


def is_complete(directory: Path) -> bool:
    return (directory / COMPLETE).is_file()


def mark_complete(directory: Path) -> None:
    (directory / COMPLETE).touch()


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the entry's lock: one build of a program at a time, across processes."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.with_name(directory.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
