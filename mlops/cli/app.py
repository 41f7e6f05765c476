"""Entry point of the `mlops` command: registers every command and maps errors to exit codes."""

import sys

import click
import typer
from rich.markup import escape

from mlops.cli import audit as audit_cli
from mlops.cli import maturity, plan
from mlops.cli.console import err
from mlops.errors import BadInputError, CheckFailedError

app = typer.Typer(
    name="mlops",
    help="Governed MLOps platform: plan, policy, gates, promotion, governance and serving.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command(name="plan")(plan.plan)
app.add_typer(maturity.app, name="maturity")
app.add_typer(audit_cli.app, name="audit")


def main() -> None:
    """Run the app; bad input exits 2 and failed checks exit 1, each with one message, never a traceback."""
    try:
        result = app(standalone_mode=False)
    except BadInputError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}")
        sys.exit(2)
    except CheckFailedError as error:
        err.print(f"[bold red]failed:[/] {escape(str(error))}")
        sys.exit(1)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as usage_error:
        usage_error.show()
        sys.exit(usage_error.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
