"""`mlops verify`: check a running platform and print a report.

`--target local` checks the embedded platform of `mlops demo --hold` (testinfra on this host);
`--target cluster` checks a live cluster through the Kubernetes API and skips, exit 0, with the
reason when no kubeconfig is given. Exit codes: 0 every check passed (or skipped), 1 a check
failed, 2 bad input.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlops.cli.console import out, print_json
from mlops.errors import BadInputError

if TYPE_CHECKING:
    from mlops.verify.report import Report

KUBECONFIG_ENV = "KUBECONFIG"
MARKS = {"passed": "[green]pass[/]", "failed": "[bold red]FAIL[/]", "skipped": "[yellow]skip[/]"}


class Target(StrEnum):
    local = "local"
    cluster = "cluster"


def cluster_report(kubeconfig: Path | None, context: str | None) -> Report:
    """Every cluster check, or a report that says why none ran (no kubeconfig given)."""
    from mlops.verify.cluster import CHECKS, connect
    from mlops.verify.report import Report, failed

    report = Report(target="cluster")
    if kubeconfig is None:
        report.skipped_reason = (
            f"no cluster given: pass --kubeconfig PATH [--context NAME] or set ${KUBECONFIG_ENV}"
        )
        return report
    if not kubeconfig.is_file():
        raise BadInputError(f"--kubeconfig: {kubeconfig}: no such file")
    try:
        cluster = connect(kubeconfig, context)
    except Exception as error:  # a kubeconfig the client cannot use is the caller's to fix
        raise BadInputError(f"--kubeconfig: {kubeconfig}: {error}") from None
    for name, check in CHECKS.items():
        try:
            report.extend(check(cluster))
        except Exception as error:  # an unreachable API or a refused call fails that check
            report.extend([failed(name, "error", f"{type(error).__name__}: {error}")])
    return report


def render(report: Report) -> None:
    if report.skipped_reason:
        out.print(
            f"verify --target {report.target}: [yellow]skipped[/]: {escape(report.skipped_reason)}"
        )
        return
    table = Table(title=f"mlops verify --target {report.target}", header_style="bold")
    for column in ("", "check", "what", "observed"):
        table.add_column(column)
    for result in report.results:
        table.add_row(
            MARKS[result.status], result.check, escape(result.name), escape(result.detail)
        )
    out.print(table)
    counts = report.counts()
    verdict = "passed" if report.ok else "[bold red]failed[/]"
    out.print(
        f"{verdict}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    )


def verify(
    target: Annotated[
        Target, typer.Option("--target", help="local: the embedded platform; cluster: a live one.")
    ],
    workdir: Annotated[
        Path, typer.Option("--workdir", help="local: the work directory of `mlops demo --hold`.")
    ] = Path(".mlops/demo"),
    kubeconfig: Annotated[
        Path | None,
        typer.Option(
            "--kubeconfig", help=f"cluster: kubeconfig file (default: ${KUBECONFIG_ENV})."
        ),
    ] = None,
    context: Annotated[
        str | None,
        typer.Option("--context", help="cluster: kubeconfig context (default: current)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Verify a running platform: processes, ports, health, stores and evidence (local), or
    nodes, GPUs, pods, endpoints, Argo CD, Pod Security and NetworkPolicies (cluster)."""
    if target is Target.local:
        if kubeconfig or context:
            raise BadInputError("--kubeconfig/--context: only with --target cluster")
        if not workdir.is_dir():
            raise BadInputError(
                f"--workdir {workdir}: no such directory; allowed: the work directory of "
                "`mlops demo --hold` (default .mlops/demo)"
            )
        from mlops.verify.local import verify_local

        report = verify_local(workdir)
    else:
        env = os.environ.get(KUBECONFIG_ENV)
        chosen = kubeconfig or (Path(env.split(os.pathsep)[0]) if env else None)
        report = cluster_report(chosen, context)
    if as_json:
        print_json(report.as_dict())
    else:
        render(report)
    if not report.ok:
        raise typer.Exit(1)
