"""Object-store benchmark, in one run on one machine: put and get of 1 MiB and 64 MiB objects
through the local SeaweedFS server (the pinned `weed`, started as the cluster runs it: encrypted
chunks, versioned buckets, the mlflow consumer's identity, boto3 over loopback) against the same
bytes written to and read from local files (written with fsync, the baseline a server's own
writes cannot beat). No target: the figures show what the store costs over the disk it sits on.

Rounds alternate (store, files, store, files, ...) so that drift in the machine's load hits both
sides alike; the table reports medians over the rounds.

    uv run python benchmarks/object_store.py [--rounds 5] [--out benchmarks/results/object-store.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mlops.config.model import SEAWEEDFS_RELEASE, StorageConfig
from mlops.config.object_store import Grant
from mlops.objectstore.local import LocalStore, local_store
from mlops.toolchain import binary, program

MIB = 1024 * 1024
SIZES = (1 * MIB, 64 * MIB)
BUCKET = "mlflow-artifacts"
CONSUMER = "mlflow"


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def store_round(store: LocalStore, payload: bytes, key: str) -> tuple[float, float]:
    client = store.client(CONSUMER)
    put = timed(lambda: client.put_object(Bucket=BUCKET, Key=key, Body=payload))
    got: list[bytes] = []
    get = timed(lambda: got.append(client.get_object(Bucket=BUCKET, Key=key)["Body"].read()))
    assert got[0] == payload
    return put, get


def file_round(folder: Path, payload: bytes, key: str) -> tuple[float, float]:
    path = folder / key

    def write() -> None:
        with path.open("wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    put = timed(write)
    got: list[bytes] = []
    get = timed(lambda: got.append(path.read_bytes()))
    assert got[0] == payload
    return put, get


def throughput(size: int, seconds: float) -> str:
    return f"{size / MIB / seconds:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/object-store.md"))
    args = parser.parse_args()
    weed = binary("weed")
    results: dict[tuple[str, int], dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mlops-bench-store-") as tmp:
        work = Path(tmp)
        files = work / "files"
        files.mkdir()
        buckets = StorageConfig(mode="in_cluster").buckets
        with local_store(weed, work / "store", buckets, {CONSUMER: Grant(BUCKET, True)}) as store:
            for size in SIZES:
                payload = secrets.token_bytes(size)
                store_round(store, payload, "warm-up")  # first write allocates a volume
                for side in ("store", "files"):
                    results[(side, size)] = {"put": [], "get": []}
                for index in range(args.rounds):
                    key = f"object-{size}-{index}"
                    for side, run in (("store", store_round), ("files", file_round)):
                        target = store if side == "store" else files
                        put, get = run(target, payload, key)  # type: ignore[arg-type]
                        results[(side, size)]["put"].append(put)
                        results[(side, size)]["get"].append(get)
    rows = []
    for size in SIZES:
        for operation in ("put", "get"):
            store_s = statistics.median(results[("store", size)][operation])
            file_s = statistics.median(results[("files", size)][operation])
            rows.append(
                f"| {operation} {size // MIB} MiB | {store_s * 1000:,.1f} | "
                f"{throughput(size, store_s)} | {file_s * 1000:,.1f} | "
                f"{throughput(size, file_s)} | {store_s / file_s:,.1f}x |"
            )
    weed_program = program("weed")
    report = "\n".join(
        [
            "# Object-store benchmark",
            "",
            f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; load average at the end {os.getloadavg()[0]:.1f}. "
            f"Server: `weed mini` (SeaweedFS {SEAWEEDFS_RELEASE}, {weed_program.version}) on "
            "loopback with the platform's command line (encrypted chunks, versioned buckets), "
            "one boto3 client with the mlflow identity. Files: the same bytes written with "
            "fsync and read back, on the same disk. Median of "
            f"{args.rounds} alternating rounds per size, after one warm-up put.",
            "",
            "| operation | store, ms | store, MiB/s | local files, ms | local files, MiB/s "
            "| store / files |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Command: `uv run python benchmarks/object_store.py --rounds {args.rounds} "
            f"--out {args.out}`",
            "",
        ]
    )
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
