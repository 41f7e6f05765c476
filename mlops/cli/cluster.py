"""`mlops cluster`: a real Kubernetes control plane on this machine (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler, kwok nodes shaped like a stack's node pools), for
applying the platform's objects against real admission. Nothing runs in it: kwok simulates the
kubelets, so containers never start.

Exit codes: 0 success; 1 the control plane did not come up, or `status` found it not running;
2 a program cannot be built (no Go toolchain, a failed build) or bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mlops.cli.console import err, out, print_json
from mlops.repository import REPO_ROOT

if TYPE_CHECKING:
    from mlops.toolchain.catalogue import Program

DEFAULT_STATE = REPO_ROOT / ".mlops" / "cluster"
StateDir = Annotated[
    Path, typer.Option("--state-dir", help="Where the control plane keeps its files.")
]

app = typer.Typer(
    help="A local Kubernetes control plane (real API server, kwok nodes): up, status, down.",
    no_args_is_help=True,
)


def _announce(program: Program) -> None:
    err.print(f"cluster: building {program.name} {program.version} (once; cached after this)")


@app.command()
def up(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack whose node pools the nodes copy.")
    ] = "local",
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Start the control plane (nothing happens when it already runs) and print its kubeconfig."""
    from mlops.cluster.lifecycle import up as start

    state, started = start(state_dir, stack, _announce)
    verb = "started" if started else "already running"
    out.print(
        f"cluster {verb}: stack {stack}, API server https://127.0.0.1:{state.ports['apiserver']}"
    )
    out.print(f"kubeconfig: {escape(str(state_dir / 'admin.kubeconfig'))}")


@app.command()
def status(
    state_dir: StateDir = DEFAULT_STATE,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Each process, the API server's readiness and the nodes; exit 1 unless all are healthy."""
    from mlops.cluster.lifecycle import status as read

    found = read(state_dir)
    if as_json:
        print_json({"healthy": found.healthy, "processes": found.running,
                    "api_ready": found.api_ready, "nodes": found.nodes})  # fmt: skip
    elif not found.running:
        out.print("cluster: not running (`mlops cluster up` starts it)")
    else:
        for name, alive in found.running.items():
            out.print(f"{name}: {'running' if alive else '[bold red]not running[/]'}")
        out.print(f"API server: {'ready' if found.api_ready else '[bold red]not ready[/]'}")
        ready = sum(found.nodes.values())
        out.print(f"nodes: {ready}/{len(found.nodes)} Ready")
    if not found.healthy:
        raise typer.Exit(1)


@app.command()
def down(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Stop every process `up` started (by pid) and remove the state directory."""
    from mlops.cluster.lifecycle import down as stop

    out.print("cluster: stopped, state removed" if stop(state_dir) else "cluster: not running")


@app.command()
def apply(
    stacks: Annotated[
        list[str], typer.Option("--stack", "-s", help="Stacks to apply, in turn (repeat).")
    ],
    state_dir: StateDir = DEFAULT_STATE,
) -> None:
    """Apply each stack's objects as `pulumi up` would (server-side, strict field validation,
    dependency order, CRDs from the vendored definitions) and its rendered gitops/ manifests as
    Argo CD would; print the counts per stack; exit 1 when the API server refused any."""
    from mlops.cluster.apply import Applier
    from mlops.cluster.lifecycle import client
    from mlops.cluster.stacks import StackApplier, install_crds, rendered_manifests
    from mlops.cluster.state import Layout
    from mlops.config.loader import load_stack
    from mlops.errors import CheckFailedError
    from mlops.plan.runner import iter_plans

    layout = Layout(state_dir)
    if not layout.kubeconfig.is_file():
        err.print("cluster: not running (`mlops cluster up` starts it)")
        raise typer.Exit(1)
    configs = {stack: load_stack(REPO_ROOT / "stacks", stack) for stack in dict.fromkeys(stacks)}
    refused = 0
    with client(layout) as api:
        applier = Applier(api, "mlops-cluster-apply")
        crds = install_crds(applier)
        out.print(f"CRDs: {len(crds.accepted)} applied from mlops/manifests/crds")
        for refusal in crds.refused:
            out.print(f"  [bold red]refused[/] {escape(refusal.key)}: {escape(refusal.message)}")
        refused += len(crds.refused)
        stack_applier = StackApplier(applier)
        for plan in iter_plans(configs):
            for result in (
                stack_applier.apply_plan(plan),
                stack_applier.apply_manifests(
                    plan.stack, rendered_manifests(REPO_ROOT, plan.stack)
                ),
            ):
                out.print(escape(result.summary()))
                for refusal in result.refused:
                    out.print(
                        f"  [bold red]refused[/] {escape(refusal.key)}: {escape(refusal.message)}"
                    )
                refused += len(result.refused)
    if refused:
        raise CheckFailedError(f"the API server refused {refused} object(s)")


@app.command()
def kubeconfig(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Print the path of the administrator's kubeconfig (exit 1 when the cluster is not up)."""
    path = state_dir / "admin.kubeconfig"
    if not path.is_file():
        err.print("cluster: not running (`mlops cluster up` starts it)")
        raise typer.Exit(1)
    out.print(str(path))
