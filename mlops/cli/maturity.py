"""`mlops maturity`: the IML4E maturity questionnaire, its assessment, roadmap and reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlops.cli.console import err, out, print_json
from mlops.cli.options import AuditOpt
from mlops.errors import BadInputError

if TYPE_CHECKING:  # the scheme, its models and the HTML report load only for a command
    from mlops.maturity.assess import Assessment
    from mlops.maturity.evidence import Collected
    from mlops.maturity.prefill import PrefillNote
    from mlops.maturity.roadmap import RoadmapItem

app = typer.Typer(
    help="MLOps maturity assessment after the IML4E scheme (7 dimensions, levels 0-4).",
    no_args_is_help=True,
)

RepoOption = Annotated[
    Path, typer.Option("--repo", help="Repository checkout to collect evidence from.")
]
FromPlatformOption = Annotated[
    bool,
    typer.Option(
        "--from-platform",
        help="Pre-fill the factors the repository (and audit log) can prove, citing evidence.",
    ),
]


def _collect(ctx: typer.Context, from_platform: bool, repo: Path, audit: str | None) -> Collected:
    """The audit log's verdicts count only with --from-platform: given on the command line
    without it is a mistake; from $MLOPS_AUDIT it is only the ambient setting."""
    from mlops.maturity.evidence import Collected, collect

    source = ctx.get_parameter_source("audit")
    if source is not None and source.name == "COMMANDLINE" and not from_platform:
        raise BadInputError("--audit: only used with --from-platform; allowed: add it")
    return collect(repo, audit) if from_platform else Collected()


@app.command()
def template(
    ctx: typer.Context,
    from_platform: FromPlatformOption = False,
    repo: RepoOption = Path(),
    audit: AuditOpt = None,
    milestone: Annotated[
        str, typer.Option("--milestone", help="Name of the questionnaire's milestone.")
    ] = "current",
) -> None:
    """Write a blank questionnaire (YAML) to stdout: every factor with its level statements."""
    from mlops.maturity.questionnaire import render_questionnaire
    from mlops.maturity.scheme import load_scheme

    if not milestone.strip():
        raise BadInputError("--milestone: empty; allowed: a name such as MS2")
    collected = _collect(ctx, from_platform, repo, audit)
    typer.echo(render_questionnaire(load_scheme(), collected.findings, milestone.strip()), nl=False)
    for note in collected.notes:
        err.print(f"note: {escape(note)}")


def _print_terminal(
    assessment: Assessment,
    items: tuple[RoadmapItem, ...],
    notes: list[PrefillNote],
    evidence_notes: list[str],
) -> None:
    title = "MLOps maturity" + (f": {assessment.subject}" if assessment.subject else "")
    table = Table(title=escape(title))
    table.add_column("Dimension")
    for milestone in assessment.milestones:
        table.add_column(escape(milestone.name), justify="center")
    several = len(assessment.milestones) > 1
    if several:
        table.add_column("Change", justify="center")
    for row in assessment.progression:
        cells = [escape(row.name), *(str(level) for level in row.levels)]
        if several:
            cells.append(f"{row.change:+d}")
        table.add_row(*cells)
    out.print(table)
    latest = assessment.latest
    limiting = "; ".join(
        f"{d.id}: {', '.join(d.limiting)}" for d in latest.dimensions if d.level < 4
    )
    if limiting:
        out.print(f"Limiting factors at {escape(latest.name)}: {escape(limiting)}")
    if not items:
        out.print("Roadmap: every dimension is at level 4.")
    for item in items:
        out.print(f"\n[bold]Roadmap: {escape(item.name)} {item.current} -> {item.target}[/]")
        for step in item.steps:
            towards = (
                f" (level {step.statement_level} statement)"
                if step.statement_level != item.target
                else ""
            )
            out.print(f"  - {escape(step.name)} [{step.origin}]: {escape(step.statement)}{towards}")
    if notes:
        out.print("\n[bold]Evidence from the platform[/]")
    for note in notes:
        answered = "-" if note.answered is None else str(note.answered)
        out.print(
            f"  {note.dimension}.{note.factor}: proven >= {note.proven}, answered {answered}: "
            f"{note.action} ({escape(note.reason)})"
        )
        for item in note.evidence:
            out.print(f"      {escape(item)}")
    for text in evidence_notes:
        err.print(f"note: {escape(text)}")


@app.command(name="assess")
def assess_command(
    ctx: typer.Context,
    answers_file: Annotated[Path, typer.Argument(help="Answers YAML (see `maturity template`).")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the HTML report to this file.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    from_platform: FromPlatformOption = False,
    repo: RepoOption = Path(),
    audit: AuditOpt = None,
) -> None:
    """Validate answers, compute each dimension's level (minimum of its factors) and report."""
    from mlops.maturity.answers import load_answers
    from mlops.maturity.assess import assess
    from mlops.maturity.prefill import prefill
    from mlops.maturity.report import as_json, render_html
    from mlops.maturity.roadmap import roadmap
    from mlops.maturity.scheme import load_scheme

    scheme = load_scheme()
    answers = load_answers(answers_file, scheme)
    if html is not None and (html.is_dir() or not html.parent.is_dir()):
        raise BadInputError(
            f"{html}: --html: is a directory or its directory does not exist; "
            "allowed: a file path in an existing directory"
        )
    collected = _collect(ctx, from_platform, repo, audit)
    answers, notes = prefill(answers, collected.findings)
    assessment = assess(answers, scheme)
    items = roadmap(assessment.latest, scheme)
    if html is not None:
        page = render_html(assessment, scheme, items, notes, collected.notes)
        try:
            html.write_text(page, encoding="utf-8")
        except OSError as error:
            raise BadInputError(f"{html}: --html: cannot write: {error.strerror}") from None
    if json_output:
        print_json(as_json(assessment, items, notes, collected.notes))
    else:
        _print_terminal(assessment, items, notes, collected.notes)
    if html is not None:
        err.print(f"HTML report written to {escape(str(html))}")
