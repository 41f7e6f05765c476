"""`mlops plan`: what a stack declares, offline (the Pulumi program under mocks)."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.tree import Tree

from mlops.cli.console import out, print_json
from mlops.config.loader import load_stack
from mlops.errors import BadInputError

if TYPE_CHECKING:
    from mlops.plan.runner import Plan

STACKS_DIR = Path("stacks")


def plan(
    stack: Annotated[
        list[str],
        typer.Option(
            "--stack", "-s", help="Stack name (stacks/Pulumi.<stack>.yaml); repeat for several."
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON (a list for several stacks).")
    ] = False,
    diff: Annotated[
        str | None,
        typer.Option("--diff", metavar="OTHER", help="Show what differs from another stack."),
    ] = None,
    stacks_dir: Annotated[Path, typer.Option(help="Folder of the stack files.")] = STACKS_DIR,
) -> None:
    """Run the Pulumi program of each stack offline and print the resources it declares."""
    if diff is not None and len(stack) != 1:
        raise BadInputError("--diff: compares one stack with another; give one --stack")
    configs = {name: load_stack(stacks_dir, name) for name in dict.fromkeys(stack)}
    other_config = load_stack(stacks_dir, diff) if diff else None
    # Pulumi and its providers take a second to import: only a valid `plan` pays for them.
    from mlops.plan.diff import diff_plans
    from mlops.plan.runner import plan_stacks

    if other_config is not None and diff is not None:
        plans = plan_stacks({stack[0]: configs[stack[0]], diff: other_config})
        changes = diff_plans(plans[0], plans[-1])  # one plan when a stack is diffed with itself
        if as_json:
            print_json(changes.as_json())
        else:
            changes.print(out)
        return
    plans = plan_stacks(configs)
    if as_json:
        print_json(plans[0].as_json() if len(plans) == 1 else [p.as_json() for p in plans])
        return
    for planned in plans:
        out.print(_tree(planned))
        out.print(f"{len(planned.resources)} resources in stack [bold]{planned.stack}[/]")


def _tree(planned: "Plan") -> Tree:
    root = Tree(f"[bold]{planned.stack}[/]")
    nodes: dict[str, Tree] = {}
    for resource in planned.resources:
        parent = nodes.get(resource.parent_urn, root)
        nodes[resource.urn] = parent.add(f"{resource.name} [dim]{resource.type}[/]")
    return root
