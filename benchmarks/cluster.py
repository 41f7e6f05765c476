"""Benchmark: the local control plane (`mlops cluster`): build, warm `up`, apply of all stacks.

Run: uv run python benchmarks/cluster.py [--cold] [--runs 3] [--out benchmarks/results/cluster.md]

Measures (a) with `--cold`, building every control-plane program into an empty toolchain cache
and an empty Go build cache (the module cache is kept: downloads are not the build); (b) warm
`mlops cluster up` in a fresh process, the time to a ready API server (`/readyz` 200) and to the
whole control plane ready (kwok nodes Ready, default ServiceAccount), and `down`; (c) applying
the objects of all four stacks and their gitops manifests, in turn, as `mlops cluster apply`
does, with the offline plan of the stacks timed apart from the apply. The cache size of the
programs is listed with their versions. Not a unit test: timings on a shared machine vary, so
the result names the machine, the load and the date.
"""

import argparse
import os
import platform
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from mlops import toolchain
from mlops.cluster import lifecycle
from mlops.cluster.apply import Applier
from mlops.cluster.stacks import StackApplier, install_crds, rendered_manifests
from mlops.cluster.state import Layout, State
from mlops.config.loader import load_stack
from mlops.plan.runner import plan_stacks
from mlops.toolchain import cache

REPO = Path(__file__).resolve().parents[1]
STACKS = ("local", "dev", "int", "prod")
TARGET_UP_S = 20.0
TARGET_APPLY_S = 60.0
MLOPS = str(REPO / ".venv" / "bin" / "mlops")


def cold_build() -> list[tuple[str, float]]:
    """Every control-plane program built from scratch (fresh toolchain and Go build caches)."""
    rows = []
    with tempfile.TemporaryDirectory() as xdg, tempfile.TemporaryDirectory() as gocache:
        os.environ.update({"XDG_CACHE_HOME": xdg, "GOCACHE": gocache})
        try:
            for name in lifecycle.PROGRAMS:
                start = time.perf_counter()
                toolchain.binary(name)
                rows.append((name, time.perf_counter() - start))
        finally:
            del os.environ["XDG_CACHE_HOME"], os.environ["GOCACHE"]
    return rows


def warm_up(state_dir: Path) -> tuple[float, float, float]:
    """(s to /readyz 200, s to `mlops cluster up` exit, s for `mlops cluster down`)."""
    start = time.perf_counter()
    process = subprocess.Popen([MLOPS, "cluster", "up", "--stack", "prod", "--state-dir", str(state_dir)],
                               stdout=subprocess.DEVNULL)  # fmt: skip
    layout = Layout(state_dir)
    ready = None
    while process.poll() is None:
        state = State.load(layout) if (state_dir / "state.json").is_file() else None
        if (
            ready is None
            and state is not None
            and (layout.pki / "admin.key").is_file()
            and lifecycle.api_ready(layout, state)
        ):
            ready = time.perf_counter() - start
        time.sleep(0.05)
    up = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"mlops cluster up failed (exit {process.returncode})")
    start = time.perf_counter()
    subprocess.run(
        [MLOPS, "cluster", "down", "--state-dir", str(state_dir)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return ready or up, up, time.perf_counter() - start


def apply_all(state_dir: Path) -> tuple[float, float, list[str]]:
    """(s to plan the four stacks, s to apply them in turn, the per-stack counts)."""
    lifecycle.up(state_dir, "prod")
    try:
        configs = {stack: load_stack(REPO / "stacks", stack) for stack in STACKS}
        start = time.perf_counter()
        plans = plan_stacks(configs)
        planned = time.perf_counter() - start
        layout = Layout(state_dir)
        lines = []
        with lifecycle.client(layout) as api:
            start = time.perf_counter()
            applier = Applier(api, "benchmark")
            crds = install_crds(applier)
            stacks = StackApplier(applier)
            lines.append(f"CRDs: {len(crds.accepted)} accepted, {len(crds.refused)} refused")
            for plan in plans:
                lines.append(stacks.apply_plan(plan).summary())
                lines.append(
                    stacks.apply_manifests(
                        plan.stack, rendered_manifests(REPO, plan.stack)
                    ).summary()
                    + " (gitops)"
                )
            applied = time.perf_counter() - start
        return planned, applied, lines
    finally:
        lifecycle.down(state_dir)


def cache_rows() -> list[str]:
    rows = []
    for name, program in toolchain.PROGRAMS.items():
        entry = cache.entry(program)
        size = (
            sum(p.stat().st_size for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else 0
        )
        rows.append(f"| {name} | {program.version} | {size / 2**20:.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also build from empty caches (long)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load = os.getloadavg()
    for name in lifecycle.PROGRAMS:  # warm: build what is missing before timing anything
        toolchain.binary(name)
    built = cold_build() if args.cold else []
    with tempfile.TemporaryDirectory() as tmp:
        ups = [warm_up(Path(tmp) / f"up-{i}") for i in range(args.runs)]
        planned, applied, lines = apply_all(Path(tmp) / "apply")
    ready = [u[0] for u in ups]
    report = [
        "# Benchmark: the local control plane (`mlops cluster`)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average before the run {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}",
        f"- command: `uv run python benchmarks/cluster.py{' --cold' if args.cold else ''} --runs {args.runs}`",
        f"- targets on 2 cores: warm `up` to a ready API server within {TARGET_UP_S:.0f} s; "
        f"four stacks applied within {TARGET_APPLY_S:.0f} s",
        "",
        "| measure | seconds | target |",
        "|---|---|---|",
        f"| warm `mlops cluster up` to API server ready, median of {args.runs} | {statistics.median(ready):.1f} | {TARGET_UP_S:.0f} |",
        f"| warm `mlops cluster up` to API server ready, worst of {args.runs} | {max(ready):.1f} | |",
        f"| warm `mlops cluster up` until it exits (nodes Ready, ServiceAccount), median | {statistics.median(u[1] for u in ups):.1f} | |",
        f"| `mlops cluster down`, median | {statistics.median(u[2] for u in ups):.1f} | |",
        f"| apply of all four stacks and their gitops manifests (CRDs first) | {applied:.1f} | {TARGET_APPLY_S:.0f} |",
        f"| offline plan of the four stacks (not part of the apply) | {planned:.1f} | |",
        "",
        "What the apply did:",
        "",
        *[f"- {line}" for line in lines],
        "",
    ]
    if built:
        report += [
            "Cold build (empty toolchain and Go build caches, module cache kept):",
            "",
            "| program | seconds |",
            "|---|---|",
            *[f"| {n} | {s:.0f} |" for n, s in built],
            "",
        ]
    report += [
        "Cached programs (`${XDG_CACHE_HOME:-~/.cache}/mlops-platform/toolchain`):",
        "",
        "| program | version | MiB |",
        "|---|---|---|",
        *cache_rows(),
        "",
    ]
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
