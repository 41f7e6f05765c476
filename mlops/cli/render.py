"""`mlops render`: generate the manifests Argo CD syncs from the model release descriptors, or
check (`--check`) that the committed ones are current."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mlops.cli.console import out, print_json
from mlops.repository import REPO_ROOT

if TYPE_CHECKING:
    from mlops.gitops.tree import Drift


def render(
    env: Annotated[str, typer.Option("--env", help="Stack to render: dev, int, prod or local.")],
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 when files are stale/missing/extra."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
    root: Annotated[
        Path,
        typer.Option(
            "--root", help="Repository root holding stacks/ and gitops/.", show_default=False
        ),
    ] = REPO_ROOT,
) -> None:
    """Render gitops/ for one stack: Argo CD bootstrap objects, and the InferenceServices,
    monitoring, NetworkPolicies and PodDisruptionBudgets of every model release."""
    from mlops.gitops.tree import drift, render_environment, write

    rendering = render_environment(root, env)
    changes = drift(root, rendering) if check else write(root, rendering)
    _report(env, check, changes, len(rendering.files), rendering.releases, as_json)
    if check and not changes.clean:
        raise typer.Exit(1)


def _report(
    env: str, check: bool, changes: "Drift", total: int, releases: list[str], as_json: bool
) -> None:
    if as_json:
        result = {
            "env": env,
            "mode": "check" if check else "write",
            "ok": changes.clean or not check,
            "files": total,
            "releases": releases,
            "stale": changes.stale,
            "missing": changes.missing,
            "extra": changes.extra,
        }
        print_json(result)
        return
    verb = {"stale": "stale", "missing": "missing", "extra": "extra"}
    if not check:
        verb = {"stale": "updated", "missing": "created", "extra": "deleted"}
    for key, paths in (
        ("stale", changes.stale),
        ("missing", changes.missing),
        ("extra", changes.extra),
    ):
        for path in paths:
            out.print(f"{verb[key]}: {escape(path)}")
    if check and not changes.clean:
        out.print(
            f"[bold red]{env}: rendered files are not current[/]; run `mlops render --env {env}`"
        )
    elif check:
        out.print(f"{env}: {total} rendered files are current ({len(releases)} releases)")
    else:
        out.print(f"{env}: {total} files rendered ({len(releases)} releases)")
