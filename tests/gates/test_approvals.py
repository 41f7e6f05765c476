"""CODEOWNERS matching, branch-protection enforcement and counting approvals."""

from pathlib import Path

from mlops.gates.approvals import approvers, enforcement_problems, owners
from tests.conftest import REPO


def test_prod_descriptors_are_owned_by_release_managers():
    assert owners(REPO, "gitops/envs/prod/models/credit-risk.yaml") == [
        "@example-org/ml-release-managers"
    ]
    assert owners(REPO, "gitops/envs/dev/models/credit-risk.yaml") == ["@example-org/ml-engineers"]
    assert owners(REPO, "README.md") == ["@example-org/platform-engineers"]


def test_shipped_repository_enforces_the_prod_review():
    assert enforcement_problems(REPO, "gitops/envs/prod/", "@example-org/ml-release-managers") == []


def test_missing_protection_and_owner_are_reported(tmp_path: Path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/CODEOWNERS").write_text("* @someone\n")
    problems = enforcement_problems(
        tmp_path, "gitops/envs/prod/", "@example-org/ml-release-managers"
    )
    assert len(problems) == 3
    assert "does not assign gitops/envs/prod/" in problems[0]


def test_latest_review_per_user_counts_and_roles_filter():
    reviews = [
        {"user": {"login": "ann"}, "state": "APPROVED"},
        {"user": {"login": "bob"}, "state": "APPROVED"},
        {"user": {"login": "bob"}, "state": "CHANGES_REQUESTED"},
        {"user": {"login": "cy"}, "state": "COMMENTED"},
        {"user": {"login": "dee"}, "state": "APPROVED", "roles": ["@org/other"]},
    ]
    assert approvers(reviews, "@org/rm") == ["ann"]
