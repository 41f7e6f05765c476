"""`mlops preflight`: render what `pulumi up` would install with the real Helm and kustomize and
report what would fail or silently misbehave (docs/preflight.md)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlops.cli.console import err, out, print_json
from mlops.config.loader import load_stack
from mlops.errors import BadInputError, CheckFailedError

STACKS_DIR = Path("stacks")
DEFAULT_CHARTS = Path("~/.cache/mlops-platform/charts")
APPLY_TIMEOUT_SECONDS = 300


def preflight(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack name (stacks/Pulumi.<stack>.yaml).")
    ],
    charts: Annotated[
        Path,
        typer.Option(
            help="A `helm pull` folder holding every chart the stack pins "
            "(<chart>-<version>.tgz; missing ones are pulled when online)."
        ),
    ] = DEFAULT_CHARTS,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(
            help="Also apply everything server-side to this cluster and wait as Helm would."
        ),
    ] = None,
    local_cluster: Annotated[
        bool,
        typer.Option(
            "--local-cluster",
            help="Apply to the project's local control plane (mlops.controlplane).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    stacks_dir: Annotated[Path, typer.Option(help="Folder of the stack files.")] = STACKS_DIR,
) -> None:
    """Render every Helm release and kustomize tree of a stack exactly as the components pass
    them, and check the result; exit 1 when anything is found."""
    if kubeconfig is not None and not kubeconfig.is_file():
        raise BadInputError(f"--kubeconfig: {kubeconfig} is not a file")
    config = load_stack(stacks_dir, stack)
    from mlops.preflight.run import preflight as run_preflight
    from mlops.preflight.tools import tools

    programs = tools()
    report = run_preflight(
        stack,
        config,
        charts.expanduser(),
        programs,
        progress=lambda name: err.print(f"[dim]rendering {escape(name)}[/]"),
    )
    if kubeconfig is not None:
        from mlops.preflight.cluster import check_on_cluster

        report.findings += check_on_cluster(report, programs, kubeconfig, APPLY_TIMEOUT_SECONDS)
    if as_json:
        print_json(report.as_json())
    else:
        table = Table("install", "check", "subject", "finding")
        for finding in sorted(report.findings):
            table.add_row(
                *(
                    escape(x)
                    for x in (finding.install, finding.check, finding.subject, finding.message)
                )
            )
        if report.findings:
            out.print(table)
        out.print(
            f"{len(report.findings)} finding(s) in {len(report.installs)} installs of stack {stack}"
        )
    if report.findings:
        raise CheckFailedError(f"preflight of {stack}: {len(report.findings)} finding(s)")
