"""`mlops plan`: what a stack declares, offline (the Pulumi program under mocks)."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.tree import Tree

from mlops.cli.console import out
from mlops.config.loader import load_stack

if TYPE_CHECKING:
    from mlops.plan.runner import Plan

STACKS_DIR = Path("stacks")


def plan(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack name (a file stacks/Pulumi.<stack>.yaml).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    diff: Annotated[
        str | None,
        typer.Option("--diff", metavar="OTHER", help="Show what differs from another stack."),
    ] = None,
    stacks_dir: Annotated[Path, typer.Option(help="Folder of the stack files.")] = STACKS_DIR,
) -> None:
    """Run the Pulumi program of a stack offline and print the resources it declares."""
    config = load_stack(stacks_dir, stack)
    other_config = load_stack(stacks_dir, diff) if diff else None
    # Pulumi and its providers take seconds to import: only a valid `plan` pays for them.
    from mlops.plan.diff import diff_plans
    from mlops.plan.runner import plan_stack

    planned = plan_stack(stack, config)
    if other_config is not None and diff is not None:
        changes = diff_plans(planned, plan_stack(diff, other_config))
        if as_json:
            out.print_json(json.dumps(changes.as_json()))
        else:
            changes.print(out)
        return
    if as_json:
        out.print_json(json.dumps(planned.as_json(), default=str))
        return
    out.print(_tree(planned))
    out.print(f"{len(planned.resources)} resources in stack [bold]{stack}[/]")


def _tree(planned: "Plan") -> Tree:
    root = Tree(f"[bold]{planned.stack}[/]")
    nodes: dict[str, Tree] = {}
    for resource in planned.resources:
        parent = nodes.get(resource.parent_urn, root)
        nodes[resource.urn] = parent.add(f"{resource.name} [dim]{resource.type}[/]")
    return root
