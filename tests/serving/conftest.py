"""Shared fixtures: tiny real MLflow models, a running `mlops serve`, the CLI in-process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("income", "age")


def training_frame(seed: int = 0, rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(50, 10, rows), "age": rng.normal(40, 12, rows)})


def save_model(path: Path, flip: bool = False) -> Path:
    """Train a logistic regression and save it as an MLflow model (no environment inference,
    nothing downloaded). `flip` inverts the labels: a candidate that disagrees everywhere."""
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    frame = training_frame()
    labels = (frame.income > 50).astype(int)
    model = LogisticRegression().fit(frame, 1 - labels if flip else labels)
    mlflow.sklearn.save_model(
        model,
        str(path),
        signature=infer_signature(frame, model.predict(frame)),
        pip_requirements=["scikit-learn"],
        serialization_format="cloudpickle",  # skops costs seconds to import in every server
    )
    return path


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    return save_model(tmp_path_factory.mktemp("models") / "credit")


@pytest.fixture(scope="session")
def candidate_dir(tmp_path_factory) -> Path:
    return save_model(tmp_path_factory.mktemp("models") / "candidate", flip=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_file: Path
    output: Path


def start_process(
    argv: list[str],
    workdir: Path,
    env: dict[str, str] | None = None,
    cleared: tuple[str, ...] = ("MLOPS_",),
) -> tuple[subprocess.Popen, Path]:
    """`argv` in its own session, output to workdir/server.out, with this environment minus the
    variables named by `cleared` prefixes, plus `env`."""
    output = workdir / "server.out"
    base = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
    with output.open("wb") as handle:
        process = subprocess.Popen(
            argv, env={**base, "PYTHONUNBUFFERED": "1", **(env or {})}, stdout=handle,
            stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True,
        )  # fmt: skip
    return process, output


def start_server(args: list[str], workdir: Path) -> tuple[subprocess.Popen, Path]:
    return start_process([sys.executable, "-m", "mlops", "serve", *args], workdir)


def wait_ready(url: str, name: str, process: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}: {output.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/v2/models/{name}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready: {output.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server this test started, by its pid."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture(scope="session")
def server(model_dir, tmp_path_factory) -> Iterator[Server]:
    """A real `mlops serve` process: request log to JSONL, `age` masked, linear explanations."""
    work = tmp_path_factory.mktemp("server")
    port = free_port()
    process, output = start_server(
        [
            "--model-uri", str(model_dir), "--name", "credit", "--version", "7",
            "--environment", "int", "--log-sink", str(work / "requests.jsonl"),
            "--mask", "age", "--explain", "linear", "--port", str(port),
        ],
        work,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, "credit", process, output)
        yield Server(url, process, work / "requests.jsonl", output)
    finally:
        stop(process)


@pytest.fixture
def mlops(mlops, monkeypatch):
    """The shared runner, with no MLOPS_* setting taken from the environment."""
    for key in [k for k in os.environ if k.startswith("MLOPS_")]:
        monkeypatch.delenv(key)
    return mlops
