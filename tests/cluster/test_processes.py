"""Processes are stopped by pid and never signalled once their pid is someone else's; the
certificates carry the identities RBAC reads (no control plane needed)."""

import subprocess
import time
from dataclasses import replace
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from mlops.cluster import processes
from mlops.cluster.pki import Authority


def test_start_and_stop_by_pid(tmp_path: Path) -> None:
    running = processes.start("sleeper", ["sleep", "60"], tmp_path / "sleeper.log")
    assert processes.alive(running)
    processes.stop([running])
    assert not processes.alive(running)


def test_a_reused_pid_is_not_ours(tmp_path: Path) -> None:
    running = processes.start("sleeper", ["sleep", "60"], tmp_path / "sleeper.log")
    stranger = replace(running, started=running.started + 1)
    assert not processes.alive(stranger)
    processes.stop([stranger])  # must not signal the process that has this pid now
    assert processes.alive(running)
    processes.stop([running])


def test_a_process_ignoring_sigterm_is_killed_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child"
    script = f"trap '' TERM; sleep 60 & echo $! > {marker}.tmp; mv {marker}.tmp {marker}; wait"
    running = processes.start("stubborn", ["sh", "-c", script], tmp_path / "stubborn.log")
    deadline = time.monotonic() + 10
    while not marker.is_file() and time.monotonic() < deadline:
        time.sleep(0.01)
    child = processes.Running("sleep", int(marker.read_text()), 0)
    child = replace(child, started=processes.start_time(child.pid) or 0)
    processes.stop([running], timeout=0.5)
    assert not processes.alive(running)
    deadline = time.monotonic() + 5
    while processes.alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not processes.alive(child)


def test_client_certificates_name_user_and_groups(tmp_path: Path) -> None:
    authority = Authority(tmp_path)
    pair = authority.issue("admin", "mlops-admin", ("system:masters",))
    cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "mlops-admin"
    assert (
        cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    )
    assert oct(pair.key.stat().st_mode & 0o777) == "0o600"
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(authority.pair.cert), str(pair.cert)],
                              capture_output=True, text=True, check=False)  # fmt: skip
    assert verified.returncode == 0, verified.stderr
