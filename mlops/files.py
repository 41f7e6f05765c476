"""Files that hold model inputs, evidence, keys or tokens: readable by their owner only (0600)
from the first byte, never created world-readable and tightened afterwards."""

import os
from pathlib import Path
from typing import IO, Any

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
