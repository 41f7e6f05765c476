"""Options several commands share, declared once so that they read and behave the same."""

from typing import Annotated

import typer

AuditUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--audit-url",
        envvar="MLOPS_AUDIT_URL",
        help="Record the result as evidence: sqlite:///PATH or http(s)://AUDIT-API.",
    ),
]
AuditTokenOpt = Annotated[
    str | None,
    typer.Option(
        "--audit-token", envvar="MLOPS_AUDIT_TOKEN", help="Bearer token of the Audit API."
    ),
]
