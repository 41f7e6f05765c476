"""The clusters' request log on the real store: the serving runtime's container as the local
stack declares it (sink `s3://request-logs/serving`, buffered), signed with the model reader's
own identity, writes objects of JSON lines; the evidence collector's own identity reads them
back, and nothing else, and `mlops evidence collect` assesses drift from them."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from components.kserve import serving_runtimes
from mlops.config.model import REQUEST_LOG_BUCKET
from mlops.config.namespaces import NAMESPACES
from mlops.config.object_store import IN_CLUSTER_REGION, STORE_GRANTS, TRANSFER_IDENTITY
from mlops.objectstore.local import LocalStore, local_store
from mlops.serving.runtime import RUNTIME_NAME, local_process, model_env
from mlops.serving.sinks import read_s3_records
from tests.components.test_kserve import args_for
from tests.evidence.conftest import write_reference_schema
from tests.objectstore.conftest import BUCKETS, GRANTS
from tests.objectstore.test_permissions import refused
from tests.serving.conftest import free_port, save_model, start_process, stop, wait_ready

# the local stack's rows for this model: income far above and below its training range
ROWS = [{"income": 70.0, "age": 30.0}, {"income": 30.0, "age": 50.0}]
REQUESTS = 30  # 60 logged rows: above the drift assessment's minimum of 50
MODELS = NAMESPACES["models"].name
COLLECTOR = NAMESPACES["collector"].name


@dataclass
class Served:
    url: str
    sink: str
    ids: list[str]
    output: Path


@pytest.fixture(scope="module")
def logs_store(weed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    work = tmp_path_factory.mktemp("seaweedfs-logs")
    with local_store(weed, work, BUCKETS, GRANTS) as running:
        yield running


def _logged(store: LocalStore, sink: str, count: int, within_s: float = 30) -> None:
    """Wait for the buffered log's batches (one object per flush, every 5 s in the stack)."""
    deadline = time.monotonic() + within_s
    while len(read_s3_records(sink, client=store.client(COLLECTOR))) < count:
        assert time.monotonic() < deadline, f"fewer than {count} records in {sink}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def served(logs_store, stack_configs, tmp_path_factory) -> Iterator[Served]:
    """The runtime's container of the local stack, with the models namespace's keys, after
    REQUESTS predictions, once their records are in the store."""
    work = tmp_path_factory.mktemp("runtime")
    model = save_model(work / "model")
    (container,) = serving_runtimes(args_for(stack_configs["local"]), REQUEST_LOG_BUCKET)[
        RUNTIME_NAME
    ]["containers"]
    sink = next(item["value"] for item in container["env"] if item["name"] == "MLOPS_REQUEST_LOG")
    port = free_port()
    argv, env = local_process(
        container, port=port, model_uri=str(model), model=model_env("credit", "7", "", "local"),
        overrides={  # what the pod gets from the models namespace's key Secret
            "AWS_ACCESS_KEY_ID": MODELS, "AWS_SECRET_ACCESS_KEY": logs_store.keys[MODELS],
            "AWS_ENDPOINT_URL": logs_store.url, "AWS_DEFAULT_REGION": IN_CLUSTER_REGION,
        },
    )  # fmt: skip
    process, output = start_process(argv, work, env, cleared=("MLOPS_", "AWS_"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, "credit", process, output)
        ids = [
            httpx.post(f"{url}/v1/models/credit:predict", json={"instances": ROWS})
            .raise_for_status()
            .headers["x-request-id"]
            for _ in range(REQUESTS)
        ]
        _logged(logs_store, sink, REQUESTS)
        yield Served(url, sink, ids, output)
    finally:
        stop(process)


def test_the_runtime_appends_request_logs_to_the_store(logs_store, served):
    assert served.sink == f"s3://{REQUEST_LOG_BUCKET}/serving"
    reader = logs_store.client(COLLECTOR)
    records = read_s3_records(served.sink, client=reader)
    assert [r["id"] for r in records] == served.ids, served.output.read_text()[-2000:]
    assert {(r["model"], r["version"], r["environment"]) for r in records} == {
        ("credit", "7", "local")
    }
    assert all(r["explanation"] and "_intercept" in r["explanation"][0] for r in records)
    keys = [o["Key"] for o in reader.list_objects_v2(Bucket=REQUEST_LOG_BUCKET)["Contents"]]
    assert keys and all(key.startswith("serving/credit/") for key in keys)


def test_the_collector_reads_request_logs_and_cannot_change_them_or_read_models(logs_store):
    assert STORE_GRANTS["collector"].bucket == REQUEST_LOG_BUCKET
    name = f"test/{uuid.uuid4().hex}"
    logs_store.client(MODELS).put_object(Bucket=REQUEST_LOG_BUCKET, Key=name, Body=b"record")
    collector = logs_store.client(COLLECTOR)
    assert collector.get_object(Bucket=REQUEST_LOG_BUCKET, Key=name)["Body"].read() == b"record"
    listed = collector.list_objects_v2(Bucket=REQUEST_LOG_BUCKET, Prefix="test/")["Contents"]
    assert name in [item["Key"] for item in listed]
    refused(lambda: collector.put_object(Bucket=REQUEST_LOG_BUCKET, Key=name, Body=b"forged"))
    refused(lambda: collector.put_object(Bucket=REQUEST_LOG_BUCKET, Key=f"{name}-new", Body=b"x"))
    refused(lambda: collector.delete_object(Bucket=REQUEST_LOG_BUCKET, Key=name))
    models = STORE_GRANTS["models"].bucket
    logs_store.client(TRANSFER_IDENTITY).put_object(Bucket=models, Key=name, Body=b"model")
    refused(lambda: collector.get_object(Bucket=models, Key=name))
    refused(lambda: collector.list_objects_v2(Bucket=models))
    refused(lambda: collector.put_object(Bucket=models, Key=name, Body=b"tampered"))
    refused(lambda: collector.list_objects_v2(Bucket=STORE_GRANTS["mlflow"].bucket))  # registry
    assert logs_store.client(MODELS).get_object(Bucket=models, Key=name)["Body"].read() == b"model"


def test_collect_assesses_drift_from_the_records_in_the_store(
    logs_store, served, mlops, monkeypatch, tmp_path
):
    """`mlops evidence collect` as the CronJob runs it: the collector namespace's keys as
    files, the store's endpoint, and the request log as the platform's ConfigMap names it."""
    keys = tmp_path / "store-keys"
    keys.mkdir()
    (keys / "AWS_ACCESS_KEY_ID").write_text(COLLECTOR)
    (keys / "AWS_SECRET_ACCESS_KEY").write_text(logs_store.keys[COLLECTOR] + "\n")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {"MLOPS_STORE_KEYS_DIR": str(keys), "AWS_ENDPOINT_URL": logs_store.url,
                       "AWS_DEFAULT_REGION": IN_CLUSTER_REGION,
                       "MLOPS_REQUEST_LOG": served.sink}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    schema = tmp_path / "schema.json"
    write_reference_schema(schema)
    code, out, err = mlops(
        "evidence", "collect", "--env", "local", "--metrics-url", f"{served.url}/metrics",
        "--reference", str(schema), "--max-p95-latency-ms", "10000",
        "--audit", str(tmp_path / "audit.db"), "--json",
    )  # fmt: skip
    assert code == 1, err  # a breach of the live goals
    result = json.loads(out)
    (done,) = result["subjects"]
    assert (done["model"], done["version"]) == ("credit", "7")
    assert done["drift"]["assessed"] and done["drift"]["rows"] == 2 * REQUESTS
    assert "income" in [item["feature"] for item in done["drift"]["breached"]]
    assert not done["verdict"]["passed"]
