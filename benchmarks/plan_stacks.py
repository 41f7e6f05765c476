"""Benchmark: `mlops plan` over all four stacks, wall time and resource counts.

Run: uv run python benchmarks/plan_stacks.py [--out benchmarks/results/plan.md]

Measures (a) the end-to-end wall time of one `mlops plan -s local -s dev -s int -s prod --json`
as a user runs it (fresh process, best and median of several), the target; (b) each stack on its
own, `mlops plan --stack <stack> --json`; and (c) in one fresh process each, where the time goes
(importing the command line, importing the Pulumi program, planning each stack), side by side
with the garbage collector as the `mlops` command tunes it and with Python's defaults. Not a unit
test: timings on a shared machine vary, so the result names the machine, the load and the date.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STACKS = ("local", "dev", "int", "prod")
REPEATS = 3
TARGET_S = 3.0
MLOPS = str(REPO / ".venv" / "bin" / "mlops")
ALL_STACKS = [MLOPS, "plan", "--json", *[arg for stack in STACKS for arg in ("-s", stack)]]

IN_PROCESS = """
import json, resource, sys, time
t0 = time.perf_counter()
from mlops.cli.app import tune_gc
if sys.argv[1] == "tuned":
    tune_gc()
t1 = time.perf_counter()
from pathlib import Path
from mlops.config.loader import load_stack
from mlops.plan.runner import plan_stack
import components.program  # the Pulumi SDK and providers
t2 = time.perf_counter()
rows = {}
for stack in %r:
    start = time.perf_counter()
    rows[stack] = [len(plan_stack(stack, load_stack(Path("stacks"), stack)).resources),
                   time.perf_counter() - start]
t3 = time.perf_counter()
print(json.dumps({"cli_s": t1 - t0, "import_s": t2 - t1, "plan_s": t3 - t2, "rows": rows,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=REPO, capture_output=True, check=True)
    return time.perf_counter() - start


def breakdown(gc_mode: str) -> dict[str, object]:
    """Best of REPEATS fresh processes, by their import + plan time."""
    runs = []
    for _ in range(REPEATS):
        completed = subprocess.run(
            [sys.executable, "-c", IN_PROCESS % (STACKS,), gc_mode],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(completed.stdout))
    return min(runs, key=lambda run: run["import_s"] + run["plan_s"])


def report(walls: list[float], single: dict[str, float], parts: dict[str, dict]) -> str:
    tuned, default = parts["tuned"], parts["default"]
    best = min(walls)
    lines = [
        "# Benchmark: offline plan of all four stacks",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average before the run "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "- command: `uv run python benchmarks/plan_stacks.py --out benchmarks/results/plan.md`",
        f"- end to end: `{' '.join(['mlops', *ALL_STACKS[1:]])}`, {REPEATS} fresh processes",
        f"- target: all four stacks within {TARGET_S:.0f} s on 2 cores",
        "",
        "| measure | seconds |",
        "|---|---|",
        f"| end to end, best of {REPEATS} | {best:.2f} |",
        f"| end to end, median of {REPEATS} | {statistics.median(walls):.2f} |",
        "",
        f"Where the time goes, one fresh process (best of {REPEATS}), the garbage collector as",
        "`mlops` tunes it (`mlops.cli.app.tune_gc`) beside Python's defaults:",
        "",
        "| stage | tuned s | default s |",
        "|---|---|---|",
        f"| import of the command line | {tuned['cli_s']:.2f} | {default['cli_s']:.2f} |",
        "| import of the Pulumi program (SDK, aws, kubernetes, random, tls) | "
        f"{tuned['import_s']:.2f} | {default['import_s']:.2f} |",
    ]
    lines += [
        f"| plan {stack} ({tuned['rows'][stack][0]} resources) | {tuned['rows'][stack][1]:.2f} "
        f"| {default['rows'][stack][1]:.2f} |"
        for stack in STACKS
    ]
    lines += [
        f"| peak memory, MB | {tuned['rss_mb']:.0f} | {default['rss_mb']:.0f} |",
        "",
        "| stack | `mlops plan --stack <stack> --json` alone, best of 3, s |",
        "|---|---|",
        *[f"| {stack} | {single[stack]:.2f} |" for stack in STACKS],
        "",
        f"Target met: {'yes' if best <= TARGET_S else 'no'} ({best:.2f} s for all four stacks).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the Markdown result here")
    args = parser.parse_args()
    walls = [wall(ALL_STACKS) for _ in range(REPEATS)]
    single = {
        stack: min(wall([MLOPS, "plan", "--stack", stack, "--json"]) for _ in range(REPEATS))
        for stack in STACKS
    }
    parts = {mode: breakdown(mode) for mode in ("tuned", "default")}
    text = report(walls, single, parts)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
