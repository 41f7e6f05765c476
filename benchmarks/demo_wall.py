"""Wall time of `mlops demo` as a user runs it (a new process), twice: in a fresh work directory,
then again in the same one. Prints a markdown table of the step times from each run's
summary.json, the exit codes, the machine and its load.

    uv run python benchmarks/demo_wall.py [--runs 2] [--cpus 0,1]

`--cpus 0,1` pins the demo and every process it starts to those CPUs (`taskset`), to measure
the 2-core target on a larger machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(workdir: Path, cpus: str | None) -> tuple[int, float, dict]:
    command = [sys.executable, "-m", "mlops", "demo", "--workdir", str(workdir), "--json"]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    summary_file = workdir / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
    return done.returncode, wall, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cpus", default=None, help="taskset CPU list, e.g. 0,1")
    args = parser.parse_args()
    if args.cpus and not shutil.which("taskset"):
        raise SystemExit("--cpus needs taskset (util-linux)")
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch) / "demo"
        for index in range(args.runs):
            code, wall, summary = run_once(workdir, args.cpus)
            rows.append((index + 1, code, wall, summary.get("step_seconds", {})))
    steps = next((list(timings) for *_, timings in rows if timings), [])
    print("| run | exit | wall s | " + " | ".join(steps) + " |")
    print("|---|---|---|" + "---|" * len(steps))
    for number, code, wall, timings in rows:
        cells = " | ".join(f"{timings.get(step, float('nan')):.1f}" for step in steps)
        print(f"| {number} | {code} | {wall:.1f} | {cells} |")
    cpus = args.cpus or f"all {os.cpu_count()}"
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs (demo pinned to: {cpus}), "
          f"Python {sys.version.split()[0]}; load average (1 min) before {load_before:.2f}, "
          f"after {os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
