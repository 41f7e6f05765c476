"""The load generator against a small local HTTP server whose behaviour the test controls."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlops.governance.client import Subject, audit_client_from_url
from mlops.serving.loadtest import LoadSpec, percentile, run_load


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    calls = 0
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        with _Handler.lock:
            _Handler.calls += 1
            fail = _Handler.calls % 10 == 0
        payload = json.dumps({"echo": len(body)}).encode()
        self.send_response(500 if fail else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self.send_response(200)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    _Handler.calls = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/predict"
    httpd.shutdown()
    httpd.server_close()


def test_counts_every_answer_and_every_tenth_error(endpoint):
    result = run_load(LoadSpec(url=endpoint, duration=0.6, concurrency=3, body=b'{"x": 1}'))
    assert result.requests == _Handler.calls > 20
    assert result.errors == result.status_codes.get("500", 0) == _Handler.calls // 10
    assert result.error_rate == pytest.approx(result.errors / result.requests, abs=1e-6)
    assert result.throughput_rps == pytest.approx(result.requests / result.duration_s, rel=0.01)
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms


def test_fixed_rate_holds_the_target_and_chunked_answers_are_read(endpoint):
    result = run_load(LoadSpec(url=endpoint, duration=1.0, concurrency=2, rps=40, method="GET"))
    assert 36 <= result.requests <= 41
    assert result.status_codes == {"200": result.requests}


def test_unreachable_endpoint_is_all_errors():
    result = run_load(LoadSpec(url="http://127.0.0.1:9/x", duration=0.2, concurrency=1, rps=20))
    assert result.requests > 0 and result.error_rate == 1.0
    assert set(result.status_codes) == {"ConnectionRefusedError"}


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert percentile([], 95) == 0.0


def test_cli_records_slo_evidence_and_fails_a_violated_slo(mlops, endpoint, tmp_path):
    audit = f"sqlite:///{tmp_path / 'audit.db'}"
    code, out, err = mlops("loadtest", "--url", endpoint, "--duration", "0.5", "--concurrency", "2",
                           "--data", '{"instances": [[1, 2]]}', "--audit", audit,
                           "--subject", "model=credit,version=7,environment=int",
                           "--max-error-rate", "0.5", "--json")  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    names = {e["name"]: e["value"] for e in result["evidence"]}
    assert set(names) == {
        "loadtest.p95_latency_ms",
        "loadtest.error_rate",
        "loadtest.throughput_rps",
    }
    assert names["loadtest.error_rate"] == result["error_rate"]
    client = audit_client_from_url(audit)
    entries = client.query(Subject(model="credit", version="7"), name="loadtest.p95_latency_ms")
    client.close()
    assert len(entries) == 1 and entries[0].unit == "ms" and entries[0].value == result["p95_ms"]

    code, _, err = mlops(
        "loadtest", "--url", endpoint, "--duration", "0.3", "--max-error-rate", "0.01"
    )
    assert code == 1 and "error rate" in err
    code, _, err = mlops("loadtest", "--url", "ftp://x", "--duration", "1")
    assert code == 2 and "not an http(s) URL" in err
    code, _, err = mlops("loadtest", "--url", endpoint, "--audit", audit)
    assert code == 2 and "--subject" in err
