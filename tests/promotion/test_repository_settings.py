"""The repository's GitHub settings: merging needs every check, and every action runs at a
reviewed commit."""

import json
import re

import yaml

from tests.conftest import REPO

WORKFLOWS = {path.stem: yaml.safe_load(path.read_text()) for path in (REPO / ".github/workflows").glob("*.yml")}  # fmt: skip
PROTECTION = json.loads((REPO / ".github/branch-protection.json").read_text())


def check_names() -> set[str]:
    """The status each job reports: its name, one per matrix value."""
    names = set()
    for workflow in WORKFLOWS.values():
        for job_id, job in workflow["jobs"].items():
            values = job.get("strategy", {}).get("matrix", {})
            if not values:
                names.add(job.get("name", job_id))
            for key, options in values.items():
                names.update(f"{job_id} ({option})" for option in options if key != "include")
    return names


def test_merging_requires_ci_the_policy_checks_and_the_promotion_gate() -> None:
    required = set(PROTECTION["required_status_checks"]["contexts"])
    assert required == {"test (3.11)", "test (3.12)", "crossguard", "checkov", "promotion-gates"}
    assert required <= check_names()  # a required check no job reports would block every merge


def test_every_action_is_pinned_by_commit_digest() -> None:
    uses = [
        step["uses"]
        for workflow in WORKFLOWS.values()
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "uses" in step
    ]
    assert uses
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
