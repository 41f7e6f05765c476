"""Acceptance of issue 16's first half: int and prod plan and render one serving runtime, the
platform predictor, and nothing of MLServer (`mlops plan -s int -s prod`, text and JSON, and the
rendered gitops trees Argo CD syncs)."""

import json

import pytest
import yaml

from mlops.serving.runtime import RUNTIME_NAME
from tests.cli.test_plan_cli import mlops
from tests.conftest import REPO

RUNTIME_TYPE = "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime"
GONE = "mlserver"


def test_plan_of_int_and_prod_declares_only_the_predictor_runtime():
    text = mlops("plan", "-s", "int", "-s", "prod")
    assert text.returncode == 0, text.stderr
    assert GONE not in text.stdout.lower()
    found = mlops("plan", "-s", "int", "-s", "prod", "--json")
    assert found.returncode == 0, found.stderr
    assert GONE not in found.stdout.lower()
    for plan in json.loads(found.stdout):
        runtimes = [r for r in plan["resources"] if r["type"] == RUNTIME_TYPE]
        assert [r["name"] for r in runtimes] == [RUNTIME_NAME], plan["stack"]
        (container,) = runtimes[0]["inputs"]["spec"]["containers"]
        assert container["command"] == ["mlops"] and container["args"] == ["serve"]
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert env["MLOPS_REQUEST_LOG"].startswith("s3://"), plan["stack"]


@pytest.mark.parametrize("env", ["int", "prod"])
def test_rendered_trees_serve_with_the_predictor_runtime_only(env: str):
    tree = REPO / "gitops" / "envs" / env
    files = [p for p in tree.rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if GONE in p.read_text(encoding="utf-8").lower()]
    services = [
        doc
        for path in files
        if path.suffix == ".yaml"
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc and doc.get("kind") == "InferenceService"
    ]
    assert services
    assert {s["spec"]["predictor"]["model"]["runtime"] for s in services} == {RUNTIME_NAME}
