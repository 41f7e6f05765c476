"""`mlops toolchain`: the pinned upstream programs (Kubernetes control plane, etcd, kwok,
kubectl, helm, kustomize): list them with their pins and reasons, or build/download them into
the cache. `./scripts/setup` runs `install`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlops.cli.console import err, out, print_json

if TYPE_CHECKING:
    from mlops.toolchain.catalogue import Program

app = typer.Typer(
    help="Pinned upstream programs: list them, build or download them into the cache.",
    no_args_is_help=True,
)


def _announce(program: Program) -> None:
    err.print(f"toolchain: providing {program.name} {program.version} (cached after this)")


@app.command(name="list")
def list_programs(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Every pinned program: version, whether it is cached, and the reason for its pin."""
    from mlops import toolchain

    rows = [
        {
            "name": name,
            "version": found.version,
            "cached": toolchain.is_cached(name),
            "reason": found.reason,
        }
        for name, found in toolchain.PROGRAMS.items()
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("program", "version", "cached", "reason")
    for row in rows:
        table.add_row(
            row["name"], row["version"], "yes" if row["cached"] else "no", escape(row["reason"])
        )
    out.print(table)


@app.command()
def install(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Programs to provide (default: all).", show_default=False),
    ] = None,
    skip_missing: Annotated[
        bool,
        typer.Option(
            "--skip-missing",
            help="Skip, with the reason, programs whose client (go, uv) is not installed.",
        ),
    ] = False,
) -> None:
    """Build or download the programs that are not cached yet; print each one's path."""
    from mlops import toolchain

    chosen = [toolchain.program(name).name for name in names or toolchain.PROGRAMS]
    for name in chosen:
        try:
            out.print(f"{name}: {toolchain.binary(name, on_provide=_announce)}")
        except toolchain.MissingToolError as missing:
            if not skip_missing:
                raise
            out.print(f"{name}: skipped: {escape(str(missing))}")


@app.command()
def path(
    name: Annotated[str, typer.Argument(help="Program name (see `mlops toolchain list`).")],
) -> None:
    """The path of one program's executable (provided first when not cached)."""
    from mlops import toolchain

    out.print(str(toolchain.binary(name, on_provide=_announce)))
