"""The embedded platform, started once per test session with `mlops demo --hold` in its own
process group; stopped at the end with SIGINT (Ctrl-C), after which none of its processes may
be left. The full demo run is CI's end-to-end check (select it with `-m demo`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops.demo.processes import alive, group_members
from tests.conftest import MachineLock

READY_TIMEOUT_S = 420  # the demo's 3-minute target, with room for a loaded CI machine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo: runs the embedded platform (`mlops demo`, slow)")


@dataclass
class DemoProcess:
    """A `mlops demo` run in its own process group, its output in a file."""

    workdir: Path
    process: subprocess.Popen[bytes]
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def state(self) -> dict:
        try:
            return json.loads((self.workdir / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                pytest.fail(
                    f"mlops demo exited {self.process.returncode} before {what}:\n{self.text()[-4000:]}"
                )
            time.sleep(0.2)
        pytest.fail(f"no {what} after {timeout:.0f} s:\n{self.text()[-4000:]}")

    def interrupt(self, sig: int = signal.SIGINT, timeout: float = 90) -> int:
        """What Ctrl-C in a terminal does: the signal to the foreground process group."""
        os.killpg(self.process.pid, sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            pytest.fail(f"mlops demo did not exit {timeout} s after {signal.Signals(sig).name}")

    def leftovers(self) -> list[str]:
        """Every recorded process (service, its children, its group) still alive."""
        left = []
        for started in self.state().get("started", []):
            pids = {started["pid"], *started.get("children", []), *group_members(started["pid"])}
            left += [f"{started['name']}: pid {pid}" for pid in sorted(pids) if alive(pid)]
        return left


def start_demo(workdir: Path, *args: str) -> DemoProcess:
    output = workdir.parent / f"{workdir.name}.out"
    with output.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlops", "demo", "--workdir", str(workdir), *args],
            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return DemoProcess(workdir, process, output)


@pytest.fixture(scope="session")
def held_demo(tmp_path_factory: pytest.TempPathFactory, machine: MachineLock):
    """`mlops demo --hold` once it printed its summary and holds the platform running. Until
    then it has the machine to itself: its load tests meet the prod gate's throughput floor as
    on a machine of its own, not on a core another worker is using."""
    with ExitStack() as alone:
        alone.enter_context(machine.alone())
        demo = start_demo(tmp_path_factory.mktemp("demo") / "platform", "--hold")
        try:
            demo.wait_for(
                lambda: demo.state().get("step") == "hold", READY_TIMEOUT_S, "the held platform"
            )
            alone.close()
            yield demo
        finally:
            if demo.process.poll() is None:
                code = demo.interrupt(signal.SIGINT)
                assert code == 0, demo.text()[-3000:]
            assert demo.leftovers() == []
            assert demo.state().get("step") == "stopped"
