"""Run a build or download step; a failure becomes a ToolchainError with the step's output."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from mlops.toolchain.errors import MissingToolError, ToolchainError

TAIL_LINES = 15


def require(command: str, what: str, install: str) -> str:
    """The path of `command`, or a MissingToolError saying what needs it and how to install it."""
    found = shutil.which(command)
    if found is None:
        raise MissingToolError(f"{what} needs `{command}` on PATH, which is missing: {install}")
    return found


def run(args: list[str], cwd: Path, env: Mapping[str, str], what: str) -> str:
    """Run one step and return its stdout; on failure, the last lines it printed."""
    result = subprocess.run(
        args, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-TAIL_LINES:])
        raise ToolchainError(
            f"{what} failed ({' '.join(args[:3])} ... exit {result.returncode}):\n{tail}"
        )
    return result.stdout
