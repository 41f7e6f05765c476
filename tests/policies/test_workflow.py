"""The policy workflow runs what a laptop runs, and previews real clouds only when configured."""

import yaml

from tests.conftest import REPO

WORKFLOW = yaml.safe_load((REPO / ".github/workflows/policy.yml").read_text())


def run(job: str) -> str:
    return "\n".join(step.get("run", "") for step in WORKFLOW["jobs"][job]["steps"])


def uses(job: str) -> list[str]:
    return [step["uses"].split("@")[0] for step in WORKFLOW["jobs"][job]["steps"] if "uses" in step]


def test_every_change_checks_every_stack_and_the_gitops_tree():
    assert WORKFLOW[True] == {"push": {"branches": ["main"]}, "pull_request": None}
    assert "stacks/Pulumi.*.yaml" in run("crossguard")  # every stack file, none hard-coded
    assert run("crossguard").strip().endswith('uv run mlops policy check "${stacks[@]}"')
    assert "--format sarif --output policy.sarif" in run("crossguard")
    assert "github/codeql-action/upload-sarif" in uses("crossguard")
    assert "uv run mlops policy gitops" in run("checkov")
    for job in ("crossguard", "checkov", "preview"):
        assert "./scripts/setup" in run(job)  # the one setup command, with each pack's venv


def test_preview_enforces_the_same_packs_and_runs_only_with_a_cloud_configured():
    preview = WORKFLOW["jobs"]["preview"]
    assert preview["if"] == "vars.AWS_ROLE_ARN != '' && vars.PULUMI_BACKEND_URL != ''"
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "int", "prod"]
    assert preview["permissions"] == {"contents": "read", "id-token": "write"}
    assert "aws-actions/configure-aws-credentials" in uses("preview")
    script = run("preview")
    assert "mlops policy preview-args --stack" in script
    assert 'pulumi preview --stack "$STACK"' in script and '"${policy[@]}"' in script


def test_no_credentials_in_the_workflow():
    text = (REPO / ".github/workflows/policy.yml").read_text()
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" in text
