"""A real predictor in prod with its own request log, the audit log with a certification
body, and the traffic helpers the evidence tests share."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from mlops.governance.client import EmbeddedAuditClient
from mlops.governance.keys import write_private_key
from tests.serving.conftest import (
    free_port,
    mlops,
    model_dir,
    start_server,
    stop,
    training_frame,
    wait_ready,
)

__all__ = ["mlops", "model_dir"]


@dataclass
class Predictor:
    url: str
    log: Path

    @property
    def metrics(self) -> str:
        return f"{self.url}/metrics"

    def send(self, frame: pd.DataFrame, request_id: str | None = None) -> httpx.Response:
        headers = {"x-request-id": request_id} if request_id else {}
        response = httpx.post(f"{self.url}/v1/models/credit:predict", headers=headers,
                              json={"instances": frame.to_dict("records")}, timeout=30)  # fmt: skip
        assert response.status_code == 200, response.text
        return response


@pytest.fixture(scope="session")
def predictor(model_dir, tmp_path_factory) -> Iterator[Predictor]:
    """`mlops serve` of the tiny credit model (version 7) in prod; requests to a JSONL log.
    One for the session: each test sends its own traffic and reads the newest rows, or the
    rows since its own collector's previous run."""
    work = tmp_path_factory.mktemp("predictor")
    port = free_port()
    process, output = start_server(
        ["--model-uri", str(model_dir), "--name", "credit", "--version", "7",
         "--environment", "prod", "--log-sink", str(work / "requests.jsonl"),
         "--port", str(port)],
        work,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, "credit", process, output)
        yield Predictor(url, work / "requests.jsonl")
    finally:
        stop(process)


@pytest.fixture(scope="session")
def reference_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reference") / "reference.csv"
    training_frame(seed=0, rows=2000).to_csv(path, index=False)
    return path


def traffic(rows: int, seed: int, income_shift: float = 0.0) -> pd.DataFrame:
    frame = training_frame(seed=seed, rows=rows)
    frame["income"] = frame["income"] + income_shift
    return frame


@pytest.fixture
def audit(tmp_path) -> Iterator[tuple[str, EmbeddedAuditClient]]:
    """An embedded evidence log whose certifier has its own key (certificates can be issued)."""
    key = tmp_path / "certification.pem"
    write_private_key(key)
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    client = EmbeddedAuditClient(url, certification_key=key)
    try:
        yield url, client
    finally:
        client.close()


def write_reference_schema(path: Path) -> None:
    """A training reference as `mlops evidence collect --reference` reads it (the pipeline's
    schema.json): income binned over 40-60, age over 28-52."""
    edges = {"income": [40.0, 50.0, 60.0], "age": [28.0, 40.0, 52.0]}
    columns = [
        {"name": name, "reference": {"bin_edges": bins, "bin_fractions": [0.16, 0.34, 0.34, 0.16]}}
        for name, bins in edges.items()
    ]
    path.write_text(json.dumps({"rows": 2000, "columns": columns}), encoding="utf-8")
