"""The local checks against a stand-in platform: a real HTTP server process recorded in a
state file, the stores as files. What passes while it runs must fail once it is gone."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from mlops.cli.app import app
from mlops.demo.processes import free_port
from mlops.verify.local import CHECKS, load_platform, verify_local


@pytest.fixture
def platform(tmp_path: Path):
    port = free_port()
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = subprocess.Popen(
        argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    service = {"name": "web", "pid": server.pid, "argv": argv, "log": "", "port": port,
               "url": url, "health": f"{url}/", "children": []}  # fmt: skip
    (tmp_path / "state.json").write_text(json.dumps({"step": "hold", "services": [service]}))
    for relative in ("mlflow/mlflow.db", "audit/audit.db", "repo/.git/HEAD"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    (tmp_path / "stores/analytics/data").mkdir(parents=True)
    for secret in ("audit/tokens.json", "env.sh"):
        (tmp_path / secret).write_text("export MLOPS_AUDIT=http://127.0.0.1:9\n")
        (tmp_path / secret).chmod(0o600)
    yield tmp_path, server
    server.terminate()
    server.wait(timeout=10)


def run(name: str, workdir: Path) -> dict[str, str]:
    import testinfra

    found = load_platform(workdir)
    assert not isinstance(found, str), found
    return {r.name: r.status for r in CHECKS[name](testinfra.get_host("local://"), found)}


def test_running_process_listens_and_answers(platform):
    workdir, _ = platform
    assert run("processes", workdir) == {"web": "passed"}
    assert run("listening", workdir) == {"web": "passed"}
    assert run("health", workdir) == {"web": "passed"}
    assert set(run("files", workdir).values()) == {"passed"}


def test_a_stopped_process_fails_every_process_check(platform):
    workdir, server = platform
    server.terminate()
    server.wait(timeout=10)
    assert run("processes", workdir) == {"web": "failed"}
    assert run("listening", workdir) == {"web": "failed"}
    assert run("health", workdir) == {"web": "failed"}


def test_a_reused_pid_is_not_taken_for_the_service(platform):
    workdir, _ = platform
    state = json.loads((workdir / "state.json").read_text())
    state["services"][0]["argv"] = [sys.executable, "-m", "something-else"]
    (workdir / "state.json").write_text(json.dumps(state))
    assert run("processes", workdir) == {"web": "failed"}


def test_world_readable_secrets_and_a_missing_store_fail(platform):
    workdir, _ = platform
    (workdir / "env.sh").chmod(0o644)
    (workdir / "audit/audit.db").unlink()
    found = run("files", workdir)
    assert found["env.sh"] == "failed" and found["audit/audit.db"] == "failed"
    assert found["audit/tokens.json"] == "passed"


def test_unreachable_audit_api_fails_the_chain_check(platform):
    workdir, _ = platform
    (workdir / "env.sh").write_text(
        "export MLOPS_AUDIT=http://127.0.0.1:9\nexport MLOPS_AUDIT_TOKEN=t\n"
    )
    assert run("audit-chain", workdir) == {"audit": "failed"}


def test_no_platform_fails_with_the_reason(tmp_path: Path):
    report = verify_local(tmp_path)
    assert not report.ok
    assert "mlops demo --hold" in report.failures()[0].detail
    result = CliRunner().invoke(
        app, ["verify", "--target", "local", "--workdir", str(tmp_path), "--json"]
    )
    assert result.exit_code == 1
    assert json.loads(result.output)["failed"] == 1


def test_local_target_refuses_cluster_options(tmp_path: Path):
    result = CliRunner().invoke(app, ["verify", "--target", "local", "--context", "x"])
    assert result.exit_code != 0
