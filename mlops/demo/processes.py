"""The lifecycle of every process the demo starts: recorded, waited for, and stopped by pid.

Each service runs in its own session (so a Ctrl-C in the terminal reaches only the demo, which
then stops its services in order) and its process group id is its pid. The state file in the
work directory lists every pid and group the demo started, written before it waits for anything,
so a test, an operator or the next run can check that they are gone. Nothing is ever stopped by
name: only the recorded groups, and only while the leader still runs the recorded command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from mlops.errors import CheckFailedError

STOP_GRACE_S = 10.0


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; unwinds the demo through its `finally` blocks."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class Service:
    """One started process: what it is, where it listens, where it logs."""

    name: str
    pid: int
    argv: list[str]
    log: str
    port: int | None = None
    url: str | None = None
    health: str | None = None
    children: list[int] = field(default_factory=list)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is `pgid` (read from /proc, no name matching)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return sorted(members)


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class Supervisor:
    """Starts services, records them in the state file, stops them all (last started first)."""

    def __init__(self, state_file: Path) -> None:
        self.state_file = state_file
        self.services: list[Service] = []
        self.started: list[dict[str, object]] = []  # every process ever started, for the record
        self.step = ""
        self._popen: dict[int, subprocess.Popen[bytes]] = {}

    def start(
        self,
        name: str,
        argv: list[str],
        log: Path,
        *,
        port: int | None = None,
        url: str | None = None,
        health: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Service:
        """Start `argv` in a new session, logging to `log`; recorded before it is waited for."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with deferred_signals():  # a signal between start and record would lose the pid
            with log.open("ab") as handle:
                process = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                    env=env, cwd=cwd, start_new_session=True,
                )  # fmt: skip
            service = Service(name, process.pid, argv, str(log), port, url, health)
            self.services.append(service)
            self._popen[process.pid] = process
            self.save()
        return service

    def wait_ready(self, service: Service, timeout: float = 180.0) -> None:
        """Poll the health URL until it answers 200; fail early when the process exits."""
        assert service.health is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self._popen[service.pid]
            if process.poll() is not None:
                raise CheckFailedError(
                    f"{service.name} exited with {process.returncode} before it was ready; "
                    f"see {service.log}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(service.health, timeout=2).status_code == 200:
                    service.children = [p for p in group_members(service.pid) if p != service.pid]
                    self.save()
                    return
            time.sleep(0.3)
        raise CheckFailedError(f"{service.name} not ready after {timeout:.0f} s; see {service.log}")

    def stop(self, service: Service) -> None:
        """SIGTERM the service's process group, SIGKILL what is left after the grace period."""
        process = self._popen.pop(service.pid, None)
        _stop_group(service.pid, service.argv)
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1)
        self.services.remove(service)
        self.save()

    def stop_all(self) -> None:
        """Stop every running service, last started first; signals are ignored meanwhile so a
        second Ctrl-C cannot cut the clean-up short."""
        previous = {
            sig: signal.signal(sig, signal.SIG_IGN)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        try:
            for service in reversed(list(self.services)):
                self.stop(service)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def save(self) -> None:
        """Write the state file atomically: running services and every pid ever started."""
        for service in self.services:
            record = {"name": service.name, "pid": service.pid, "children": service.children}
            known = [r for r in self.started if r["pid"] == service.pid]
            if known:
                known[0].update(record)
            else:
                self.started.append(record)
        data = {
            "demo_pid": os.getpid(),
            "step": self.step,
            "services": [asdict(s) for s in self.services],
            "started": self.started,
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.state_file)


def _stop_group(pgid: int, argv: list[str]) -> None:
    """Stop the group led by `pgid`, but only if its leader still runs `argv` (or is gone and
    the group still has members that it started)."""
    leader = cmdline(pgid)
    if leader and leader != argv:
        return  # the pid was reused by something else: not ours
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + (STOP_GRACE_S if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline:
            if not group_members(pgid):
                return
            time.sleep(0.1)


def stop_leftovers(state_file: Path) -> list[int]:
    """Stop the services an earlier run recorded and did not stop (it was killed with SIGKILL);
    returns the groups stopped."""
    try:
        data = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    stopped = []
    for service in data.get("services", []):
        pid, argv = int(service["pid"]), list(service["argv"])
        if group_members(pid) and cmdline(pid) in ([], argv):
            _stop_group(pid, argv)
            stopped.append(pid)
    return stopped


_DEFER: list[bool] = [False]
_RECEIVED: list[int] = []  # every signal since `signals_raise` began, raised or not


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold `Interrupted` until the block is done (a signal mask would be inherited by the
    processes started inside, which then could not be stopped with SIGTERM)."""
    _DEFER[0] = True
    try:
        yield
    finally:
        _DEFER[0] = False
    raise_if_interrupted()


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP (the terminal closed) raise `Interrupted` in the main
    thread, so `finally` stops everything; the previous handlers come back afterwards."""

    def handler(signum: int, _frame: object) -> None:
        _RECEIVED.append(signum)
        if _DEFER[0]:
            return  # raised when the deferred block ends
        raise Interrupted(signum)

    _RECEIVED.clear()
    previous: dict[int, Callable[..., object] | int | None] = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        _RECEIVED.clear()
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]


def raise_if_interrupted() -> None:
    """Raise `Interrupted` for a signal that arrived but did not unwind the demo: Python runs a
    handler wherever the main thread is, and a finalizer (`__del__`, a weakref callback during
    garbage collection) swallows what it raises ("Exception ignored in ...")."""
    if _RECEIVED:
        raise Interrupted(_RECEIVED[-1])
