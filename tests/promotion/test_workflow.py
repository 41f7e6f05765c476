"""The promotion workflow re-checks what a pull request claims, and is the required status."""

import json

import yaml

from tests.conftest import REPO

WORKFLOW = yaml.safe_load((REPO / ".github/workflows/promotion.yml").read_text())
PROTECTION = json.loads((REPO / ".github/branch-protection.json").read_text())


def steps(job: str) -> str:
    return "\n".join(step.get("run", "") for step in WORKFLOW["jobs"][job]["steps"])


def test_required_status_is_the_gate_job_and_runs_on_every_pull_request():
    assert "promotion-gates" in PROTECTION["required_status_checks"]["contexts"]
    triggers = WORKFLOW[True]  # PyYAML reads the key `on` as True
    assert triggers["pull_request"] is None  # no path filter: the required status always reports
    assert triggers["pull_request_review"]["types"] == ["submitted", "dismissed"]


def test_gate_job_rechecks_descriptors_renders_and_checks_gitops_with_the_projects_commands():
    run = steps("promotion-gates")
    assert "mlops gates check --descriptor" in run and "--reviews" in run
    assert "mlops render --env" in run and "--check" in run
    assert "uv run mlops policy gitops" in run
    assert "checkov " not in run  # the project's own command, with its checks and skips
    assert "./scripts/setup" in run
    assert "mlops gates validate --check" in run


def test_code_jobs_check_the_code_gates():
    assert "--to analytics-int" in steps("code-integration")
    assert "--to analytics-prod" in steps("code-release")
    assert WORKFLOW[True]["push"] == {"branches": ["main"], "tags": ["release-*"]}
    assert "refs/heads/main" in WORKFLOW["jobs"]["code-integration"]["if"]  # the commit a tag names
