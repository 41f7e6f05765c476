"""`mlops policy`: the CrossGuard packs under policies/ against the offline plan of a stack."""

import io
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mlops.cli.console import out, print_json
from mlops.config.loader import load_stack, stack_file
from mlops.errors import BadInputError, CheckFailedError
from mlops.policy.packs import POLICIES_DIR, packs_for

if TYPE_CHECKING:
    from mlops.policy.result import StackResult

app = typer.Typer(
    help="Policy as code: the CrossGuard packs (policies/) evaluated offline against `mlops plan`.",
    no_args_is_help=True,
)
STACKS_DIR = Path("stacks")


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


StackOption = Annotated[
    list[str],
    typer.Option(
        "--stack", "-s", help="Stack name (stacks/Pulumi.<stack>.yaml); repeat for several."
    ),
]
StacksDirOption = Annotated[Path, typer.Option(help="Folder of the stack files.")]
PoliciesDirOption = Annotated[Path, typer.Option(help="Folder of the CrossGuard packs.")]


@app.command()
def check(
    stack: StackOption,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print {stack, rules, violations} (a list for several stacks)."
        ),
    ] = False,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Report format (--json is --format json).")
    ] = Format.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file instead of stdout."),
    ] = None,
    program: Annotated[
        Path | None,
        typer.Option(help="Python file defining program(config, secrets); default: the platform."),
    ] = None,
    stacks_dir: StacksDirOption = STACKS_DIR,
    policies_dir: PoliciesDirOption = POLICIES_DIR,
) -> None:
    """Evaluate every pack that applies to the stack (baseline everywhere, production for int and
    prod, by each pack's config/<environment>.json) against the stack's offline plan, through the
    same analyzer calls `pulumi preview --policy-pack` makes. Exit 1 on any mandatory violation."""
    from mlops.policy.engine import PolicyEngine, Target
    from mlops.policy.reporters import print_text, render

    if not stack:
        raise BadInputError("--stack: give at least one stack name")
    if as_json:
        fmt = Format.json
    targets = [
        Target(name, load_stack(stacks_dir, name), stack_file(stacks_dir, name))
        for name in dict.fromkeys(stack)  # a repeated --stack is checked once
    ]
    with PolicyEngine(targets, policies_dir) as engine:
        # Pulumi and its providers take a second to import; the packs start meanwhile.
        from mlops.policy.plans import planned_resources

        by_stack = {target.stack: target for target in targets}
        configs = {name: target.config for name, target in by_stack.items()}
        results = [
            engine.check(by_stack[name], resources)
            for name, resources in planned_resources(configs, program)
        ]
    if fmt is Format.text and output is None:
        print_text(results, out)
    else:
        report = render(results, fmt.value) if fmt is not Format.text else _text(results)
        if output is None:
            out.print(report, markup=False, highlight=False, soft_wrap=True)
        else:
            _write(output, report)
    failed = [result for result in results if not result.passed]
    if failed:
        raise CheckFailedError(
            "; ".join(f"{r.stack}: {len(r.mandatory)} mandatory violation(s)" for r in failed)
        )


@app.command()
def config(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.")],
    pack: Annotated[str, typer.Option(help="Pack name (a folder of policies/).")],
    stacks_dir: StacksDirOption = STACKS_DIR,
    policies_dir: PoliciesDirOption = POLICIES_DIR,
) -> None:
    """Print the policy config of one pack for a stack, for `pulumi preview --policy-pack
    policies/<pack> --policy-pack-config <file>`: the pack's config file for the stack's
    environment plus the settings the stack file decides."""
    from mlops.policy.config import preview_config

    settings = load_stack(stacks_dir, stack)
    packs = {p.name: p for p in packs_for(settings.environment, policies_dir)}
    if pack not in packs:
        raise BadInputError(
            f"--pack: '{pack}' does not apply to environment '{settings.environment}'; "
            f"allowed: {', '.join(packs)}"
        )
    print_json(preview_config(packs[pack], settings))


@app.command("preview-args")
def preview_args(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.")],
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Folder to write each pack's policy config into.")
    ],
    stacks_dir: StacksDirOption = STACKS_DIR,
    policies_dir: PoliciesDirOption = POLICIES_DIR,
) -> None:
    """The `pulumi preview` arguments that enforce, for a real cloud, exactly the packs and
    settings `mlops policy check` evaluates offline: writes OUT_DIR/<pack>.json for every pack
    that applies to the stack and prints `--policy-pack DIR --policy-pack-config FILE` for each,
    one argument per line (`mapfile -t args < file`)."""
    from mlops.policy.config import preview_config

    settings = load_stack(stacks_dir, stack)
    packs = packs_for(settings.environment, policies_dir)
    documents = {pack: preview_config(pack, settings) for pack in packs}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInputError(f"{out_dir}: cannot create the folder ({error.strerror})") from None
    for pack, document in documents.items():
        config_file = out_dir / f"{pack.name}.json"
        _write(config_file, json.dumps(document, indent=2))
        for argument in (
            "--policy-pack", str(pack.directory.resolve()),
            "--policy-pack-config", str(config_file.resolve()),
        ):  # fmt: skip
            out.print(argument, markup=False, highlight=False)


def _text(results: list["StackResult"]) -> str:
    from rich.console import Console

    from mlops.policy.reporters import print_text

    console = Console(record=True, width=120, file=io.StringIO())
    print_text(results, console)
    return console.export_text()


def _write(path: Path, report: str) -> None:
    try:
        path.write_text(report + "\n", encoding="utf-8")
    except OSError as error:
        raise BadInputError(f"{path}: cannot write the report ({error.strerror})") from None


@app.command()
def gitops(
    path: Annotated[Path, typer.Option(help="Folder that Argo CD syncs from.")] = Path("gitops"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    checks_dir: Annotated[Path, typer.Option(help="Folder of the custom checkov checks.")] = Path(
        "policies/checkov"
    ),
) -> None:
    """Run checkov (built-in checks and the CKV_MLOPS checks) on the rendered manifests and the
    Argo CD objects, including the Applications that ApplicationSets generate. Exit 1 on a
    failed check, a skip without a reason, or an object checkov did not check."""
    from mlops.policy.gitops import scan

    report = scan(path, checks_dir)
    if as_json:
        print_json(report.as_json())
    else:
        for finding in report.findings:
            state = (
                f"[yellow]SKIPPED[/] ({escape(finding.reason)})"
                if finding not in report.failures
                else f"[bold red]{finding.status.upper()}[/]"
            )
            out.print(f"{state} {finding.check} {escape(finding.name)}")
            out.print(f"    {escape(finding.resource)}  [dim]{escape(finding.file)}[/]")
        out.print(
            f"checkov: {report.checked} of {report.objects} objects checked, "
            f"{report.passed} checks passed, {len(report.failures)} failed"
        )
    problems = []
    if report.checked != report.objects:
        problems.append(f"checkov checked {report.checked} of {report.objects} objects")
    if report.failures:
        problems.append(f"{len(report.failures)} failed check(s) or skip(s) without a reason")
    if problems:
        raise CheckFailedError(f"{path}: " + "; ".join(problems))
