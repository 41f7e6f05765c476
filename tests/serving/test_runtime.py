"""The cluster's serving runtime, run as the cluster runs it: the exact container (entrypoint,
args, settings) the `platform-predictor` ClusterServingRuntime declares for the local stack,
serving the credit-risk pipeline's model (the demo's: gradient-boosted trees) with the stack's
request log on; the records carry model name, version and digest, input, output, a
per-feature explanation of the tree model, and the application's response."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from components.kserve import serving_runtimes
from mlops.config.loader import load_stack
from mlops.demo.applications import applications
from mlops.serving.runtime import RUNTIME_NAME, local_process, model_env
from mlops.serving.sinks import read_records
from tests.components.test_kserve import args_for
from tests.serving.conftest import REPO_ROOT, free_port, start_process, stop, wait_ready

MODEL = "credit-risk"


@dataclass(frozen=True)
class Trained:
    path: Path
    digest: str
    inputs: list[str]


@pytest.fixture(scope="module")
def credit_risk_model(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """The credit-risk pipeline's model, trained in int mode (the same pipeline and estimator
    as the demo's prod-mode run, on a sub-sample: seconds instead of a minute)."""
    from mlflow import MlflowClient

    from mlops.serving.artifact import registry_storage_uri
    from mlops.serving.digest import artifact_digest
    from pipelines.credit_risk import data
    from pipelines.credit_risk.local import run_local

    work = tmp_path_factory.mktemp("training")
    tracking = f"sqlite:///{work / 'mlflow.db'}"
    result = run_local("int", work, tracking_uri=tracking, audit_url=f"sqlite:///{work / 'a.db'}")
    assert result.candidate, result.gate_failures
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    path = Path(registry_storage_uri(result.model_uri, client).removeprefix("file://"))
    return Trained(path, artifact_digest(path), list(data.INPUTS))


@dataclass(frozen=True)
class Running:
    url: str
    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def runtime(credit_risk_model: Trained, stack_configs, tmp_path_factory) -> Iterator[Running]:
    """The ClusterServingRuntime's container for the local stack, started by its own command
    and args; only the pod's share (port, model directory, the InferenceService's model settings)
    and the sink (a file here, the object store in the cluster) are local."""
    work = tmp_path_factory.mktemp("runtime")
    (container,) = serving_runtimes(args_for(stack_configs["local"]), "request-logs")[RUNTIME_NAME][
        "containers"
    ]
    port = free_port()
    log = work / "requests.jsonl"
    argv, env = local_process(
        container,
        port=port,
        model_uri=str(credit_risk_model.path),
        model=model_env(MODEL, "3", credit_risk_model.digest, "int"),
        overrides={"MLOPS_REQUEST_LOG": str(log), "MLOPS_REQUEST_LOG_MASK": "income"},
    )
    process, output = start_process(argv, work, env, cleared=("MLOPS_",))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, MODEL, process, output)
        yield Running(url, argv, log, process)
    finally:
        stop(process)


def test_the_runtime_is_the_predictor_image_entrypoint(runtime: Running):
    assert Path(runtime.argv[1]).name == "mlops" and runtime.argv[2:] == ["serve"]
    assert Path(f"/proc/{runtime.process.pid}/cmdline").read_bytes().split(b"\0")[:-1] == [
        part.encode() for part in runtime.argv
    ]
    local = load_stack(REPO_ROOT / "stacks", "local").serving.request_log
    assert local.enabled and local.explain == "auto"


def test_requests_are_logged_with_metadata_response_and_tree_explanations(
    runtime: Running, credit_risk_model: Trained
):
    rows = applications(3, seed=5)
    rows[1]["employment_years"] = None  # optional in the model's signature: logged as null
    answer = httpx.post(f"{runtime.url}/v1/models/{MODEL}:predict", json={"instances": rows})
    assert answer.status_code == 200, answer.text
    request_id = answer.headers["x-request-id"]
    v2 = httpx.post(
        f"{runtime.url}/v2/models/{MODEL}/infer",
        json={
            "inputs": [
                {"name": name, "shape": [1], "datatype": _datatype(rows[0][name]),
                 "data": [rows[0][name]]}
                for name in credit_risk_model.inputs
            ]
        },
    )  # fmt: skip
    assert v2.status_code == 200, v2.text
    responded = httpx.post(
        f"{runtime.url}/v1/models/{MODEL}/responses",
        json={"id": request_id, "response": {"decision": "declined", "reason_code": "R12"}},
    )
    assert responded.status_code == 202 and responded.json()["logged"] is True
    bad = httpx.post(f"{runtime.url}/v1/models/{MODEL}/responses", json={"response": 1})
    assert bad.status_code == 400
    stop(runtime.process)  # SIGTERM: the buffered log is written out before the process exits

    records = read_records(str(runtime.log), None)
    inference = [r for r in records if r["type"] == "inference"]
    assert len(inference) == 2
    first = next(r for r in inference if r["id"] == request_id)
    assert (first["model"], first["version"], first["environment"]) == (MODEL, "3", "int")
    assert first["digest"] == credit_risk_model.digest
    assert len(first["input"]) == 3 and first["input"][0]["age"] == rows[0]["age"]
    assert first["input"][1]["employment_years"] is None
    assert {row["income"] for row in first["input"]} == {"***"}  # masked as the stack says
    assert first["output"] == answer.json()["predictions"]
    explanation = first["explanation"]
    assert len(explanation) == 3
    for row, probabilities in zip(explanation, first["output"], strict=True):
        assert set(row) == {*credit_risk_model.inputs, "_score"}
        assert row["_score"] == pytest.approx(probabilities[-1])
        assert row["income"] == "***"  # an attribution is as personal as the value
    moved = [abs(v) for row in explanation for k, v in row.items() if k not in ("_score", "income")]
    assert max(moved) > 0  # the tree model's score depends on its inputs
    assert next(r for r in inference if r["id"] != request_id)["protocol"] == "v2"
    (response,) = [r for r in records if r["type"] == "response"]
    assert response["id"] == request_id
    assert response["application_response"] == {"decision": "declined", "reason_code": "R12"}
    assert json.dumps(records)  # plain JSON all the way


def _datatype(value: object) -> str:
    if isinstance(value, str):
        return "BYTES"
    if isinstance(value, int):
        return "INT64"
    return "FP64"
