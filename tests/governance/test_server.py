"""A real Audit API process configured as the container is (environment only), used by the HTTP client."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from mlops.errors import BadInputError
from mlops.governance.auth import token_digest
from mlops.governance.client import AuditUnavailableError, Subject, audit_client_from_url
from mlops.governance.keys import write_private_key

SERVE = "from mlops.cli.audit import app; app(prog_name='mlops audit')"
START_TIMEOUT_S = 120  # a loaded 2-core machine took over 30 s to import and start it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    write_private_key(tmp_path / "key.pem")
    tokens = {token_digest("auditee-token"): "auditee", token_digest("auditor-token"): ["auditor"]}
    (tmp_path / "tokens.json").write_text(json.dumps(tokens))
    env = {
        **os.environ,
        "MLOPS_AUDIT": f"sqlite:///{tmp_path}/audit.db",
        "MLOPS_AUDIT_TOKENS_FILE": str(tmp_path / "tokens.json"),
        "MLOPS_AUDIT_SIGNING_KEY_FILE": str(tmp_path / "key.pem"),
    }
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()  # reading the pipe of a live process would wait for ever
                proc.wait(timeout=10)
                pytest.fail(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        proc.stderr.close()


def test_http_client_appends_and_queries_through_the_service(server):
    writer = audit_client_from_url(server, token="auditee-token")
    reader = audit_client_from_url(server, token="auditor-token")
    subject = Subject(model="credit-risk", version="3", environment="prod")
    entries = [
        writer.append(subject, "accuracy", 0.9 + i / 100, "ratio", "monitoring",
                      {"batch": "sha256:" + "ef" * 32})
        for i in range(3)
    ]  # fmt: skip
    assert [e.seq for e in entries] == [1, 2, 3]
    assert reader.query(Subject(model="credit-risk"), name="accuracy") == entries
    assert reader.query(since=entries[1].time) == entries[1:]
    with pytest.raises(BadInputError):
        writer.append(subject, "bad name", 1)
    with pytest.raises(AuditUnavailableError, match="403"):
        writer.query()
    with pytest.raises(AuditUnavailableError, match="401"):
        audit_client_from_url(server).append(subject, "accuracy", 1.0)
    assert httpx.get(f"{server}/openapi.json").json()["info"]["title"] == "mlops Audit API"
    verification = httpx.get(
        f"{server}/v1/verify", headers={"Authorization": "Bearer auditor-token"}
    ).json()
    assert verification["ok"] and verification["entries"] == 3 and verification["key_trusted"]
    writer.close()
    reader.close()


def test_unreachable_service_is_reported_as_unavailable():
    client = audit_client_from_url(f"http://127.0.0.1:{_free_port()}", token="t")
    with pytest.raises(AuditUnavailableError):
        client.append(Subject(model="m"), "x", 1)
    client.close()
