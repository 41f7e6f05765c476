"""`mlops demo`: the whole lifecycle on an embedded platform, no cloud, cluster or network.

Exit codes: 0 every step passed (and, with --hold, stopped by Ctrl-C); 1 a step failed (the
message names it); 2 bad input; 130 interrupted before the end (every process it started is
stopped either way).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlops.cli.console import err, out, print_json

DEFAULT_WORKDIR = Path(".mlops/demo")


def demo(
    workdir: Annotated[
        Path,
        typer.Option(
            "--workdir",
            help="Scratch directory for every store, log, report and the clone (emptied first).",
        ),
    ] = DEFAULT_WORKDIR,
    hold: Annotated[
        bool,
        typer.Option("--hold", help="Keep the platform running after the summary until Ctrl-C."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Train, gate, promote dev -> int -> prod by pull-request branches in a scratch clone,
    serve, load-test and verify, on embedded MLflow, Audit API and KServe predictor processes."""
    from mlops.demo import summary
    from mlops.demo.processes import Interrupted
    from mlops.demo.run import run_demo

    def ready() -> None:
        if as_json:
            print_json({"ready": True, "workdir": str(workdir.resolve())})

    try:
        result = run_demo(workdir, err, hold=hold, on_ready=ready)
    except Interrupted as signal_name:
        err.print(
            f"[bold red]interrupted[/] ({signal_name}); every process the demo started is stopped"
        )
        raise typer.Exit(130) from None
    if as_json:
        print_json(result)
    elif not hold:  # a held run printed its summary before it waited
        summary.render(result, out)
