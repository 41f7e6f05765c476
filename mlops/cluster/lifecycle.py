"""`up`, `status` and `down` of the local control plane (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok on 127.0.0.1), kept in one state directory.

`up` builds or reuses the pinned programs, starts them, waits for a ready API server, creates
kwok nodes shaped like the stack's node pools and waits for them to be Ready and for the
controllers to have made the default ServiceAccount. `up` on a running control plane does
nothing; on a half-dead one it stops what is left first. `down` stops every recorded process by
pid (the API server before etcd) and removes the state directory.
"""

from __future__ import annotations

import shutil
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from mlops import toolchain
from mlops.cluster import processes
from mlops.cluster.programs import command_lines
from mlops.cluster.state import Layout, State, free_ports
from mlops.errors import CheckFailedError
from mlops.toolchain.catalogue import Program

SERVERS = ("etcd", "kube-apiserver")
CONTROLLERS = ("kube-controller-manager", "kube-scheduler", "kwok")
PROGRAMS = (*SERVERS, *CONTROLLERS)
READY_TIMEOUT = 120.0
LOG_TAIL = 12


class ClusterError(CheckFailedError):
    """The control plane did not come up (exit 1); the message quotes the failing log."""


@dataclass(frozen=True)
class Status:
    running: dict[str, bool]
    api_ready: bool
    nodes: dict[str, bool]  # name -> Ready

    @property
    def healthy(self) -> bool:
        return all(self.running.values()) and self.api_ready and all(self.nodes.values())


def context_name(stack: str) -> str:
    return f"mlops-{stack}"


def _tls(layout: Layout) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(layout.pki / "ca.crt"))
    context.load_cert_chain(str(layout.pki / "admin.crt"), str(layout.pki / "admin.key"))
    return context


def api_ready(layout: Layout, state: State) -> bool:
    try:
        response = httpx.get(f"https://127.0.0.1:{state.ports['apiserver']}/readyz",
                             verify=_tls(layout), timeout=2.0)  # fmt: skip
    except (httpx.HTTPError, OSError):
        return False
    return response.status_code == 200


def _tail(path: Path) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-LOG_TAIL:])
    except OSError:
        return "(no log)"


def _wait(what: str, ready: Callable[[], bool], layout: Layout, state: State, log: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not ready():
        dead = [p.name for p in state.processes if not processes.alive(p)]
        if dead or time.monotonic() > deadline:
            reason = f"{', '.join(dead)} exited" if dead else f"not within {READY_TIMEOUT:.0f} s"
            failing = dead[0] if dead else log
            raise ClusterError(
                f"{what}: {reason}; {layout.log(failing)}:\n{_tail(layout.log(failing))}"
            )
        time.sleep(0.2)


def client(layout: Layout):  # -> kubernetes.client.ApiClient
    from kubernetes import config

    return config.new_client_from_config(config_file=str(layout.kubeconfig))


def up(
    root: Path, stack: str, on_provide: Callable[[Program], None] | None = None
) -> tuple[State, bool]:
    """Start the control plane (or find it running): (its state, whether it was started now)."""
    from mlops.cluster.nodes import stack_nodes
    from mlops.config.loader import load_stack
    from mlops.repository import REPO_ROOT

    config = load_stack(REPO_ROOT / "stacks", stack)
    binaries = {name: toolchain.binary(name, on_provide) for name in PROGRAMS}
    stages = toolchain.data_file("kwok", "stages.yaml")
    layout = Layout(root)
    existing = State.load(layout)
    if existing is not None:
        if existing.stack == stack and status(root).healthy:
            return existing, False
        down(root)
    for directory in (layout.root, layout.logs):
        directory.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o700)
    state = State(stack, free_ports())
    try:
        _start(layout, state, binaries, stages, stack_nodes(config))
    except BaseException:  # a failed start, or Ctrl-C: nothing it started may stay behind
        stop_all(layout, state)
        shutil.rmtree(layout.root, ignore_errors=True)
        raise
    return state, True


def _start(layout: Layout, state: State, binaries: dict[str, Path], stages: Path,
           nodes: list[dict]) -> None:  # fmt: skip
    from kubernetes import client as k8s

    commands = command_lines(layout, state.ports, binaries, stages, context_name(state.stack))
    for name in SERVERS:
        state.processes.append(processes.start(name, commands[name], layout.log(name)))
        state.save(layout)
    _wait(
        "kube-apiserver /readyz", lambda: api_ready(layout, state), layout, state, "kube-apiserver"
    )
    for name in CONTROLLERS:
        state.processes.append(processes.start(name, commands[name], layout.log(name)))
        state.save(layout)
    with client(layout) as api:
        core = k8s.CoreV1Api(api)
        for node in nodes:
            core.create_node(node)

        def nodes_ready() -> bool:
            return sum(_ready(n) for n in core.list_node().items) == len(nodes)

        def default_service_account() -> bool:
            accounts = core.list_namespaced_service_account("default").items
            return any(sa.metadata.name == "default" for sa in accounts)

        _wait("kwok nodes Ready", nodes_ready, layout, state, "kwok")
        _wait(
            "default ServiceAccount",
            default_service_account,
            layout,
            state,
            "kube-controller-manager",
        )


def _ready(node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])


def status(root: Path) -> Status:
    layout = Layout(root)
    state = State.load(layout)
    if state is None:
        return Status({}, False, {})
    running = {p.name: processes.alive(p) for p in state.processes}
    running.update({name: False for name in PROGRAMS if name not in running})
    ready = api_ready(layout, state)
    nodes: dict[str, bool] = {}
    if ready:
        from kubernetes import client as k8s

        with client(layout) as api:
            nodes = {n.metadata.name: _ready(n) for n in k8s.CoreV1Api(api).list_node().items}
    return Status(running, ready, nodes)


def stop_all(layout: Layout, state: State) -> None:
    """Clients first, then the API server, then etcd (etcd gone first keeps the API server
    retrying for most of a minute)."""
    by_name = {p.name: p for p in state.processes}
    for group in (CONTROLLERS, ("kube-apiserver",), ("etcd",)):
        processes.stop([by_name[name] for name in group if name in by_name])


def down(root: Path) -> bool:
    """Stop what `up` started and remove the state directory; False when nothing was there."""
    layout = Layout(root)
    state = State.load(layout)
    if state is not None:
        stop_all(layout, state)
    existed = layout.root.exists()
    shutil.rmtree(layout.root, ignore_errors=True)
    return existed or state is not None
