"""`mlops gates`: evaluate the audit gate between two environments from recorded evidence.

The evidence log is `--audit` (else $MLOPS_AUDIT), the registry `--tracking-uri`
(else $MLFLOW_TRACKING_URI). Every check records its verdict, passed or failed, as `gate.<name>`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from mlops.cli.console import out, print_json
from mlops.cli.options import AuditOpt
from mlops.config.environment import AUDIT, AUDIT_TOKEN
from mlops.errors import BadInputError, CheckFailedError
from mlops.inputs import load_json
from mlops.repository import REPO_ROOT

if TYPE_CHECKING:  # imported where used: `mlops --help` should not pay for the gate engine
    from mlops.gates.context import Target
    from mlops.gates.evaluate import GateResult

app = typer.Typer(
    help="Audit gates between environments: check a model version or a commit against its gate.",
    no_args_is_help=True,
)

TrackingOpt = Annotated[
    str | None,
    typer.Option("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI)."),
]
RootOpt = Annotated[
    Path, typer.Option("--root", help="Repository root (policies/, gitops/).", show_default=False)
]


@contextmanager
def services_unavailable_fail() -> Iterator[None]:
    """An unreachable audit log or registry fails the check (exit 1): no evidence, no pass."""
    from mlops.gates.registry import RegistryUnavailableError
    from mlops.governance.client import AuditUnavailableError

    try:
        yield
    except (RegistryUnavailableError, AuditUnavailableError) as error:
        raise CheckFailedError(f"unavailable: {error}") from None


def audit_client(url: str | None) -> Any:
    from mlops.governance.client import audit_client_from_url

    if not url:
        raise BadInputError(
            f"--audit: not given and {AUDIT.name} not set; allowed: {AUDIT.allowed}"
        )
    return audit_client_from_url(url, AUDIT_TOKEN.get())


def registry(uri: str | None, required: bool) -> Any:
    from mlops.gates.registry import TRACKING_ENV, registry_from

    if not required and not (uri or os.environ.get(TRACKING_ENV)):
        return None
    return registry_from(uri)


def load_reviews(path: Path | None) -> list[dict[str, Any]] | None:
    if path is None:
        return None
    data = load_json(path)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise BadInputError(f"{path}: must be a JSON list of review objects (GitHub reviews API)")
    return data


def target_from(
    model: str | None, version: str | None, commit: str | None, to: str | None
) -> Target:
    from mlops.gates.context import Target

    if to is None:
        raise BadInputError("--to: required with --model/--version or --commit")
    if commit is not None:
        if model or version:
            raise BadInputError("--commit: give either --commit or --model/--version, not both")
        if not (len(commit) == 40 and all(c in "0123456789abcdef" for c in commit)):
            raise BadInputError(f"--commit: {commit!r}; allowed: a 40-hex commit id")
        return Target(kind="code", environment=to, commit=commit)
    if not model or not version:
        raise BadInputError("--model and --version: both required (or --commit, or --descriptor)")
    if not version.isdigit():
        raise BadInputError(f"--version: {version!r}; allowed: a registered version number")
    return Target(kind="model", environment=to, model=model, version=version)


def print_result(result: GateResult, as_json: bool) -> None:
    seq = result.entry.seq if result.entry else None
    if as_json:
        payload = {
            **result.report.data,
            "report_digest": result.report.digest,
            "verdict_entry": seq,
        }
        print_json(payload)
        return
    for check in result.checks:
        mark = "[green]pass[/]" if check.passed else "[bold red]FAIL[/]"
        out.print(
            f"{mark} {escape(check.rule)}: {escape(check.name)} = {escape(repr(check.actual))}; "
            f"required {escape(check.op)} {escape(repr(check.required))}; "
            f"evidence: {escape(check.evidence)}"
        )
        if not check.passed and check.detail:
            out.print(f"     why: {escape(check.detail)}")
    status = "passed" if result.passed else "[bold red]failed[/]"
    out.print(
        f"gate {result.gate.gate} ({escape(result.target.label())}): {status}; verdict entry {seq}, "
        f"report {result.report.digest}"
    )


@app.command()
def check(
    to: Annotated[
        str | None,
        typer.Option("--to", help="dev, int, prod (model); analytics-int, analytics-prod (code)."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Registered model name.")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Model version.")] = None,
    commit: Annotated[str | None, typer.Option("--commit", help="Code commit (40 hex).")] = None,
    descriptor: Annotated[
        Path | None,
        typer.Option(
            "--descriptor",
            help="Re-check a release descriptor (CI): the gate of its "
            "environment plus its fields against MLflow and the audit log.",
        ),
    ] = None,
    reviews: Annotated[
        Path | None,
        typer.Option("--reviews", help="JSON list of the pull request's reviews (CI)."),
    ] = None,
    audit_db: AuditOpt = None,
    tracking_uri: TrackingOpt = None,
    root: RootOpt = REPO_ROOT,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Report directory (default: ROOT/.mlops/gate-reports)."),
    ] = None,
    source: Annotated[
        str, typer.Option(help="Who evaluated, recorded with the verdict.")
    ] = "mlops gates check",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Evaluate the gate, print every rule (actual, required, evidence, verdict), write the
    markdown and JSON report, record the verdict; exit 0 passed, 1 failed, 2 bad input."""
    from mlops.gates.check import REPORT_DIR, check_descriptor
    from mlops.gates.check import check as run_check
    from mlops.gates.context import Context
    from mlops.gates.spec import gate_for

    root = root.resolve()
    reports = out_dir or root / REPORT_DIR
    target = None if descriptor else target_from(model, version, commit, to)
    if descriptor and (model or version or commit or to):
        raise BadInputError("--descriptor: the descriptor names model, version and environment")
    if target is not None:
        gate_for(root, target.kind, target.environment)  # an unknown --to, before any write
    checked = registry(tracking_uri, required=target is None or target.kind == "model")
    review_list = load_reviews(reviews)
    # last: opening a SQLite audit log creates it, and bad input must leave nothing behind
    ctx = Context(root=root, audit=audit_client(audit_db), registry=checked, reviews=review_list)
    try:
        with services_unavailable_fail():
            if descriptor is not None:
                result = check_descriptor(descriptor, ctx, source, reports)
            else:
                assert target is not None
                result = run_check(target, ctx, source, reports)
    finally:
        ctx.audit.close()
    print_result(result, as_json)
    if not result.passed:
        raise typer.Exit(1)


@app.command()
def validate(
    root: RootOpt = REPO_ROOT,
    check_schema: Annotated[
        bool, typer.Option("--check", help="Exit 1 when gate.schema.json is stale (else rewrite).")
    ] = False,
) -> None:
    """Validate every gate file; write (or --check) policies/gates/gate.schema.json."""
    from mlops.gates.spec import GATES_DIR, SCHEMA_FILE, load_all, schema_text

    gates = load_all(root)
    schema_path = root / GATES_DIR / SCHEMA_FILE
    current = schema_path.is_file() and schema_path.read_text(encoding="utf-8") == schema_text()
    if not check_schema and not current:
        schema_path.write_text(schema_text(), encoding="utf-8")
    for name, (_, gate) in gates.items():
        out.print(f"{name}: {gate.subject} {gate.source} -> {gate.to}, {len(gate.rules)} rules")
    if check_schema and not current:
        out.print(f"[bold red]{GATES_DIR}/{SCHEMA_FILE} is stale[/]; run `mlops gates validate`")
        raise typer.Exit(1)
