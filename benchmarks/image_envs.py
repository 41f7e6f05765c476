"""Benchmark: the size of each image's Python environment beside the single environment every
image installed before the split.

Run: uv run python benchmarks/image_envs.py [--out benchmarks/results/images.md]

Each image environment is built by `images/build-env`, the script the Dockerfile's shared build
stage runs (the project and one extra, `pip check`, the entry point imported once), into a
scratch directory. The baseline is rebuilt the way every image built it before: the project with
every runtime dependency (today the extra `tools`), no dev group, byte-compiled. Sizes are the
bytes of every file (hard links counted in each environment).
Target: the predictor and the governance service each at most a third of the baseline.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGES = {"governance": "governance", "predictor": "serving", "pipeline": "pipelines"}
CAPPED = ("governance", "predictor")


def size_mb(root: Path) -> float:
    total = sum(path.lstat().st_size for path in root.rglob("*") if path.is_file())
    return total / 1e6


def packages(env: Path) -> int:
    return len(list(env.glob("lib/python*/site-packages/*.dist-info")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        baseline_env = Path(scratch) / "single"
        subprocess.run(
            ["uv", "sync", "--quiet", "--frozen", "--no-default-groups", "--extra", "tools",
             "--no-editable"],
            check=True, cwd=REPO,
            env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(baseline_env), "UV_COMPILE_BYTECODE": "1"},
        )  # fmt: skip
        baseline = size_mb(baseline_env)
        rows = [("single environment before the split", baseline, packages(baseline_env))]
        for image, part in IMAGES.items():
            env = Path(scratch) / image
            subprocess.run([REPO / "images" / "build-env", part, env], check=True, cwd=REPO)
            rows.append((f"{image} (extra `{part}`)", size_mb(env), packages(env)))
    lines = [
        "# Benchmark: each image's Python environment",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "- command: `uv run python benchmarks/image_envs.py --out benchmarks/results/images.md`",
        "- target: predictor and governance each at most a third of the single environment",
        "",
        "| environment | MB | packages | share of the single environment |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {mb:.0f} | {count} | {mb / baseline:.0%} |" for name, mb, count in rows]
    over = [name for name, mb, _ in rows[1:] if name.split()[0] in CAPPED and mb > baseline / 3]
    lines += ["", f"- within target: {'no: ' + ', '.join(over) if over else 'yes'}"]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
