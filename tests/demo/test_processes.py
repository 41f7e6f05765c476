"""The process supervisor: services run in their own group, are recorded before they are waited
for, and stop with every child; leftovers of a killed run are stopped by the next one, but
never a process that merely reuses a recorded pid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops.demo.processes import (
    STOP_GRACE_S,
    Interrupted,
    Supervisor,
    alive,
    free_port,
    group_members,
    raise_if_interrupted,
    signals_raise,
    stop_leftovers,
)
from mlops.errors import CheckFailedError

# a parent that starts a child and both sleep: stopping must take the whole group
FAMILY = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)"


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_service_and_its_children_stop_by_group(tmp_path: Path):
    supervisor = Supervisor(tmp_path / "state.json")
    service = supervisor.start("family", [sys.executable, "-c", FAMILY], tmp_path / "family.log")
    state = json.loads((tmp_path / "state.json").read_text())
    assert [s["pid"] for s in state["services"]] == [service.pid]
    assert os.getpgid(service.pid) == service.pid  # its own group, not the test's
    wait_for(lambda: len(group_members(service.pid)) == 2)
    members = group_members(service.pid)
    started = time.monotonic()
    supervisor.stop_all()
    assert not any(alive(pid) for pid in members)
    # SIGTERM reached them (no SIGKILL after the grace period): nothing blocked the signal
    assert time.monotonic() - started < STOP_GRACE_S
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["services"] == [] and [s["pid"] for s in state["started"]] == [service.pid]


def test_wait_ready_fails_early_when_the_service_exits(tmp_path: Path):
    supervisor = Supervisor(tmp_path / "state.json")
    service = supervisor.start(
        "broken", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "broken.log",
        health=f"http://127.0.0.1:{free_port()}/",
    )  # fmt: skip
    started = time.monotonic()
    with pytest.raises(CheckFailedError, match="broken exited with 3"):
        supervisor.wait_ready(service, timeout=60)
    assert time.monotonic() - started < 30
    supervisor.stop_all()


def test_leftovers_of_a_killed_run_are_stopped(tmp_path: Path):
    state = tmp_path / "state.json"
    argv = [sys.executable, "-c", FAMILY]
    leftover = subprocess.Popen(argv, start_new_session=True)
    try:
        wait_for(lambda: len(group_members(leftover.pid)) == 2)
        members = group_members(leftover.pid)
        state.write_text(
            json.dumps({"services": [{"name": "x", "pid": leftover.pid, "argv": argv}]})
        )
        assert stop_leftovers(state) == [leftover.pid]
        leftover.wait(timeout=10)
        wait_for(lambda: not any(alive(pid) for pid in members))
    finally:
        if leftover.poll() is None:
            os.killpg(leftover.pid, signal.SIGKILL)


def test_a_reused_pid_is_left_alone(tmp_path: Path):
    state = tmp_path / "state.json"
    stranger = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    try:
        recorded = [sys.executable, "-m", "mlflow", "server"]  # what the earlier run started there
        state.write_text(
            json.dumps({"services": [{"name": "mlflow", "pid": stranger.pid, "argv": recorded}]})
        )
        assert stop_leftovers(state) == []
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait(timeout=10)


def test_signals_raise_interrupted_and_restore_the_handlers():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught, signals_raise():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert caught.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


class SignalledOnCollection:
    """Sends SIGTERM while being finalized: the handler's `Interrupted` is raised inside
    `__del__`, where Python prints "Exception ignored" and goes on."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.5)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_signal_swallowed_by_a_finalizer_still_stops_the_demo():
    with signals_raise():
        SignalledOnCollection()  # dropped at once: its Interrupted is swallowed
        with pytest.raises(Interrupted) as caught:
            raise_if_interrupted()
    assert caught.value.signum == signal.SIGTERM
    raise_if_interrupted()  # a new run starts clean
