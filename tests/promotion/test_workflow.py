"""The promotion workflow re-checks what a pull request claims, and is the required status."""

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import botocore.configloader
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


PROMOTE = yaml.safe_load((REPO / ".github/workflows/promote.yml").read_text())


def promote_step(name: str) -> dict:
    (step,) = [s for s in PROMOTE["jobs"]["promote"]["steps"] if s.get("name", "").startswith(name)]
    return step


def test_promote_offers_the_stacks_whose_store_has_transfer_roles(stack_configs):
    """CI can copy a model only where a stack created the transfer roles for it."""
    offered = PROMOTE[True]["workflow_dispatch"]["inputs"]["to"]["options"]
    with_roles = [name for name, c in stack_configs.items() if c.storage.transfer is not None]
    assert sorted(offered) == sorted(with_roles)
    job = PROMOTE["jobs"]["promote"]
    assert job["environment"] == "${{ inputs.to }}"  # the environment's reviewers guard the job
    assert job["permissions"]["id-token"] == "write" and PROMOTE["permissions"] == {
        "contents": "read"
    }
    step = promote_step("promote")
    assert "mlops promote" in step["run"] and "--transfer-to" in step["run"]
    assert "--open-pr" in step["run"]
    from mlops.config.environment import TRANSFER_SOURCE_ROOT  # the registry's MLflow proxies

    assert step["env"][TRANSFER_SOURCE_ROOT.name].startswith("s3://")


def test_promote_writes_the_profiles_the_transfer_reads(tmp_path):
    """The profile step, run with a stand-in for GitHub's token endpoint, leaves an AWS config
    whose two profiles botocore resolves to the two roles with the web-identity token."""
    from mlops.config.environment import TRANSFER_SOURCE_PROFILE, TRANSFER_TARGET_PROFILE

    class TokenEndpoint(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert self.headers["Authorization"] == "bearer request-token"
            assert "audience=sts.amazonaws.com" in self.path
            body = json.dumps({"value": "oidc-token"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    step = promote_step("the model-transfer profiles")
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{server.server_port}/token?v=1",
        "SOURCE_ROLE": "arn:aws:iam::111111111111:role/source",
        "TARGET_ROLE": "arn:aws:iam::222222222222:role/target",
    }
    try:
        subprocess.run(["bash", "-e", "-c", step["run"]], env=environment, check=True)
    finally:
        server.shutdown()
    profiles = botocore.configloader.load_config(str(tmp_path / ".aws/config"))["profiles"]
    variables = promote_step("promote")["env"]
    source = profiles[variables[TRANSFER_SOURCE_PROFILE.name]]
    target = profiles[variables[TRANSFER_TARGET_PROFILE.name]]
    assert (source["role_arn"], target["role_arn"]) == (
        environment["SOURCE_ROLE"],
        environment["TARGET_ROLE"],
    )
    for profile in (source, target):
        assert Path(profile["web_identity_token_file"]).read_text().strip() == "oidc-token"
