"""Peak memory of every command that takes a file, over the hostile corpus the tests generate
(`tests/hostile/corpus.py`), against the same command on a small well-formed file of the same
kind ("normal start-up": its imports and setup). Target: every hostile run within 150 MB of its
command's baseline, and every hostile run refused with exit 2.

Each run is its own `python -m mlops` process; its peak resident set comes from `wait4`. This
script keeps its own memory small (the model and key are made by a child process): Linux starts a
child's peak at its parent's resident set at fork, so a large parent would hide every figure.

    uv run python benchmarks/hostile_memory.py [--out benchmarks/results/hostile-memory.md]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile.corpus import Setup, build_corpus, commands  # noqa: E402

TARGET_MB = 150.0


def peak_mb(argv: list[str], cwd: Path) -> tuple[int, float, float]:
    """(exit code, peak RSS in MB, seconds) of one `mlops` run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "MLFLOW_"))}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlops", *argv],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024, time.perf_counter() - started


def _setup(directory: Path) -> Setup:
    """make_setup in a child process (it imports MLflow and scikit-learn)."""
    code = (
        "import sys, json, dataclasses; sys.path.insert(0, sys.argv[2]);"
        "from tests.hostile.corpus import make_setup;"
        "print(json.dumps({k: str(v) for k, v in dataclasses.asdict("
        "make_setup(__import__('pathlib').Path(sys.argv[1]))).items()}))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(directory), str(REPO)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    fields = json.loads(done.stdout.strip().splitlines()[-1])
    return Setup(**{k: Path(v) for k, v in fields.items()})


def baselines(directory: Path, setup_reference: Path) -> dict[str, Path]:
    """A small well-formed file of each kind."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        ".yaml": b"name: small\n",
        ".json": b'{"id": "small"}',
        ".jsonl": setup_reference.with_suffix(".jsonl").read_bytes(),
        ".csv": setup_reference.read_bytes(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "small")
    files[".zip"] = buffer.getvalue()
    paths = {}
    for suffix, data in files.items():
        path = directory / f"small{suffix}"
        path.write_bytes(data)
        paths[suffix] = path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/hostile-memory.md")
    parser.add_argument("--files", nargs="*", help="Only these corpus files (default: all).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-") as temp:
        root = Path(temp)
        setup = _setup(root / "setup")
        corpus = build_corpus(root / "corpus")
        if args.files:
            corpus = {name: path for name, path in corpus.items() if name in args.files}
        small = baselines(root / "small", setup.reference)
        base: dict[str, float] = {}
        kinds = {path.suffix for path in corpus.values()}
        for suffix, path in small.items():
            if suffix not in kinds:
                continue
            for name, argv in commands(path, setup, root / f"scratch-base{suffix}").items():
                code, mb, _ = peak_mb(argv, setup.workdir)
                base[name] = mb
                print(f"baseline {name}: exit {code}, {mb:.0f} MB", flush=True)
        shutil.rmtree(setup.workdir)  # what the well-formed runs wrote
        setup.workdir.mkdir()
        results = []
        for index, (file_name, path) in enumerate(corpus.items()):
            for name, argv in commands(path, setup, root / f"scratch-{index}").items():
                code, mb, seconds = peak_mb(argv, setup.workdir)
                results.append((file_name, name, code, mb, mb - base[name], seconds))
                print(f"{file_name} | {name}: exit {code}, {mb:.0f} MB "
                      f"(+{mb - base[name]:.0f}), {seconds:.1f} s", flush=True)  # fmt: skip
        leftovers = sorted(str(p.relative_to(setup.workdir)) for p in setup.workdir.rglob("*"))
    worst = max(results, key=lambda r: r[4])
    refused = all(r[2] == 2 for r in results)
    met = worst[4] <= TARGET_MB and refused and not leftovers
    lines = [
        "# Peak memory over the hostile corpus",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average at the end {os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Each run is one `python -m mlops` "
        "process; peak resident set from `wait4`. Baseline: the same command on a small "
        "well-formed file of the same kind.",
        "",
        "| command | baseline, MB |",
        "|---|---|",
        *(f"| {name} | {mb:.0f} |" for name, mb in sorted(base.items())),
        "",
        "| hostile file | command | exit | peak, MB | above baseline, MB | seconds |",
        "|---|---|---|---|---|---|",
        *(
            f"| {f} | {name} | {code} | {mb:.0f} | {delta:+.0f} | {seconds:.1f} |"
            for f, name, code, mb, delta, seconds in results
        ),
        "",
        f"Target: every hostile run within {TARGET_MB:.0f} MB of its baseline and refused (exit 2), "
        f"nothing left in the work directory. Largest: **{worst[4]:+.0f} MB** ({worst[1]} on "
        f"{worst[0]}); all refused with exit 2: **{refused}**; files left behind: "
        f"**{len(leftovers)}** ({'met' if met else 'NOT met'}).",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines[-2:]))


if __name__ == "__main__":
    main()
