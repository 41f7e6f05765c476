"""The clusters' request log on the real store: the serving runtime's container as the local
stack declares it (sink `s3://request-logs/serving`, buffered), signed with the model reader's
own identity, writes objects of JSON lines a reader of that bucket gets back whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from components.kserve import serving_runtimes
from mlops.config.model import REQUEST_LOG_BUCKET
from mlops.config.namespaces import NAMESPACES
from mlops.config.object_store import Grant
from mlops.objectstore.local import LocalStore, local_store
from mlops.serving.runtime import RUNTIME_NAME, local_process, model_env
from mlops.serving.sinks import read_s3_records
from tests.components.test_kserve import args_for
from tests.objectstore.conftest import BUCKETS, GRANTS
from tests.serving.conftest import free_port, save_model, start_process, stop, wait_ready

ROWS = [{"income": 70.0, "age": 30.0}, {"income": 30.0, "age": 50.0}]
MODELS = NAMESPACES["models"].name
# whoever reads the log (the evidence collector) holds read access to the bucket; here, the test
READER = {"request-log-reader": Grant(REQUEST_LOG_BUCKET, write=False)}


@pytest.fixture(scope="module")
def logs_store(weed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    work = tmp_path_factory.mktemp("seaweedfs-logs")
    with local_store(weed, work, BUCKETS, {**GRANTS, **READER}) as running:
        yield running


def test_the_runtime_appends_request_logs_to_the_store(logs_store, stack_configs, tmp_path):
    model = save_model(tmp_path / "model")
    (container,) = serving_runtimes(args_for(stack_configs["local"]), REQUEST_LOG_BUCKET)[
        RUNTIME_NAME
    ]["containers"]
    sink = next(item["value"] for item in container["env"] if item["name"] == "MLOPS_REQUEST_LOG")
    assert sink == f"s3://{REQUEST_LOG_BUCKET}/serving"
    port = free_port()
    argv, env = local_process(
        container, port=port, model_uri=str(model), model=model_env("credit", "7", "", "local"),
        overrides={  # what the pod gets from the models namespace's key Secret
            "AWS_ACCESS_KEY_ID": MODELS, "AWS_SECRET_ACCESS_KEY": logs_store.keys[MODELS],
            "AWS_ENDPOINT_URL": logs_store.url, "AWS_DEFAULT_REGION": "us-east-1",
        },
    )  # fmt: skip
    process, output = start_process(argv, tmp_path, env, cleared=("MLOPS_", "AWS_"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, "credit", process, output)
        ids = [
            httpx.post(f"{url}/v1/models/credit:predict", json={"instances": ROWS})
            .raise_for_status()
            .headers["x-request-id"]
            for _ in range(5)
        ]
    finally:
        stop(process)  # the buffered records are written before it exits
    reader = logs_store.client("request-log-reader")
    records = read_s3_records(sink, client=reader)
    assert [r["id"] for r in records] == ids, output.read_text()[-2000:]
    assert {(r["model"], r["version"], r["environment"]) for r in records} == {
        ("credit", "7", "local")
    }
    assert all(r["explanation"] and "_intercept" in r["explanation"][0] for r in records)
    keys = [o["Key"] for o in reader.list_objects_v2(Bucket=REQUEST_LOG_BUCKET)["Contents"]]
    assert keys and all(key.startswith("serving/credit/") for key in keys)
