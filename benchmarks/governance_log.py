"""Benchmark of the evidence log next to its raw floor, in one run on one disk.

Floor: plain SQLite inserts of the same rows into the same table with the same durability
(WAL, synchronous=FULL, one transaction per batch / per single insert; batches interleaved with
the log's so that other load slows both alike), and hashlib over the same canonical bytes read
in one process. The log adds validation, canonical JSON, chaining, the head read under the
writer lock and one signed checkpoint per transaction; verification adds the checks of every
stored field and the checkpoints, and runs one range of entries per CPU.

The HTTP latency target is read at the target rate: 8 clients that each wait for their answer
before sending again keep 8 requests in flight, so their latency at saturation is queueing
(8 / throughput), reported too.

    uv run python benchmarks/governance_log.py [--dir DIR] [--out benchmarks/results/governance.md]

Targets (issue 17): batched append at least 50 % of the raw floor; verification of 1,000,000
entries within 5 s; incremental verification from the newest anchor proportional to the new
entries; the Audit API over HTTP at least 2,000 appends/s batched from 8 clients, p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mlops.governance.auth import token_digest
from mlops.governance.chain import content_bytes
from mlops.governance.db import Db, DbUrl
from mlops.governance.entry import Subject, canonical_json
from mlops.governance.keys import key_id
from mlops.governance.log import _INSERT_ENTRY, _SCHEMA, EvidenceLog, NewEntry
from mlops.governance.verify import verify_db

BATCH = 1000
BATCHES = 50
SINGLES = 2000
VERIFY_N = 1_000_000
INCREMENTS = (10_000, 100_000)  # new entries after the anchor, verified from it
HTTP_CLIENTS = 8
HTTP_BATCH = 50
HTTP_SECONDS = 10.0
PACED_SECONDS = 30.0  # 1,200 requests: the p99 is the 12th slowest, not the 4th of 400
# The paced phase follows saturation: for about a second the disk is still writing out what
# those 10 s left (commits waited 60-110 ms for it). Its first seconds are reported on their own.
PACED_SETTLE = 3.0
HTTP_TARGET = 2000  # entries/s offered in the paced phase
VERIFY_CPU: list[float] = []  # CPU seconds of the full and the incremental verification
SUBJECT = Subject(model="credit-risk", version="3", environment="prod", run="r-42", commit="abc123")
DIGEST = "sha256:" + "ab" * 32


def _raw_conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    for statement in _SCHEMA:
        conn.execute(statement)
    return conn


def _rows(start: int, count: int) -> list[tuple]:
    subject = tuple(SUBJECT.as_dict().values())
    artifacts = canonical_json({"model": DIGEST})
    return [
        (seq, "2025-01-01T00:00:00.000000Z", "measurement", *subject, "accuracy",
         canonical_json(0.9 + seq % 100 / 1000), "ratio", "bench", artifacts, "0" * 64, "f" * 64)
        for seq in range(start, start + count)
    ]  # fmt: skip


def _content(row: tuple) -> bytes:
    return content_bytes(
        row[0], row[1], row[2], row[3:8], row[8], row[9], row[10], row[11], row[12], row[13]
    )


def _items(count: int) -> list[NewEntry]:
    return [
        NewEntry(SUBJECT, "accuracy", 0.9 + i % 100 / 1000, "ratio", "bench", {"model": DIGEST})
        for i in range(count)
    ]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_batched(tmp: Path, key: Ed25519PrivateKey) -> tuple[float, float]:
    """Entries/s of the raw floor and of the log, their batches interleaved so that whatever
    else runs on the machine slows both alike."""
    conn = _raw_conn(tmp / "raw-batch.db")
    raw = ours = 0.0
    with EvidenceLog(str(tmp / "log-batch.db"), signing_key=key) as log:
        for b in range(BATCHES):
            start = time.perf_counter()
            rows = _rows(b * BATCH + 1, BATCH)
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(_INSERT_ENTRY, rows)
            conn.execute("COMMIT")
            raw += time.perf_counter() - start
            start = time.perf_counter()
            log.append_many(_items(BATCH))
            ours += time.perf_counter() - start
    conn.close()
    return BATCHES * BATCH / raw, BATCHES * BATCH / ours


def bench_single(tmp: Path, key: Ed25519PrivateKey) -> tuple[list[float], list[float]]:
    conn = _raw_conn(tmp / "raw-single.db")
    raw = []
    for row in _rows(1, SINGLES):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_INSERT_ENTRY, row)
        conn.execute("COMMIT")
        raw.append(time.perf_counter() - start)
    conn.close()
    ours = []
    with EvidenceLog(str(tmp / "log-single.db"), signing_key=key) as log:
        for i in range(SINGLES):
            start = time.perf_counter()
            log.append(
                SUBJECT, "accuracy", 0.9 + i % 100 / 1000, "ratio", "bench", {"model": DIGEST}
            )
            ours.append(time.perf_counter() - start)
    return raw, ours


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (verification workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def bench_verify(tmp: Path, key: Ed25519PrivateKey) -> tuple[float, float, list[float]]:
    """Full verification of VERIFY_N entries, then verification from the newest anchor after
    each of INCREMENTS more entries (wall s; CPU s in VERIFY_CPU), and the raw floor."""
    trusted = {key_id(key.public_key()): key.public_key()}
    with EvidenceLog(str(tmp / "log-verify.db"), signing_key=key) as log:
        for _ in range(VERIFY_N // 5000):
            log.append_many(_items(5000))
        anchor = log.latest_checkpoint()
        start, cpu = time.perf_counter(), _cpu()
        result = log.verify(public_key=key.public_key())
        ours = time.perf_counter() - start
        VERIFY_CPU.append(_cpu() - cpu)
        assert result.ok and result.entries == VERIFY_N, result.problems[:3]
    incremental, appended = [], 0
    for count in INCREMENTS:
        with EvidenceLog(str(tmp / "log-verify.db"), signing_key=key) as log:
            for _ in range((count - appended) // 5000):
                log.append_many(_items(5000))
        appended = count
        database = Db(DbUrl.parse(str(tmp / "log-verify.db")), read_only=True)
        start, cpu = time.perf_counter(), _cpu()
        increment = verify_db(database, trusted, [anchor], since=anchor)
        incremental.append(time.perf_counter() - start)
        VERIFY_CPU.append(_cpu() - cpu)
        database.close()
        assert increment.ok and increment.entries == count, increment.problems[:3]
    conn = sqlite3.connect(tmp / "log-verify.db")
    start = time.perf_counter()
    cursor = conn.execute("SELECT * FROM audit_entries WHERE seq <= ? ORDER BY seq", (VERIFY_N,))
    while rows := cursor.fetchmany(5000):
        for row in rows:
            hashlib.sha256(_content(row)).hexdigest()
    raw = time.perf_counter() - start
    conn.close()
    return raw, ours, incremental


def bench_http(tmp: Path) -> dict[str, float]:
    """`mlops audit serve` on loopback, 8 clients posting batches of 50: for HTTP_SECONDS as
    fast as they can (the most entries/s; each client waits for its answer, so the latency there
    is queueing: 8 requests in flight / throughput), then each paced so that together they
    offer HTTP_TARGET entries/s: PACED_SETTLE s after the saturation, then PACED_SECONDS (the
    latency at the target rate)."""
    token = "bench-token"
    (tmp / "tokens.json").write_text(json.dumps({token_digest(token): "auditee"}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mlops", "audit", "serve", "--audit", str(tmp / "http.db"),
         "--port", str(port), "--tokens", str(tmp / "tokens.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        body = {"entries": [
            {"subject": SUBJECT.model_dump(exclude_none=True), "name": "accuracy",
             "value": 0.9, "unit": "ratio", "source": "bench"} for _ in range(HTTP_BATCH)
        ]}  # fmt: skip
        figures: dict[str, float] = {}
        phases = (("max", 0.0, HTTP_SECONDS, 0.0),
                  ("paced", HTTP_CLIENTS * HTTP_BATCH / HTTP_TARGET, PACED_SECONDS,
                   PACED_SETTLE))  # fmt: skip
        for phase, interval, seconds, settle in phases:
            found = _http_phase(url, {"Authorization": f"Bearer {token}"}, body, interval,
                                seconds, settle)  # fmt: skip
            figures |= {f"{phase}_{name}": value for name, value in found.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


def _http_phase(
    url: str, headers: dict[str, str], body: dict, interval: float, seconds: float, settle: float
) -> dict[str, float]:
    """HTTP_CLIENTS clients for settle + seconds, each sending the next batch `interval` seconds
    after the last was due (0: as soon as the answer is in): entries/s, p50, p99, errors of the
    requests due after the first `settle` seconds; the p99 and slowest of those before; the
    p99 of all.

    Each client is made and connected before the clock starts (making 8 at once took 100-250 ms
    of the phase, and their first requests then went out late and together). Paced, a request's
    latency counts from when it was due, not from when the client got round to sending it: a
    slow answer that delays the next request is not hidden (coordinated omission)."""
    timed: list[tuple[float, float]] = []  # (due, seconds after the clock started; latency)
    errors = [0]
    clock: dict[str, float] = {}

    def start_clock() -> None:
        clock["began"] = time.perf_counter()

    ready = threading.Barrier(HTTP_CLIENTS, action=start_clock)

    def client(offset: float) -> None:
        with httpx.Client(base_url=url, headers=headers) as http:
            http.get("/healthz")
            ready.wait()
            began = clock["began"]
            stop = began + settle + seconds
            due = began + offset
            while (now := time.perf_counter()) < stop:
                if due > now:
                    time.sleep(due - now)
                start = time.perf_counter() if interval == 0 else due
                response = http.post("/v1/entries/batch", json=body)
                timed.append((start - began, time.perf_counter() - start))
                errors[0] += response.status_code != 201
                due += interval

    threads = [
        threading.Thread(target=client, args=(interval * i / HTTP_CLIENTS,))
        for i in range(HTTP_CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - clock["began"] - settle
    counted = [latency for due, latency in timed if due >= settle]
    settling = [latency for due, latency in timed if due < settle] or [0.0]
    return {"rate": len(counted) * HTTP_BATCH / elapsed, "p50": statistics.median(counted),
            "p99": _pct(counted, 0.99), "errors": errors[0],
            "settle_p99": _pct(settling, 0.99), "settle_max": max(settling),
            "all_p99": _pct([latency for _, latency in timed], 0.99)}  # fmt: skip


def bench_hash_only() -> float:
    contents = [_content(row) for row in _rows(1, VERIFY_N)]
    start = time.perf_counter()
    for content in contents:
        hashlib.sha256(content).hexdigest()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, default=None, help="Where the databases go (default: a temp dir)."
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="Also write the Markdown table here."
    )
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp_name:
        tmp = Path(tmp_name)
        raw_batch, our_batch = bench_batched(tmp, key)
        raw_single, our_single = bench_single(tmp, key)
        raw_verify, our_verify, incremental = bench_verify(tmp, key)
        hash_only = bench_hash_only()
        web = bench_http(tmp)
        where = tmp_name
    ms = 1000
    lines = [
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; databases under {where} ({_fs(where)}).",
        "",
        "| measure | raw floor | evidence log | target |",
        "|---|---|---|---|",
        f"| batched append ({BATCH}/transaction), entries/s | {raw_batch:,.0f} | {our_batch:,.0f} ({our_batch / raw_batch:.0%} of raw) | >= 50 % of raw |",
        f"| single append p50, ms | {statistics.median(raw_single) * ms:.3f} | {statistics.median(our_single) * ms:.3f} | |",
        f"| single append p99, ms | {_pct(raw_single, 0.99) * ms:.3f} | {_pct(our_single, 0.99) * ms:.3f} | <= 5 |",
        f"| verify {VERIFY_N:,} entries, s (CPU s, workers included); µs per entry | {raw_verify:.3f} (read + sha256, one process) | {our_verify:.3f} ({VERIFY_CPU[0]:.3f}); {our_verify / VERIFY_N * 1e6:.1f} | <= 5 |",
        *(
            f"| incremental verify of {n:,} new entries from the newest anchor, s (CPU s); µs per entry | | {t:.3f} ({c:.3f}); {t / n * 1e6:.1f} | proportional to the new entries |"
            for n, t, c in zip(INCREMENTS, incremental, VERIFY_CPU[1:], strict=True)
        ),
        f"| sha256 over the same {VERIFY_N:,} canonical contents, s | {hash_only:.3f} | | |",
        f"| Audit API over HTTP, {HTTP_CLIENTS} clients x {HTTP_BATCH}/batch as fast as they can, entries/s | | {web['max_rate']:,.0f} | >= 2,000 |",
        f"| the same: request p50 / p99, ms ({web['max_errors']:.0f} error answers; queueing: {HTTP_CLIENTS} requests always in flight) | | {web['max_p50'] * ms:.1f} / {web['max_p99'] * ms:.1f} | |",
        f"| Audit API over HTTP, {HTTP_CLIENTS} clients paced to {HTTP_TARGET:,} entries/s together, {PACED_SECONDS:.0f} s after the first {PACED_SETTLE:.0f}: achieved entries/s | | {web['paced_rate']:,.0f} | |",
        f"| the same: request p50 / p99, ms, from when each request was due ({web['paced_errors']:.0f} error answers) | | {web['paced_p50'] * ms:.1f} / {web['paced_p99'] * ms:.1f} | p99 <= 20 |",
        f"| the same, its first {PACED_SETTLE:.0f} s right after the saturation (not in the row above): p99 / slowest, ms; p99 of all {PACED_SETTLE + PACED_SECONDS:.0f} s | | {web['paced_settle_p99'] * ms:.1f} / {web['paced_settle_max'] * ms:.1f}; {web['paced_all_p99'] * ms:.1f} | |",
        "",
        f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "",
        f"Command: `uv run python {' '.join(['benchmarks/governance_log.py', *sys.argv[1:]])}`",
    ]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("# Evidence log benchmark\n\n" + text, encoding="utf-8")


def _fs(path: str) -> str:
    """The filesystem type of path (fsync cost depends on it), from /proc/mounts where available."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown filesystem"
    real = os.path.realpath(path)
    best = max((m for m in mounts if real.startswith(m[1])), key=lambda m: len(m[1]), default=None)
    return f"{best[2]} on {best[1]}" if best else "unknown filesystem"


if __name__ == "__main__":
    main()
