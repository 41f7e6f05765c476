"""The files of one local control plane under its state directory, and what `up` recorded
(ports, pids) in `state.json`, which `status` and `down` read."""

from __future__ import annotations

import json
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mlops.cluster.processes import Running

STATE_FILE = "state.json"
PORTS = ("apiserver", "etcd", "etcd_peer", "controller_manager", "scheduler")


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def kubeconfig(self) -> Path:
        """The administrator's kubeconfig (`mlops cluster kubeconfig` prints this path)."""
        return self.root / "admin.kubeconfig"

    def component_kubeconfig(self, component: str) -> Path:
        return self.root / f"{component}.kubeconfig"

    def log(self, program: str) -> Path:
        return self.logs / f"{program}.log"


@dataclass
class State:
    stack: str
    ports: dict[str, int]
    processes: list[Running] = field(default_factory=list)

    def save(self, layout: Layout) -> None:
        document = {"stack": self.stack, "ports": self.ports,
                    "processes": [asdict(p) for p in self.processes]}  # fmt: skip
        partial = layout.root / (STATE_FILE + ".partial")
        partial.write_text(json.dumps(document, indent=2) + "\n")
        partial.replace(layout.root / STATE_FILE)

    @classmethod
    def load(cls, layout: Layout) -> State | None:
        try:
            document = json.loads((layout.root / STATE_FILE).read_text())
        except FileNotFoundError:
            return None
        processes = [Running(**p) for p in document["processes"]]
        return cls(document["stack"], document["ports"], processes)


def free_ports() -> dict[str, int]:
    """One free loopback port per listener (held open together, so all differ)."""
    sockets = []
    try:
        for _ in PORTS:
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            sockets.append(listener)
        return {name: s.getsockname()[1] for name, s in zip(PORTS, sockets, strict=True)}
    finally:
        for listener in sockets:
            listener.close()
