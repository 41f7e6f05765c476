"""`mlops pipeline`: compile the credit-risk KFP pipeline, run it locally, or submit it.

`run` executes the steps in this process by default (`--runner inline`), or through KFP's local
runner (`--runner kfp`), or submits the compiled pipeline to a Kubeflow Pipelines endpoint
(`--host URL`). Locally MLflow uses `sqlite:///<workdir>/mlflow.db` with artifacts in the work
directory and the evidence goes to `sqlite:///<workdir>/audit.db`, unless told otherwise.
Exit codes: 0 registered with alias `candidate`; 1 data validation or an analytics gate failed
(the reason names the column and rule, or the gate rule); 2 bad input.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mlops.cli.console import err, out, print_json
from mlops.cli.options import AuditOpt
from mlops.errors import BadInputError, CheckFailedError

app = typer.Typer(
    help="Training pipelines (KFP v2): compile, run locally in int or prod mode, submit.",
    no_args_is_help=True,
)
DEFAULT_WORKDIR = Path(".mlops/pipelines/credit-risk")
COMPILED_NAME = "credit-risk-training.yaml"


class Mode(StrEnum):
    int = "int"
    prod = "prod"


class Runner(StrEnum):
    inline = "inline"
    kfp = "kfp"


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    for key in ("run", "mode", "status", "version", "candidate", "mlflow_run_id", "model_uri"):
        if key in result:
            out.print(f"{key}: {escape(str(result[key]))}")
    out.print(f"tracking: {escape(result['tracking_uri'])}")
    out.print(f"audit: {escape(result['audit_url'])}")


@app.command()
def run(
    mode: Annotated[
        Mode, typer.Option("--mode", help="int: sub-sample, few iterations; prod: full data.")
    ] = Mode.int,
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Data, MLflow store and audit log of local runs.")
    ] = DEFAULT_WORKDIR,
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            "--tracking-uri",
            help="MLflow tracking and registry URI (default sqlite:///<workdir>/mlflow.db).",
        ),
    ] = None,
    audit: AuditOpt = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="CSV to train on instead of the generated data.")
    ] = None,
    runner: Annotated[
        Runner,
        typer.Option(
            "--runner", help="inline: steps in this process; kfp: KFP's local SubprocessRunner."
        ),
    ] = Runner.inline,
    local: Annotated[
        bool, typer.Option("--local/--no-local", help="Run here (default); --host submits instead.")
    ] = True,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Kubeflow Pipelines endpoint to submit the compiled pipeline to."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run the credit-risk training pipeline and register the model with its handover."""
    from mlops.governance.client import audit_location

    audit_url = audit_location(audit) if audit else None
    if host:
        _submit(host, mode.value, tracking_uri, audit_url, data, as_json)
        return
    if not local:
        raise BadInputError("--no-local: needs --host URL; allowed: --local or --host URL")
    from mlops.governance.client import AuditUnavailableError

    try:
        # stdout carries the result only; libraries' own prints (MLflow writes "View run ... at"
        # for an HTTP tracking server) go to stderr, so that --json stays parseable.
        with contextlib.redirect_stdout(sys.stderr):
            result = _run_here(mode.value, workdir, tracking_uri, audit_url, data, runner)
    except AuditUnavailableError as error:
        raise CheckFailedError(
            f"audit log unavailable: {error}; the run stopped (its evidence is mandatory)"
        ) from None
    _print(result, as_json)
    if not result["candidate"]:
        failures = result.get("gate_failures") or "see the gates.analytics verdict"
        raise CheckFailedError(
            f"analytics gates failed: {failures}; version {result['version']} "
            "registered without the alias candidate"
        )


def _run_here(
    mode: str,
    workdir: Path,
    tracking_uri: str | None,
    audit_url: str | None,
    data: Path | None,
    runner: Runner,
) -> dict[str, Any]:
    from pipelines.credit_risk.local import run_kfp_local, run_local

    if runner is Runner.kfp:
        return run_kfp_local(
            mode, workdir, tracking_uri=tracking_uri, audit_url=audit_url, data=data
        )
    outcome = run_local(mode, workdir, tracking_uri=tracking_uri, audit_url=audit_url, data=data)
    return outcome.as_dict()


def _submit(
    host: str,
    mode: str,
    tracking_uri: str | None,
    audit_url: str | None,
    data: Path | None,
    as_json: bool,
) -> None:
    """Compile (GPU variant) and create a run on the KFP endpoint."""
    from kfp import Client

    from pipelines.credit_risk.pipeline import compile_pipeline

    if not host.startswith(("http://", "https://")):
        raise BadInputError(f"--host: {host!r}; allowed: http(s)://HOST of the KFP API")
    arguments: dict[str, str] = {"mode": mode}
    if tracking_uri:
        arguments["tracking_uri"] = tracking_uri
    if audit_url:
        arguments["audit_url"] = audit_url
    if data:
        arguments["source"] = str(data)
    with tempfile.TemporaryDirectory() as scratch:
        package = compile_pipeline(Path(scratch) / COMPILED_NAME)
        try:
            created = Client(host=host).create_run_from_pipeline_package(
                str(package), arguments=arguments, enable_caching=False
            )
        except Exception as error:  # the client raises many kinds; all mean "not submitted"
            raise BadInputError(f"--host: {host}: submission failed: {error}") from None
    if not created.run_id:
        raise CheckFailedError(f"--host: {host}: the KFP API accepted the run but named no run id")
    result = {"host": host, "run_id": created.run_id, "mode": mode}
    if as_json:
        print_json(result)
    else:
        out.print(f"submitted run {escape(created.run_id)} to {escape(host)}")


@app.command()
def compile(
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "--output",
            help=f"File to write, or a directory (writes {COMPILED_NAME} in it).",
        ),
    ] = Path(COMPILED_NAME),
    image: Annotated[
        str | None, typer.Option("--image", help="Component image (default: the pinned release).")
    ] = None,
    gpus: Annotated[
        int | None,
        typer.Option(
            "--gpus",
            min=0,
            max=8,
            help="GPUs the training task requests on the training GPU pool "
            "(default: training.gpus of the pipeline configuration).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Write the pipeline's KFP IR YAML (deterministic for the same code and options)."""
    from pipelines.credit_risk.components import IMAGE
    from pipelines.credit_risk.config import load_config
    from pipelines.credit_risk.pipeline import compile_pipeline

    gpus = load_config().training.gpus if gpus is None else gpus

    target = out_path / COMPILED_NAME if out_path.is_dir() else out_path
    if target.exists() and target.is_dir():
        raise BadInputError(f"--out: {target} is a directory; allowed: a file path")
    try:
        written = compile_pipeline(target, image or IMAGE, gpus)
    except OSError as error:
        raise BadInputError(f"--out: {target}: cannot write: {error.strerror}") from None
    if as_json:
        print_json({"path": str(written), "image": image or IMAGE, "gpus": gpus})
    else:
        err.print(f"wrote {escape(str(written))}")
