"""Start the control plane's programs as background processes and stop them by pid.

A pid is recorded with the process's start time (from /proc), so a pid the kernel has since
given to another program is never signalled. Each program leads its own process group, and
signals go to the group, so nothing it started outlives it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT = 20.0
POLL = 0.05


@dataclass(frozen=True)
class Running:
    name: str
    pid: int
    started: int  # clock ticks after boot, field 22 of /proc/<pid>/stat


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields after the command name, from state


def start_time(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def alive(process: Running) -> bool:
    """The recorded process still runs (not exited, not a zombie, pid not reused)."""
    fields = _stat(process.pid)
    if fields is None or fields[0] in {"Z", "X"}:
        _reap(process.pid)
        return False
    return int(fields[19]) == process.started


def _reap(pid: int) -> None:
    """Collect the exit status when the process is our own child (an in-process `up`)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def start(name: str, args: list[str], log: Path) -> Running:
    """Run `args` in its own session (no terminal signals reach it), output to `log`."""
    with open(log, "ab") as output:
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    started = start_time(process.pid)
    if started is None:
        raise RuntimeError(f"{name} exited at once; see {log}")
    return Running(name, process.pid, started)


def stop(processes: list[Running], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM every process, wait for all to exit, SIGKILL what is left after `timeout`."""
    running = [p for p in processes if alive(p)]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while running and time.monotonic() < deadline:
        time.sleep(POLL)
        running = [p for p in running if alive(p)]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    while running:
        time.sleep(POLL)
        running = [p for p in running if alive(p)]
