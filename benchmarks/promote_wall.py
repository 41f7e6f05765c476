"""Wall time of `mlops promote` on a local repository, no network.

Builds the scratch world of the acceptance tests (a Git repository holding a copy of the GitOps
tree, an MLflow registry on SQLite, an audit log on SQLite), registers fresh versions with their
evidence, then times `mlops promote --model credit-risk --version V --to dev` as a user runs it
(a new process each time), next to the interpreter + CLI start-up, the MLflow import and the
promotion itself in process. Wall and CPU (user + sys) seconds are both reported: on a shared
machine the wall time includes waiting for a core.

    uv run python benchmarks/promote_wall.py [--runs 5] [--registry sqlite|http]
        [--bytecode cached|none]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from mlops.gates.evaluate import released_version  # noqa: E402
from tests.gates.scenario import MODEL, World, migrated_mlflow_db, new_world  # noqa: E402

Samples = tuple[list[float], list[float]]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU user+sys) seconds of one process run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(commands: list[list[str]], env: dict[str, str]) -> Samples:
    pairs = [timed(command, env) for command in commands]
    return [wall for wall, _ in pairs], [cpu for _, cpu in pairs]


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


def environment(tmp: Path, bytecode: str) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def time_cli(world: World, versions: list[str], tracking: str, env: dict[str, str]) -> Samples:
    command = [sys.executable, "-m", "mlops", "promote", "--model", MODEL, "--to", "dev",
               "--audit", world.audit_url, "--tracking-uri", tracking, "--root", str(world.repo)]  # fmt: skip
    timed([*command, "--version", versions[0]], env)  # warm-up (writes the bytecode cache)
    return measure([[*command, "--version", v] for v in versions[1:]], env)


def time_in_process(world: World, warm: str, timed_version: str) -> float:
    from mlops.promotion.promote import promote

    promote(world.repo, MODEL, warm, "dev", world.factory())  # imports, caches
    started = time.perf_counter()
    promote(world.repo, MODEL, timed_version, "dev", world.factory())
    return time.perf_counter() - started


def line(label: str, samples: Samples) -> str:
    wall, cpu = samples
    return (f"| {label} | {statistics.median(wall):.2f} | {min(wall):.2f} | {max(wall):.2f} | "
            f"{statistics.median(cpu):.2f} | {len(wall)} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--registry", choices=("sqlite", "http"), default="sqlite",
        help="sqlite: --tracking-uri sqlite:///... (MLflow client in process); http: a local "
        "`mlflow server` on 127.0.0.1 over the same database (REST through httpx).",
    )  # fmt: skip
    parser.add_argument(
        "--bytecode", choices=("cached", "none"), default="cached",
        help="cached: .pyc files in a scratch PYTHONPYCACHEPREFIX, warmed up first (an installed "
        "tool); none: every import compiles from source (PYTHONDONTWRITEBYTECODE=1).",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        env = environment(tmp, args.bytecode)
        (tmp / "world").mkdir()
        world = new_world(tmp / "world", migrated_mlflow_db(tmp))
        live = released_version(world.repo, "dev", MODEL)
        versions: list[str] = []
        while len(versions) < args.runs + 3:
            version = world.register()
            world.training_evidence(version)
            if version != live:  # promoting what dev already runs would be a no-op
                versions.append(version)
        server, tracking = None, world.tracking_uri
        if args.registry == "http":
            server, tracking = start_server(world.tracking_uri, tmp, env)
        try:
            cli = time_cli(world, versions[: args.runs + 1], tracking, env)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=60)
        help_cmd = [sys.executable, "-m", "mlops", "--help"]
        startup = measure([help_cmd] * args.runs, env)
        mlflow_cmd = [sys.executable, "-c", "from mlflow.tracking import MlflowClient"]
        mlflow_import = measure([mlflow_cmd] * args.runs, env)
        in_process = time_in_process(world, versions[-2], versions[-1])
        world.audit.close()
    print("| what | wall median s | wall min s | wall max s | CPU (user+sys) median s | runs |")
    print("|---|---|---|---|---|---|")
    print(line("`mlops promote ... --to dev` (new process)", cli))
    print(line("`mlops --help` (interpreter + CLI start-up)", startup))
    print(line("`from mlflow.tracking import MlflowClient`", mlflow_import))
    print(
        f"| promote() in process, warm (gate, edit, render, commit) | {in_process:.2f} | | | | 1 |"
    )
    print(f"\nregistry: {args.registry}; bytecode: {args.bytecode}; load average at the end: "
          f"{os.getloadavg()[0]:.2f}; machine: {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}, {sys.platform}")  # fmt: skip


if __name__ == "__main__":
    main()
