"""Time of `mlops preflight --stack prod` with every pinned chart in a local cache, beside its
baseline in the same run: `mlops plan --stack prod` (the offline plan preflight starts from).
Wall time and the CPU time of the command and everything it starts (Helm, kubectl, git), so
that a loaded machine can be told from a slow program. Target: 60 s on 2 cores.

    uv run python benchmarks/preflight_prod.py --charts DIR [--runs 1] [--cpus 0,1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time


def timed(command: list[str]) -> tuple[int, float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.returncode, wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", required=True)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cpus", default=None, help="taskset CPU list, e.g. 0,1")
    args = parser.parse_args()
    if args.cpus and not shutil.which("taskset"):
        raise SystemExit("--cpus needs taskset (util-linux)")
    prefix = ["taskset", "-c", args.cpus] if args.cpus else []
    mlops = [*prefix, sys.executable, "-m", "mlops"]
    commands = {
        "plan (baseline)": [*mlops, "plan", "--stack", "prod", "--json"],
        "preflight": [*mlops, "preflight", "--stack", "prod", "--charts", args.charts, "--json"],
    }
    load_before = os.getloadavg()[0]
    print("| run | command | exit | wall s | CPU s | findings |")
    print("|---|---|---|---|---|---|")
    for run in range(1, args.runs + 1):
        for label, command in commands.items():
            code, wall, cpu, stdout = timed(command)
            findings = ""
            if label == "preflight" and stdout.strip():
                findings = str(len(json.loads(stdout)["findings"]))
            print(f"| {run} | {label} | {code} | {wall:.1f} | {cpu:.1f} | {findings} |")
    cpus = args.cpus or f"all {os.cpu_count()}"
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs (pinned to: {cpus}), "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )


if __name__ == "__main__":
    main()
