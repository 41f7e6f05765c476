"""The Git layer of promotions: worktrees are added and removed one at a time per repository."""

import subprocess
import threading
from pathlib import Path

from mlops.promotion.git import _worktrees_locked, branch_worktree


def test_a_worktree_waits_while_another_is_being_added(tmp_path: Path):
    """A CI run failed with "failed to read .git/worktrees/tree/commondir" when two promotions
    created their worktrees at the same moment; creation now takes turns."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "--quiet", "--allow-empty", "-m", "base"], check=True)  # fmt: skip
    entered = threading.Event()

    def promote() -> None:
        with branch_worktree(repo, "promote/x/dev/v1", "HEAD"):
            entered.set()

    with _worktrees_locked(repo):
        worker = threading.Thread(target=promote)
        worker.start()
        assert not entered.wait(1.0)  # held back while the lock is taken
    assert entered.wait(30)
    worker.join(30)
