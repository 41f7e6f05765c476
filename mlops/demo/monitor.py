"""The demo's operation phase (IML4E's continuous audit, Zwiesler 2.4): Prometheus scrapes the
prod predictor, the evidence collector (`mlops evidence collect`, the same code as the cluster's
CronJob) runs once on realistic traffic, then once more after a drift is injected, which
revokes the certificate issued over its live verdict and asks for a retraining run.

Prometheus is Debian's package, started like every other service of the demo (own session,
loopback, stopped by pid); without the binary the collector reads the predictor's metrics
endpoint and says so. The demo has no Kubeflow Pipelines: the retraining request is recorded
as evidence and written out, not sent.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from mlops.demo import applications
from mlops.demo.processes import free_port
from mlops.demo.services import child_env
from mlops.demo.steps import MODEL, Platform, predict_url
from mlops.errors import CheckFailedError

PROMETHEUS = "/usr/bin/prometheus"  # Debian's package `prometheus`
WINDOW = "5m"
SCRAPE_S = 1.0  # Prometheus's scrape interval here
ROWS = 400  # logged rows the collector assesses per run (the newest)
BATCH = 20  # rows per request
FLUSH_WAIT = 30.0  # seconds the request log may take to catch up once everything is sent
SENT = 4 * ROWS  # at most, until ROWS are logged
LIVE_GATE = "live-prod"


def prometheus_binary() -> str | None:
    found = shutil.which("prometheus")
    return found or (PROMETHEUS if Path(PROMETHEUS).is_file() else None)


def start_prometheus(platform: Platform) -> None:
    """Prometheus scraping the prod predictor every second, its data in the work directory."""
    binary = prometheus_binary()
    if binary is None or platform.predictor is None or not platform.predictor.url:
        platform.monitoring["prometheus"] = "absent: no prometheus binary (Debian package)"
        return
    directory = platform.workspace.root / "prometheus"
    directory.mkdir(parents=True, exist_ok=True)
    target = platform.predictor.url.removeprefix("http://")
    config = directory / "prometheus.yml"
    config.write_text(
        f"global: {{scrape_interval: {SCRAPE_S:g}s, evaluation_interval: {SCRAPE_S:g}s}}\n"
        "scrape_configs:\n"
        f"  - job_name: predictor-prod\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [binary, f"--config.file={config}", f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1d"]  # fmt: skip
    service = platform.supervisor.start(
        "prometheus", argv, platform.workspace.logs / "prometheus.log", port=port, url=url,
        health=f"{url}/-/ready", env=child_env(), cwd=directory,
    )  # fmt: skip
    platform.supervisor.wait_ready(service)
    platform.prometheus = service
    platform.monitoring["prometheus"] = url


def _request_log(platform: Platform) -> Path:
    return platform.workspace.serving / "prod-requests.jsonl"


def _logged_rows(log: Path, offset: int) -> tuple[int, int]:
    """Input rows of the records appended to the request log after byte `offset`."""
    if not log.is_file():
        return 0, offset
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read()
    complete = text[: text.rfind(b"\n") + 1]
    rows = 0
    for line in complete.splitlines():
        record = json.loads(line)
        if record.get("status") == "ok" and isinstance(record.get("input"), list):
            rows += len(record["input"])
    return rows, offset + len(complete)


def _send(platform: Platform, frame: pd.DataFrame) -> int:
    """Send `frame` in requests of BATCH rows until ROWS of them are in the request log (a
    predictor may sample, or lose a record it cannot write); the rows logged."""
    from mlops.serving.equivalence import instances

    assert platform.predictor is not None
    log = _request_log(platform)
    offset = log.stat().st_size if log.is_file() else 0
    logged = 0
    rows = instances(frame)
    with httpx.Client(timeout=30) as http:
        for start in range(0, len(rows), BATCH):
            answer = http.post(predict_url(platform.predictor),
                               json={"instances": rows[start:start + BATCH]})  # fmt: skip
            if answer.status_code != 200:
                raise CheckFailedError(f"predictor-prod: {answer.status_code} {answer.text[:200]}")
            found, offset = _logged_rows(log, offset)
            logged += found
            if logged >= ROWS:
                return logged
    deadline = time.monotonic() + FLUSH_WAIT  # a buffered log writes after the answers
    while time.monotonic() < deadline:
        found, offset = _logged_rows(log, offset)
        logged += found
        if logged >= ROWS:
            return logged
        time.sleep(0.2)
    raise CheckFailedError(f"{log}: {logged} of {len(rows)} rows sent were logged; {ROWS} needed")


def _wait_scraped(platform: Platform, timeout: float = 30.0) -> None:
    """Until Prometheus has scraped every request the predictor counted (and once more), so
    that its window covers the traffic just sent; a cron run has minutes between them."""
    from mlops.evidence.live import LiveReading, parse_metrics

    if platform.prometheus is None or platform.predictor is None:
        return
    query = f'sum(mlops_predictor_requests_total{{model="{MODEL}"}})'
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as http:
        reading = LiveReading("metrics-endpoints", "")
        parse_metrics(http.get(f"{platform.predictor.url}/metrics").text, reading)
        counted = sum(f.requests for f in reading.figures.values())
        while time.monotonic() < deadline:
            body = http.get(f"{platform.prometheus.url}/api/v1/query", params={"query": query})
            result = body.json().get("data", {}).get("result", [])
            if result and float(result[0]["value"][1]) >= counted:
                time.sleep(SCRAPE_S)  # one more sample: rate() needs two after the traffic
                return
            time.sleep(0.2)


def _collect(platform: Platform) -> dict[str, Any]:
    from mlops.evidence.collect import CollectOptions, collect
    from mlops.evidence.retrain import Retraining
    from pipelines.credit_risk.schema import SCHEMA_PATH

    assert platform.predictor is not None and platform.predictor.url
    options = CollectOptions(
        environment="prod", prometheus=platform.monitoring.get("prometheus")
        if platform.prometheus else None, metrics_urls=[f"{platform.predictor.url}/metrics"],
        window=WINDOW, request_log=str(_request_log(platform)),
        reference=SCHEMA_PATH, model=MODEL, max_rows=ROWS,
        retraining=Retraining(None, "credit-risk", "credit-risk-release"),
    )  # fmt: skip
    audit = platform.audit_client()
    try:
        result = collect(audit, options)
    finally:
        audit.close()
    return result.as_dict()


def _one(result: dict[str, Any]) -> dict[str, Any]:
    subjects = [s for s in result["subjects"] if s["model"] == MODEL]
    if len(subjects) != 1:
        raise CheckFailedError(f"evidence collector: expected {MODEL} alone, got {result}")
    return subjects[0]


def monitor(platform: Platform) -> None:
    """Realistic traffic (fresh applications), then one collection: its verdict must pass."""
    # a sample before the traffic: Prometheus scrapes with a timeout of its interval and a
    # predictor busy with the load test may not have answered any; increase() needs a start
    _wait_scraped(platform)
    _send(platform, applications.frame(SENT, seed=31))
    _wait_scraped(platform)
    result = _collect(platform)
    done = _one(result)
    if not done["verdict"] or not done["verdict"]["passed"]:
        raise CheckFailedError(f"live goals not met on realistic traffic: {done['verdict']}")
    if not done["measurements"]:
        raise CheckFailedError(f"no serving figures for {MODEL} from {result['live']['detail']}")
    platform.monitoring["first"] = {"live": result["live"], "measurements": done["measurements"],
                                    "drift": done["drift"], "verdict": done["verdict"]}  # fmt: skip
    platform.live_gates = [LIVE_GATE]


def drift(platform: Platform) -> None:
    """Shifted traffic (incomes up 60 %, every loan over 72 months), then the next collection:
    the breach revokes the certificate and requests retraining; written to reports/."""
    frame = applications.frame(SENT, seed=32)
    frame["income"] = frame["income"] * 1.6
    frame["loan_term_months"] = 72
    _send(platform, frame)
    result = _collect(platform)
    done = _one(result)
    if not done["revoked"] or not done["retraining"]:
        raise CheckFailedError(
            f"an injected drift neither revoked nor requested retraining: {done}"
        )
    path = platform.workspace.reports / "evidence-collect.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    request = platform.workspace.reports / "retraining-request.json"
    request.write_text(json.dumps(done["retraining"]["request"], indent=2) + "\n")
    platform.monitoring["drift"] = {
        "breached": [f["feature"] for f in done["drift"]["breached"]],
        "failed": done["verdict"]["failed"], "revoked": done["revoked"],
        "retraining": {k: v for k, v in done["retraining"].items() if k != "request"},
        "retraining_request": str(request), "report": str(path),
    }  # fmt: skip
