"""`mlops evidence collect` against a real Prometheus server (Debian's package) scraping a
running predictor: the figures come from Prometheus's query API over the window, and the
entries it writes are what a gate reads. Where Prometheus does not answer, the collector reads
the predictor's metrics endpoint and says why."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlops.evidence.collect import CollectOptions, Goals, collect
from mlops.evidence.live import histogram_quantile
from mlops.governance.client import Subject
from tests.evidence.conftest import traffic
from tests.serving.conftest import free_port, stop

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
needs_prometheus = pytest.mark.skipif(
    not Path(PROMETHEUS).is_file(),
    reason="no Prometheus binary (Debian package `prometheus`; ./scripts/setup installs it)",
)


@pytest.fixture(scope="module")
def prometheus(predictor, tmp_path_factory) -> Iterator[str]:
    """Prometheus on a free loopback port, scraping the predictor every second, data in a
    temporary directory; stopped by its pid."""
    work = tmp_path_factory.mktemp("prometheus")
    target = predictor.url.removeprefix("http://")
    (work / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: predictor\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    log = (work / "prometheus.log").open("w")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={work / 'prometheus.yml'}",
         f"--storage.tsdb.path={work / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (work / "prometheus.log").read_text()[-2000:]
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "Prometheus not ready in 30 s"
            time.sleep(0.2)
        yield url
    finally:
        stop(process)
        log.close()


def _scraped(url: str, minimum: float) -> bool:
    query = 'sum(mlops_predictor_requests_total{model="credit"})'
    result = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=5).json()
    values = result["data"]["result"]
    return bool(values) and float(values[0]["value"][1]) >= minimum


@needs_prometheus
def test_collect_reads_a_real_prometheus_and_writes_entries_a_gate_reads(
    mlops, predictor, prometheus, reference_csv, audit
):
    url, client = audit
    # a counter's series appears with its first request: Prometheus must have scraped it
    # before the traffic, or increase() has no sample to start from
    predictor.send(traffic(15, seed=19))
    _wait_scraped(prometheus, _total(predictor))
    for seed in range(20, 40):
        predictor.send(traffic(15, seed=seed))
    _wait_scraped(prometheus, _total(predictor))
    time.sleep(1.5)  # one more sample after the last request
    code, out, err = mlops(
        "evidence", "collect", "--env", "prod", "--prometheus", prometheus, "--window", "1m",
        "--request-log", str(predictor.log), "--reference", str(reference_csv),
        "--max-rows", "300", "--max-p95-latency-ms", "10000", "--audit", url, "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["live"]["source"] == "prometheus"
    assert result["live"]["detail"] == f"Prometheus {prometheus}, window 1m"
    (done,) = result["subjects"]
    # increase() extrapolates to the window's edges: about the 20 requests sent, not exact
    assert 10 <= done["measurements"]["serving.requests"] <= 60
    assert done["measurements"]["serving.error_rate"] == 0.0
    assert 0 < done["measurements"]["serving.p95_latency_ms"] < 10_000
    assert done["verdict"]["passed"]
    names = {e.name: e for e in client.query(Subject(model="credit", version="7",
                                                     environment="prod"))}  # fmt: skip
    for name in ("serving.p95_latency_ms", "serving.error_rate", "drift.breached_features"):
        assert names[name].source == "evidence-collector"
    assert names["gate.live-prod"].kind == "verdict"


def _wait_scraped(prometheus: str, total: float) -> None:
    deadline = time.monotonic() + 30
    while not _scraped(prometheus, total):
        assert time.monotonic() < deadline, f"Prometheus did not scrape {total} requests in 30 s"
        time.sleep(0.3)


def _total(predictor) -> float:
    text = httpx.get(predictor.metrics, timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("mlops_predictor_requests_total{") and 'model="credit"' in line)  # fmt: skip


def test_an_unanswering_prometheus_falls_back_to_the_metrics_endpoints(predictor, audit):
    _, client = audit
    predictor.send(traffic(5, seed=50))
    dead = f"http://127.0.0.1:{free_port()}"
    options = CollectOptions(environment="prod", prometheus=dead,
                             metrics_urls=[predictor.metrics], goals=Goals(10_000.0))  # fmt: skip
    result = collect(client, options)
    assert result.live_source == "metrics-endpoints"
    assert result.live_detail.startswith(f"Prometheus unavailable (Prometheus {dead}: ConnectError")
    assert result.subjects[0].measurements["serving.requests"] >= 1


def test_histogram_quantile_interpolates_as_prometheus_does():
    buckets = [(0.1, 50.0), (0.2, 90.0), (0.5, 100.0), (float("inf"), 100.0)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert histogram_quantile(0.95, buckets) == pytest.approx(0.2 + 0.3 * 0.5)
    assert histogram_quantile(0.95, [(0.1, 0.0), (float("inf"), 0.0)]) is None
    assert histogram_quantile(0.99, [(0.1, 10.0), (float("inf"), 20.0)]) == 0.1
