"""Files that hold model inputs, evidence, keys or tokens: readable by their owner only (0600)
from the first byte, never created world-readable and tightened afterwards."""

import os
from pathlib import Path
from typing import IO, Any

from mlops.errors import BadInputError

PRIVATE_MODE = 0o600


def create_private(path: Path) -> None:
    """Create `path` (and its parents) if missing; either way leave it mode 0600. Databases are
    created this way before SQLite opens them: its journal files take the database's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
    finally:
        os.close(fd)


def open_private(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> IO[Any]:
    """`open()` for a private file: "w" truncates, "a" appends, "x" refuses an existing file;
    add "b" for bytes (then `encoding` is ignored)."""
    flags = {"w": os.O_TRUNC, "a": os.O_APPEND, "x": os.O_EXCL}[mode.replace("b", "")]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | flags, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding)
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, data: str | bytes) -> None:
    """Replace `path`'s content with `data`, mode 0600."""
    with open_private(path, "wb" if isinstance(data, bytes) else "w") as handle:
        handle.write(data)


def check_writable(path: Path, what: str = "output") -> None:
    """Bad input unless `path` can be written: its nearest existing ancestor is a writable
    directory and `path` itself, if present, is not a directory. Checked before a command
    does its work, so a refused output leaves nothing behind."""
    if path.is_dir():
        raise BadInputError(f"{path}: is a directory; allowed: a file path for the {what}")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise BadInputError(f"{path}: {parent} is not a writable directory; allowed: a writable "
                            f"path for the {what}")  # fmt: skip


def write_output(path: Path, data: str | bytes, *, private: bool = True) -> None:
    """Write a command's output file (owner-only unless `private` is False); a path that cannot
    be written is bad input naming it."""
    check_writable(path)
    try:
        if private:
            write_private(path, data)
        elif isinstance(data, bytes):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data, encoding="utf-8")
    except OSError as error:
        raise BadInputError(f"{path}: cannot write: {error.strerror or error}") from None
