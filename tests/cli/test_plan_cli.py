"""`mlops plan` as a user runs it: JSON shape, diff, and exit 2 with one line on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO, STACKS_DIR


def mlops(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_plan_json_lists_resources_with_parents_and_inputs():
    result = mlops("plan", "--stack", "local", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["stack"] == "local"
    by_name = {r["name"]: r for r in plan["resources"]}
    assert by_name["platform"]["type"] == "mlops:platform:Platform"
    assert by_name["tenancy"]["parent"] == "platform"
    assert by_name["models"]["inputs"]["metadata"]["labels"]["mlops.platform/plane"] == "serving"
    assert not [r for r in plan["resources"] if r["type"].startswith("aws:")]


def test_several_stacks_plan_in_one_run_as_a_list():
    result = mlops("plan", "-s", "local", "-s", "dev", "--json")
    assert result.returncode == 0, result.stderr
    plans = json.loads(result.stdout)
    assert [plan["stack"] for plan in plans] == ["local", "dev"]
    dev_types = {r["type"] for r in plans[1]["resources"]}
    assert "aws:eks/cluster:Cluster" in dev_types
    assert not [r for r in plans[0]["resources"] if r["type"].startswith("aws:")]


def test_diff_with_several_stacks_exits_2():
    result = mlops("plan", "-s", "local", "-s", "dev", "--diff", "prod")
    assert result.returncode == 2
    assert "give one --stack" in result.stderr and "Traceback" not in result.stderr


def test_plan_diff_shows_what_prod_adds_over_local():
    result = mlops("plan", "--stack", "local", "--diff", "prod", "--json")
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    only_prod = {(r["type"], r["name"]) for r in diff["only_in_prod"]}
    assert ("aws:eks/cluster:Cluster", "cluster") in only_prod
    assert diff["counts"]["aws:eks/cluster:Cluster"] == [0, 1]


def test_a_stack_diffed_with_itself_differs_in_nothing():
    result = mlops("plan", "--stack", "local", "--diff", "local", "--json")
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["only_in_local"] == [] and diff["changed"] == [] and diff["counts"] == {}


def test_bad_stack_file_exits_2_with_one_line_and_no_traceback(tmp_path):
    document = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())
    document["config"]["mlops-platform:platform"]["node_pools"]["system"]["max_size"] = 0
    (tmp_path / "Pulumi.broken.yaml").write_text(yaml.safe_dump(document))
    result = mlops("plan", "--stack", "broken", "--stacks-dir", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Pulumi.broken.yaml" in result.stderr and "node_pools.system" in result.stderr
    assert result.stdout == ""


def test_unknown_stack_exits_2():
    result = mlops("plan", "--stack", "staging")
    assert result.returncode == 2
    assert "unknown stack 'staging'; allowed: dev, int, local, prod" in result.stderr
