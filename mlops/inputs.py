"""The one bounded way to read a file this project did not write (JSON, JSONL, CSV, zip; YAML in
`mlops.yamlio` on top of it).

Sizes are checked before anything is read (a zip's members too: count, declared sizes, then
bounded reads in case the headers lie), only regular files are read, text must be UTF-8,
parsed trees are at most `MAX_DEPTH` deep with string keys. Every failure is one BadInputError
naming the file and what is allowed, never a traceback, a hang or memory without bound.
"""

from __future__ import annotations

import json
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from mlops.errors import BadInputError

MAX_DEPTH = 64
MAX_DOCUMENT_BYTES = 1_000_000  # configuration, descriptors, gates, answers, evidence
MAX_TABLE_BYTES = 64 * 1024 * 1024  # rows to score, request logs, reference data
MAX_LINE_BYTES = 1_000_000
MAX_ARCHIVE_MEMBERS = 1000
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024  # uncompressed, all members together


def _megabytes(size: int) -> str:
    return f"{size:,} bytes" if size < 1024 * 1024 else f"{size / 1024 / 1024:g} MiB"


def check_file(path: Path, limit: int, what: str = "file") -> int:
    """The size of a regular file of at most `limit` bytes; anything else is bad input."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BadInputError(f"{path}: {what} not found") from None
    except OSError as error:
        raise BadInputError(f"{path}: cannot read: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BadInputError(f"{path}: not a regular file; allowed: a {what}")
    if info.st_size > limit:
        raise BadInputError(
            f"{path}: {_megabytes(info.st_size)}; allowed: a {what} of at most {_megabytes(limit)}"
        )
    return info.st_size


def read_bytes(path: Path, limit: int = MAX_DOCUMENT_BYTES, what: str = "file") -> bytes:
    """At most `limit` bytes of a regular file, checked before and while reading."""
    check_file(path, limit, what)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise BadInputError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > limit:
        raise BadInputError(f"{path}: grew while read; allowed: at most {_megabytes(limit)}")
    return data


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInputError(
            f"{source}: not UTF-8 text (byte {error.start}); allowed: UTF-8"
        ) from None


def read_text(path: Path, limit: int = MAX_DOCUMENT_BYTES, what: str = "file") -> str:
    return decode(read_bytes(path, limit, what), str(path))


def check_tree(value: Any, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """`value` itself, once no list or mapping in it is nested deeper than `max_depth` and every
    mapping key is a string (walked without recursion, so depth cannot exhaust the stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                raise BadInputError(f"{source}: nested deeper than {max_depth} levels")
            if isinstance(node, dict):
                for key in node:
                    if not isinstance(key, str):
                        raise BadInputError(
                            f"{source}: key {str(key)[:80]!r} is a {type(key).__name__}; "
                            "allowed: string keys"
                        )
                stack.extend((child, depth + 1) for child in node.values())
            else:
                stack.extend((child, depth + 1) for child in node)
    return value


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(text: str | bytes, source: str, max_depth: int = MAX_DEPTH) -> Any:
    """One JSON document: strict numbers (no NaN/Infinity), bounded depth, string keys."""
    if isinstance(text, bytes):
        text = decode(text, source)
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadInputError(f"{source}: nested deeper than {max_depth} levels") from None
    except ValueError as error:  # JSONDecodeError, oversized integers, NaN
        raise BadInputError(f"{source}: invalid JSON: {error}") from None
    return check_tree(value, source, max_depth)


def load_json(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> Any:
    return parse_json(read_bytes(path, limit, "JSON file"), str(path))


def iter_jsonl(path: Path, limit: int = MAX_TABLE_BYTES) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-empty line; every line must be a JSON object."""
    check_file(path, limit, "JSON Lines file")
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(
                iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), 1
            ):
                if len(line) > MAX_LINE_BYTES:
                    raise BadInputError(
                        f"{path}: line {number} longer than {_megabytes(MAX_LINE_BYTES)}"
                    )
                if not line.strip():
                    continue
                value = parse_json(line, f"{path}: line {number}")
                if not isinstance(value, dict):
                    raise BadInputError(
                        f"{path}: line {number} is a {type(value).__name__}; "
                        "allowed: one JSON object per line"
                    )
                yield number, value
    except OSError as error:
        raise BadInputError(f"{path}: cannot read: {error.strerror or error}") from None


def read_csv(path: Path, limit: int = MAX_TABLE_BYTES) -> Any:
    """A CSV file as a DataFrame (pandas, UTF-8)."""
    import pandas as pd

    check_file(path, limit, "CSV file")
    try:
        return pd.read_csv(path, encoding="utf-8", encoding_errors="strict")
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: not UTF-8 text; allowed: a UTF-8 CSV file") from None
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInputError(f"{path}: not a readable CSV file: {reason}") from None


def read_zip(
    path: Path,
    *,
    limit: int = MAX_ARCHIVE_BYTES,
    max_members: int = MAX_ARCHIVE_MEMBERS,
) -> dict[str, bytes]:
    """Every file member of a zip, name -> bytes. Refused before any member is inflated: more
    than `max_members` members, declared sizes over `limit` together, names that leave the
    archive; while inflating: a member producing more than it declared."""
    check_file(path, limit, "zip file")
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) > max_members:
                raise BadInputError(
                    f"{path}: {len(members)} members; allowed: at most {max_members}"
                )
            declared = sum(info.file_size for info in members)
            if declared > limit:
                raise BadInputError(
                    f"{path}: members inflate to {_megabytes(declared)}; allowed: at most "
                    f"{_megabytes(limit)}"
                )
            files: dict[str, bytes] = {}
            for info in members:
                name = PurePosixPath(info.filename)
                if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
                    raise BadInputError(
                        f"{path}: member {info.filename[:200]!r}; allowed: relative paths inside "
                        "the archive"
                    )
                with archive.open(info) as member:
                    data = member.read(info.file_size + 1)
                if len(data) > info.file_size:
                    raise BadInputError(
                        f"{path}: member {info.filename[:200]!r} inflates beyond its declared size"
                    )
                files[info.filename] = data
            return files
    except BadInputError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,  # compression methods zipfile lacks
        RuntimeError,  # encrypted members
        ValueError,
    ) as error:
        raise BadInputError(f"{path}: not a readable zip file: {error}") from None
