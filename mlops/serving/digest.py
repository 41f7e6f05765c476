"""THE digest of a model artifact, computed one way everywhere (predictor, promotion, pipelines).

Definition (`artifact_digest`):
1. List every regular file under the artifact directory, recursively, by its path relative to
   that directory with `/` separators (a single-file artifact lists just its file name).
2. Sort the list by the UTF-8 bytes of those paths.
3. Write one line per file: `<sha256 hex of the file's bytes>  <relative path>\\n` (the format
   of `sha256sum`, two spaces).
4. The digest is `sha256:` + the sha256 hex of that listing, UTF-8 encoded.

Empty directories do not count; symbolic links are refused (they could point outside the
artifact). Objects under an S3/GCS prefix give the same digest when listed relative to it.
"""

import hashlib
from pathlib import Path

from mlops.errors import BadInputError

CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex sha256 of one file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_listing(path: Path) -> str:
    """The canonical listing the digest is taken over (see the module docstring)."""
    if path.is_symlink():
        raise BadInputError(f"{path}: a model artifact may not be a symbolic link")
    if path.is_file():
        return f"{file_sha256(path)}  {path.name}\n"
    if not path.is_dir():
        raise BadInputError(f"{path}: no such model artifact (a file or a directory)")
    entries: list[tuple[bytes, str]] = []
    for item in path.rglob("*"):
        relative = item.relative_to(path).as_posix()
        if item.is_symlink():
            raise BadInputError(f"{path}: {relative}: symbolic links are not allowed in artifacts")
        if item.is_file():
            entries.append((relative.encode("utf-8"), relative))
    entries.sort()
    return "".join(f"{file_sha256(path / relative)}  {relative}\n" for _, relative in entries)


def artifact_digest(path: Path) -> str:
    """`sha256:<hex>` of a model artifact directory (or single file); see the module docstring."""
    return "sha256:" + hashlib.sha256(artifact_listing(path).encode("utf-8")).hexdigest()


def normalize_digest(value: str, source: str = "digest") -> str:
    """Accept `sha256:<hex>` or bare hex (as in MLOPS_MODEL_SHA256); return `sha256:<hex>`."""
    hex_part = value.strip().lower().removeprefix("sha256:")
    if len(hex_part) != 64 or any(c not in "0123456789abcdef" for c in hex_part):
        raise BadInputError(f"{source}: '{value}' is not a sha256 digest; allowed: sha256:<64 hex>")
    return f"sha256:{hex_part}"
