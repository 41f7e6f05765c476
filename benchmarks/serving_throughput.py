"""Serving benchmark, in one run on one machine: predictor throughput with request logging on
against off (target: on >= 90 % of off), and `mlops loadtest` figures against wrk on the same
endpoint (target: throughput and p50 within 10 %).

A tiny scikit-learn model saved with MLflow is served by `mlops serve` (one KServe worker).
Rounds alternate (off, on, off, on, ...; wrk, loadtest, wrk, loadtest, ...) so that drift in the
machine's load hits both sides alike; the table reports medians over the rounds. Throughput
on/off is measured with wrk, the reference client; wrk's p95 comes from its Lua `done` hook.

    uv run python benchmarks/serving_throughput.py [--duration 8] [--rounds 3]
        [--concurrency 4] [--out benchmarks/results/serving.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BODY = json.dumps({"instances": [{"income": 61.5, "age": 33.0}, {"income": 42.0, "age": 51.0}]})
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '%s'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"errors\\": %%d, \\"non2xx\\": %%d, "
    .. "\\"p50_us\\": %%d, \\"p95_us\\": %%d, \\"p99_us\\": %%d}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _model(folder: Path) -> Path:
    import mlflow.sklearn
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.normal(50, 10, 500), "age": rng.normal(40, 12, 500)})
    model = LogisticRegression().fit(frame, (frame.income > 50).astype(int))
    path = folder / "model"
    mlflow.sklearn.save_model(model, str(path), signature=infer_signature(frame, model.predict(frame)),
                              pip_requirements=["scikit-learn"], serialization_format="cloudpickle")  # fmt: skip
    return path


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, model: Path, folder: Path, log_sink: str | None) -> None:
        self.port = _port()
        args = [
            "--model-uri",
            str(model),
            "--name",
            "credit",
            "--version",
            "1",
            "--port",
            str(self.port),
        ]
        if log_sink:
            args += ["--log-sink", log_sink]
        self.log = (folder / f"server-{self.port}.out").open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "mlops", "serve", *args],
                                        stdout=self.log, stderr=subprocess.STDOUT)  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}/v1/models/credit:predict"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.post(self.url, content=BODY, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError("server did not start")
        for _ in range(200):  # warm up
            httpx.post(self.url, content=BODY)

    def stop(self) -> None:
        os.kill(self.process.pid, signal.SIGTERM)
        self.process.wait(30)
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(server: Server, run) -> dict[str, float]:
    """Run one measurement and add the server's CPU time per answered request: a figure the
    other processes on a shared machine do not distort, unlike wall-clock throughput."""
    before = cpu_seconds(server.process.pid)
    result = run()
    used = cpu_seconds(server.process.pid) - before
    result["cpu_us_per_request"] = used / max(result["requests"], 1) * 1e6
    result["capacity_rps"] = result["requests"] / used if used else 0.0
    return result


def wrk(url: str, script: Path, duration: float, concurrency: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{int(duration)}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    data = json.loads(out.split("WRKJSON ", 1)[1].splitlines()[0])
    total = data["requests"]
    return {
        "requests": total,
        "rps": total / (data["duration_us"] / 1e6),
        "p50": data["p50_us"] / 1000,
        "p95": data["p95_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "error_rate": (data["errors"] + data["non2xx"]) / max(total, 1),
    }


def loadtest(url: str, body: Path, duration: float, concurrency: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "mlops", "loadtest", "--url", url, "--data", f"@{body}",
                          "--duration", str(duration), "--concurrency", str(concurrency), "--json"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    data = json.loads(out)
    return {"requests": data["requests"], "rps": data["throughput_rps"], "p50": data["p50_ms"], "p95": data["p95_ms"],
            "p99": data["p99_ms"], "error_rate": data["error_rate"]}  # fmt: skip


def in_process(
    model: Path, folder: Path, rounds: int, calls: int = 3000
) -> tuple[list[float], list[float]]:
    """Process CPU time per `predict` call (the request-log writer thread included, flushed
    before the clock stops), logging off and on, alternating; microseconds."""
    import asyncio

    from mlops.serving.predictor import MlflowPredictor
    from mlops.serving.requestlog import RequestLogger
    from mlops.serving.sinks import JsonlSink

    predictor = MlflowPredictor("credit", str(model), version="1")
    predictor.load()
    payload = json.loads(BODY)

    async def calls_of(n: int) -> None:
        for i in range(n):
            await predictor.predict(payload, {"x-request-id": f"r{i}"})

    asyncio.run(calls_of(500))
    off, on = [], []
    for _ in range(rounds):
        predictor.request_logger = None
        start = time.process_time()
        asyncio.run(calls_of(calls))
        off.append((time.process_time() - start) / calls * 1e6)
        predictor.request_logger = RequestLogger(
            JsonlSink(folder / "in-process.jsonl"), model="credit", version="1", digest="d"
        )
        start = time.process_time()
        asyncio.run(calls_of(calls))
        predictor.request_logger.close()
        on.append((time.process_time() - start) / calls * 1e6)
    return off, on


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _paired(new: list[dict[str, float]], base: list[dict[str, float]], key: str) -> float:
    """Median over rounds of new/base, each pair measured back to back."""
    return statistics.median(n[key] / b[key] for n, b in zip(new, base, strict=True) if b[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serving.md"))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    model = _model(folder)
    script = folder / "post.lua"
    script.write_text(WRK_SCRIPT % BODY)
    body = folder / "body.json"
    body.write_text(BODY)
    log_file = folder / "requests.jsonl"

    off_server = Server(model, folder, None)
    on_server = Server(model, folder, str(log_file))
    off, on, by_wrk, by_loadtest = [], [], [], []
    try:
        d, c = args.duration, args.concurrency
        for _ in range(args.rounds):
            off.append(measured(off_server, lambda: wrk(off_server.url, script, d, c)))
            on.append(measured(on_server, lambda: wrk(on_server.url, script, d, c)))
        for _ in range(args.rounds):
            by_wrk.append(measured(off_server, lambda: wrk(off_server.url, script, d, c)))
            by_loadtest.append(measured(off_server, lambda: loadtest(off_server.url, body, d, c)))
    finally:
        off_server.stop()
        on_server.stop()
    cpu_off, cpu_on = in_process(model, folder, args.rounds)
    logged = sum(1 for _ in log_file.open())
    served_on = sum(run["rps"] * args.duration for run in on)

    ratio = _paired(on, off, "rps")
    capacity_ratio = _paired(on, off, "capacity_rps")
    rows = [
        ("throughput, req/s", "rps", "{:,.0f}"),
        ("server capacity, req per server CPU-second", "capacity_rps", "{:,.0f}"),
        ("server CPU per request, us", "cpu_us_per_request", "{:,.0f}"),
        ("p50 latency, ms", "p50", "{:.2f}"),
        ("p95 latency, ms", "p95", "{:.2f}"),
        ("p99 latency, ms", "p99", "{:.2f}"),
        ("error rate", "error_rate", "{:.4f}"),
    ]
    lines = [
        "# Serving benchmark",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average at the end {os.getloadavg()[0]:.1f}. Server: `mlops serve`, one KServe worker, "
        f"a 2-feature scikit-learn LogisticRegression saved with MLflow, 2 rows per request. Clients: "
        f"{args.concurrency} keep-alive connections, {args.duration:.0f} s per measurement, "
        f"median of {args.rounds} alternating rounds.",
        "",
        "## Request logging on (JSONL sink, every request) against off, measured with wrk",
        "",
        "| measure (median of rounds) | logging off | logging on | on / off (median of paired rounds) |",
        "|---|---|---|---|",
    ]
    for label, key, fmt in rows:
        a, b = _median(off, key), _median(on, key)
        share = f"{_paired(on, off, key):.1%}" if a else ""
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {share} |")
    lines += [
        "",
        f"Target: throughput with logging on >= 90 % of off: wall-clock **{ratio:.1%}**, "
        f"server capacity (CPU-normalised) **{capacity_ratio:.1%}** "
        f"({'met' if min(ratio, capacity_ratio) >= 0.9 else 'NOT met' if max(ratio, capacity_ratio) < 0.9 else 'met on one measure only'}). The sink received {logged:,} records for "
        f"~{served_on:,.0f} requests answered with logging on (plus warm-up).",
        "",
        "## Predictor cost per request in-process (process CPU time, writer thread included)",
        "",
        "| logging off, us | logging on, us | off / on (throughput ratio) |",
        "|---|---|---|",
        f"| {statistics.median(cpu_off):,.0f} | {statistics.median(cpu_on):,.0f} | "
        f"{statistics.median(a / b for a, b in zip(cpu_off, cpu_on, strict=True)):.1%} |",
        "",
        "Per round (us, off/on): "
        + "; ".join(f"{a:,.0f}/{b:,.0f}" for a, b in zip(cpu_off, cpu_on, strict=True))
        + ".",
        "",
        "## `mlops loadtest` against wrk, same endpoint (logging off)",
        "",
        "| measure (median of rounds) | wrk | mlops loadtest | difference (median of paired rounds) |",
        "|---|---|---|---|",
    ]
    verdicts = []
    for label, key, fmt in rows:
        a, b = _median(by_wrk, key), _median(by_loadtest, key)
        diff = _paired(by_loadtest, by_wrk, key) - 1 if a else 0.0
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {diff:+.1%} |" if a else
                     f"| {label} | {fmt.format(a)} | {fmt.format(b)} | |")  # fmt: skip
        if key in ("rps", "p50", "capacity_rps"):
            verdicts.append(abs(diff) <= 0.10)
    lines += [
        "",
        f"Target: throughput, p50 and server capacity within 10 % of wrk: "
        f"**{'met' if all(verdicts) else 'NOT met'}**.",
        "",
        "Per-round figures (req/s): logging off "
        + ", ".join(f"{r['rps']:,.0f}" for r in off) + "; on " + ", ".join(f"{r['rps']:,.0f}" for r in on)
        + "; wrk " + ", ".join(f"{r['rps']:,.0f}" for r in by_wrk) + "; mlops loadtest "
        + ", ".join(f"{r['rps']:,.0f}" for r in by_loadtest) + ".",
        "",
        f"Command: `uv run python benchmarks/serving_throughput.py --duration {args.duration:g} "
        f"--rounds {args.rounds} --concurrency {args.concurrency} --out {args.out}`",
    ]  # fmt: skip
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
