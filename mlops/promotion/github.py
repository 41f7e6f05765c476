"""Open the promotion pull request through GitHub's REST API (token from the environment).

`POST /repos/{owner}/{repo}/pulls` with the gate report as the body. The API base is
$GITHUB_API_URL (GitHub Enterprise sets it), else https://api.github.com; the token is
$GITHUB_TOKEN or $GH_TOKEN.
"""

from __future__ import annotations

import os
import re

import httpx

from mlops.errors import BadInputError, CheckFailedError

TOKEN_ENVS = ("GITHUB_TOKEN", "GH_TOKEN")
_REMOTE = re.compile(
    r"^(?:https://[^/]+/|git@[^:]+:|ssh://git@[^/]+/)(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?$"
)
MAX_BODY = 65_000  # GitHub refuses pull request bodies above 65536 characters


def owner_repo(remote_url: str) -> tuple[str, str]:
    """`owner`, `repo` from an https or ssh GitHub remote URL."""
    match = _REMOTE.match(remote_url.strip())
    if not match:
        raise BadInputError(
            f"--remote: {remote_url!r} is not a GitHub repository URL; "
            "allowed: https://github.com/OWNER/REPO(.git) or git@github.com:OWNER/REPO.git"
        )
    return match["owner"], match["repo"]


def token() -> str:
    for name in TOKEN_ENVS:
        if os.environ.get(name):
            return os.environ[name]
    raise BadInputError(f"--open-pr: needs a token in ${' or $'.join(TOKEN_ENVS)}")


def open_pull_request(
    remote_url: str, head: str, base: str, title: str, body: str, client: httpx.Client | None = None
) -> str:
    """Open the pull request; returns its URL."""
    owner, repo = owner_repo(remote_url)
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY] + "\n\n(truncated; the full report is in the audit log)\n"
    http = client or httpx.Client(timeout=30)
    try:
        response = http.post(
            f"{api}/repos/{owner}/{repo}/pulls",
            headers={
                "Authorization": f"Bearer {token()}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            json={"title": title, "head": head, "base": base, "body": body},
        )
    except httpx.HTTPError as error:
        raise CheckFailedError(f"GitHub: could not open the pull request: {error}") from None
    finally:
        if client is None:
            http.close()
    if response.status_code != 201:
        raise CheckFailedError(f"GitHub: HTTP {response.status_code}: {response.text[:300]}")
    return str(response.json()["html_url"])
