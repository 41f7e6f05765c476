"""Options several commands share, declared once so that they read and behave the same."""

from typing import Annotated

import typer

from mlops.config.environment import AUDIT, AUDIT_TOKEN

AuditOpt = Annotated[
    str | None,
    typer.Option(
        "--audit",
        envvar=AUDIT.name,
        help="The evidence log: a file path, sqlite:///PATH, postgresql://... or "
        "http(s)://AUDIT-API (commands that open the log itself take the first three).",
    ),
]
AuditTokenOpt = Annotated[
    str | None,
    typer.Option("--audit-token", envvar=AUDIT_TOKEN.name, help="Bearer token of the Audit API."),
]
