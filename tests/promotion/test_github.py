"""Pull request opening: remote parsing and the request sent (GitHub itself is not contacted)."""

from __future__ import annotations

import json

import httpx
import pytest

from mlops.errors import BadInputError
from mlops.promotion.github import open_pull_request, owner_repo


@pytest.mark.parametrize(
    "url",
    ["https://github.com/example-org/platform.git", "git@github.com:example-org/platform.git",
     "ssh://git@github.com/example-org/platform"],
)  # fmt: skip
def test_owner_repo(url: str):
    assert owner_repo(url) == ("example-org", "platform")


def test_a_local_remote_is_not_a_github_repository():
    with pytest.raises(BadInputError, match="not a GitHub repository URL"):
        owner_repo("/tmp/remote.git")


def test_token_is_required(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with pytest.raises(BadInputError, match="GITHUB_TOKEN"):
        open_pull_request("https://github.com/o/r.git", "promote/m/int/v5", "main", "t", "b")


def test_request_carries_branch_base_and_report(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"html_url": "https://github.com/o/r/pull/7"})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    url = open_pull_request(
        "https://github.com/o/r.git", "promote/m/int/v5", "main", "Promote", "# Gate", client
    )
    assert url == "https://github.com/o/r/pull/7"
    assert seen[0].url == "https://api.github.com/repos/o/r/pulls"
    assert seen[0].headers["authorization"] == "Bearer t0ken"
    assert json.loads(seen[0].content) == {
        "title": "Promote", "head": "promote/m/int/v5", "base": "main", "body": "# Gate",
    }  # fmt: skip
