"""Wall time of `mlops promote` on a local repository, no network.

Builds the scratch world of the acceptance tests (a Git repository holding a copy of the GitOps
tree, an MLflow registry on SQLite, an audit log on SQLite), registers fresh versions with their
evidence, then times `mlops promote --model credit-risk --version V --to dev` as a user runs it
(a new process each time), and splits the time into interpreter + CLI start-up, the MLflow import
and the promotion itself (measured in process).

    uv run python benchmarks/promote_wall.py [--runs 5] [--registry sqlite|http]
        [--bytecode cached|none]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import httpx  # noqa: E402

from tests.gates.scenario import MODEL, migrated_mlflow_db, new_world  # noqa: E402


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def start_server(
    backend: str, tmp: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], str]:
    """`mlflow server` on a free loopback port over the scratch database (stopped by pid)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp / "mlflow-server.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server", "--backend-store-uri", backend,
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"mlflow server did not start; see {tmp / 'mlflow-server.log'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--bytecode",
        choices=("cached", "none"),
        default="cached",
        help="cached: .pyc files in a scratch PYTHONPYCACHEPREFIX, warmed up first (an installed "
        "tool); none: every import compiles from source (PYTHONDONTWRITEBYTECODE=1).",
    )
    parser.add_argument(
        "--registry",
        choices=("sqlite", "http"),
        default="sqlite",
        help="sqlite: --tracking-uri sqlite:///... (MLflow client in process); http: a local "
        "`mlflow server` on 127.0.0.1 over the same database (REST through httpx).",
    )
    args = parser.parse_args()
    runs = args.runs
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        env = dict(os.environ)
        if args.bytecode == "cached":
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        (tmp / "world").mkdir()
        world = new_world(tmp / "world", migrated_mlflow_db(tmp))
        versions = []
        for _ in range(runs + 2):
            version = world.register()
            world.training_evidence(version)
            versions.append(version)
        server = None
        tracking = world.tracking_uri
        if args.registry == "http":
            server, tracking = start_server(world.tracking_uri, tmp, env)
        common = ["--audit-db", world.audit_url, "--tracking-uri", tracking,
                  "--root", str(world.repo)]  # fmt: skip
        promote_cmd = [python, "-m", "mlops", "promote", "--model", MODEL, "--to", "dev"]
        try:
            timed([*promote_cmd, "--version", versions[-2], *common], env)  # warm-up
            cli = [timed([*promote_cmd, "--version", v, *common], env) for v in versions[:runs]]
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=60)
        startup = [timed([python, "-m", "mlops", "--help"], env) for _ in range(runs)]
        mlflow_import = [
            timed([python, "-c", "from mlflow.tracking import MlflowClient"], env)
            for _ in range(runs)
        ]
        from mlops.promotion.promote import promote

        started = time.perf_counter()
        promote(world.repo, MODEL, versions[-1], "dev", world.factory())
        in_process = time.perf_counter() - started
        world.audit.close()

    def line(label: str, values: list[float]) -> str:
        return (f"| {label} | {statistics.median(values):.2f} | {min(values):.2f} | "
                f"{max(values):.2f} | {len(values)} |")  # fmt: skip

    print("| what | median s | min s | max s | runs |")
    print("|---|---|---|---|---|")
    print(line("`mlops promote ... --to dev` (new process)", cli))
    print(line("`mlops --help` (interpreter + CLI start-up)", startup))
    print(line("`from mlflow.tracking import MlflowClient`", mlflow_import))
    print(line("promote() in process, MLflow warm (gate, edit, render, commit)", [in_process]))
    print(f"\nregistry: {args.registry}; bytecode: {args.bytecode}; machine: {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}, {sys.platform}")  # fmt: skip


if __name__ == "__main__":
    main()
