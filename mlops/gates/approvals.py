"""Who must approve: CODEOWNERS and branch protection, as the repository ships them.

The Git host enforces approvals at merge; a gate can only check that the repository is set up to
enforce them (the path is owned by the role, code-owner review is required) and, in CI, count the
approving reviews the pull request already has. `.github/branch-protection.json` is the exact
body of GitHub's `PUT /repos/{owner}/{repo}/branches/main/protection`.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

CODEOWNERS = ".github/CODEOWNERS"
BRANCH_PROTECTION = ".github/branch-protection.json"


def owners(root: Path, path: str) -> list[str]:
    """Owners of `path` by CODEOWNERS semantics: the last matching line wins."""
    file = root / CODEOWNERS
    if not file.is_file():
        return []
    found: list[str] = []
    for line in file.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        pattern, *names = text.split()
        if _matches(pattern, path):
            found = names
    return found


def _matches(pattern: str, path: str) -> bool:
    path = path.lstrip("/")
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    if pattern.endswith("/"):
        prefix = pattern
        if anchored:
            return path.startswith(prefix)
        return path.startswith(prefix) or f"/{prefix}" in f"/{path}"
    if anchored:
        return fnmatchcase(path, pattern) or path.startswith(pattern + "/")
    return any(fnmatchcase(part, pattern) for part in path.split("/")) or fnmatchcase(path, pattern)


def protection(root: Path) -> dict[str, Any]:
    """The committed branch-protection body, or {} when the repository ships none."""
    file = root / BRANCH_PROTECTION
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def enforcement_problems(root: Path, path: str, role: str) -> list[str]:
    """Why the host would not enforce a review by `role` on `path` (empty when it would)."""
    problems = []
    if role not in owners(root, path):
        problems.append(f"{CODEOWNERS} does not assign {path} to {role}")
    reviews = protection(root).get("required_pull_request_reviews") or {}
    if not reviews.get("require_code_owner_reviews"):
        problems.append(f"{BRANCH_PROTECTION} does not require code-owner review")
    if int(reviews.get("required_approving_review_count") or 0) < 1:
        problems.append(f"{BRANCH_PROTECTION} requires no approving review")
    return problems


def approvers(reviews: list[dict[str, Any]], role: str) -> list[str]:
    """Users whose latest review is APPROVED (GitHub reviews API objects, oldest first); when
    a review carries `roles` (added by CI from team membership), only holders of `role` count."""
    latest: dict[str, dict[str, Any]] = {}
    for review in reviews:
        login = (review.get("user") or {}).get("login")
        if login and review.get("state") in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[login] = review
    return sorted(
        login
        for login, review in latest.items()
        if review.get("state") == "APPROVED" and role in review.get("roles", [role])
    )
