"""Benchmark: `mlops policy check` over all four stacks, wall time and where it goes.

Run: uv run python benchmarks/policy_check.py [--out benchmarks/results/policy.md]

Measures (a) the end-to-end wall time of one `mlops policy check -s local -s dev -s int -s prod
--json` as CI runs it (fresh process, best and median of several), the target, and (b) in one
fresh process, one stack at a time: starting the two packs (their own interpreters, as Pulumi
runs them), importing the Pulumi program, planning each stack, and evaluating the packs on each
plan. The command itself plans the stacks in forked workers, one per core, and evaluates each
plan while the next ones are planned, so (a) is less than the sum of (b). Not a unit test: timings on
a shared machine vary, so the result names the machine, the load and the date.
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
TARGET_S = 5.0
COMMAND = [str(REPO / ".venv" / "bin" / "mlops"), "policy", "check", "--json"] + [
    arg for stack in STACKS for arg in ("-s", stack)
]

IN_PROCESS = """
import json, time
t0 = time.perf_counter()
from mlops.cli.app import tune_gc
tune_gc()  # as the mlops command runs
from pathlib import Path
from mlops.config.loader import load_stack, stack_file
from mlops.policy.engine import PolicyEngine, Target
targets = [Target(s, load_stack(Path("stacks"), s), stack_file(Path("stacks"), s)) for s in %r]
engine = PolicyEngine(targets)
t1 = time.perf_counter()
from mlops.plan.runner import plan_stack
import components.program
t2 = time.perf_counter()
rows = []
for target in targets:  # one stack at a time here, to see where the time goes
    a = time.perf_counter()
    resources = plan_stack(target.stack, target.config).resources
    b = time.perf_counter()
    result = engine.check(target, resources)
    c = time.perf_counter()
    rows.append({"stack": target.stack, "resources": len(resources), "plan_s": b - a,
                 "policy_s": c - b, "rules": len(result.rules),
                 "mandatory": len(result.mandatory), "advisory": len(result.violations) - len(result.mandatory)})
engine.close()
t3 = time.perf_counter()
print(json.dumps({"start_s": t1 - t0, "import_s": t2 - t1, "rows": rows, "total_s": t3 - t0}))
"""


def end_to_end() -> list[float]:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(COMMAND, cwd=REPO, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def breakdown() -> dict[str, object]:
    script = IN_PROCESS % (STACKS,)
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report(walls: list[float], parts: dict[str, object]) -> str:
    rows = parts["rows"]
    assert isinstance(rows, list)
    plan = sum(row["plan_s"] for row in rows)
    policy = sum(row["policy_s"] for row in rows)
    lines = [
        "# Benchmark: `mlops policy check` for all four stacks",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average before the run "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "- command: `uv run python benchmarks/policy_check.py --out benchmarks/results/policy.md`",
        f"- end to end: `{' '.join(['mlops', *COMMAND[1:]])}`, {REPEATS} fresh processes",
        "- target: within 5 s on 2 cores",
        "",
        "| measure | seconds |",
        "|---|---|",
        f"| end to end, best of {REPEATS} | {min(walls):.2f} |",
        f"| end to end, median of {REPEATS} | {statistics.median(walls):.2f} |",
        f"| start both packs (returns at once; they load in parallel) | {parts['start_s']:.2f} |",
        f"| import of the Pulumi program | {parts['import_s']:.2f} |",
        f"| plan of the four stacks (mlops plan, under mocks) | {plan:.2f} |",
        f"| policy evaluation of the four plans (both packs, gRPC) | {policy:.2f} |",
        f"| total, one process, one stack at a time | {parts['total_s']:.2f} |",
        "",
        "| stack | resources | rules | plan s | policy s | mandatory | advisory |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['stack']} | {r['resources']} | {r['rules']} | {r['plan_s']:.2f} | "
        f"{r['policy_s']:.2f} | {r['mandatory']} | {r['advisory']} |"
        for r in rows
    ]
    met = "yes" if min(walls) <= TARGET_S else "no"
    lines += ["", f"Target met: {met} ({min(walls):.2f} s end to end for all four stacks)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the Markdown result here")
    args = parser.parse_args()
    text = report(end_to_end(), breakdown())
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
