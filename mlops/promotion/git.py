"""Git through the `git` command (no library): `git()` runs it for every part of the project
(promotion, the demo's scratch clone, pipeline provenance), and the few operations a promotion
needs are built on it.

Every promotion works in its own temporary worktree on its own branch, so the user's checkout is
never touched and two promotions at once cannot clobber each other: Git creates a branch
atomically, and each worktree has its own index.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlops.errors import BadInputError, CheckFailedError

IDENTITY = ("-c", "user.name=mlops promote", "-c", "user.email=mlops-promote@localhost")


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run git in `repo`; a failure becomes CheckFailedError carrying git's message."""
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False, timeout=120
    )
    if check and result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise CheckFailedError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return result.stdout


def repo_root(path: Path) -> Path:
    result = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    if result.returncode != 0:
        raise BadInputError(f"--root: {path} is not inside a Git repository")
    return Path(result.stdout.strip())


def rev(repo: Path, ref: str) -> str:
    """The commit `ref` names, or "" when it names none."""
    return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()


def branch_exists(repo: Path, branch: str) -> bool:
    return bool(git(repo, "branch", "--list", branch).strip())


def current_branch(repo: Path) -> str:
    return git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()


def show(repo: Path, ref: str, path: str) -> bytes | None:
    """A file's bytes at a commit, or None when it did not exist there."""
    result = subprocess.run(
        ["git", "-C", str(repo), "show", f"{ref}:{path}"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    return result.stdout if result.returncode == 0 else None


def history(repo: Path, ref: str, path: str) -> list[str]:
    """Commits that changed `path`, newest first (following first parents: merged history)."""
    return git(repo, "log", "--first-parent", "--format=%H", ref, "--", path).split()


def _identity(repo: Path) -> tuple[str, ...]:
    configured = git(repo, "config", "user.email", check=False).strip()
    return () if configured else IDENTITY


@contextmanager
def _worktrees_locked(repo: Path) -> Iterator[None]:
    """Git reads every linked worktree's admin files while it adds or removes one, and a second
    promotion half-way through creating its own made the first fail ("failed to read
    .git/worktrees/tree/commondir"). So adding and removing take turns per repository; the
    promotions themselves still run side by side."""
    common = Path(git(repo, "rev-parse", "--git-common-dir").strip())
    lock = (common if common.is_absolute() else repo / common) / "mlops-worktrees.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextmanager
def branch_worktree(repo: Path, branch: str, base: str) -> Iterator[Path]:
    """A fresh worktree on a new branch at `base`; on any error the branch is deleted again."""
    if branch_exists(repo, branch):
        raise CheckFailedError(
            f"branch {branch} already exists: that promotion is already under way or done; "
            f"delete the branch to redo it"
        )
    directory = Path(tempfile.mkdtemp(prefix="mlops-promote-"))
    worktree = directory / "tree"
    with _worktrees_locked(repo):
        git(repo, "worktree", "add", "--quiet", "-b", branch, str(worktree), base)
    committed = False
    try:
        yield worktree
        committed = rev(worktree, "HEAD") != base
    finally:
        with _worktrees_locked(repo):
            git(repo, "worktree", "remove", "--force", str(worktree), check=False)
        shutil.rmtree(directory, ignore_errors=True)
        if not committed:
            git(repo, "branch", "-D", branch, check=False)


def commit(worktree: Path, paths: list[str], message: str) -> str:
    """Stage exactly `paths` (additions, changes, deletions) and commit; returns the commit."""
    git(worktree, "add", "--all", "--", *paths)
    git(worktree, *_identity(worktree), "commit", "--quiet", "-m", message)
    return rev(worktree, "HEAD")


def push(repo: Path, remote: str, branch: str) -> None:
    git(repo, "push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}")


def remote_url(repo: Path, remote: str) -> str:
    url = git(repo, "remote", "get-url", remote, check=False).strip()
    if not url:
        raise BadInputError(f"--remote: no remote named {remote!r} in {repo}")
    return url
