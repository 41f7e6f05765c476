"""One option and one variable name the evidence log in every command."""

import typer.main

from mlops.cli.app import app
from mlops.config.environment import AUDIT


def commands(group, path=()):
    for name, command in getattr(group, "commands", {}).items():
        yield from commands(command, (*path, name))
    if not getattr(group, "commands", None):
        yield " ".join(path), group


def test_every_option_naming_the_audit_log_is_audit_with_mlops_audit() -> None:
    found = {}
    for name, command in commands(typer.main.get_command(app)):
        for param in command.params:
            flags = set(param.opts)
            if param.envvar == AUDIT.name or flags & {
                "--db",
                "--audit-db",
                "--audit-url",
                "--audit-log",
            }:
                found[name] = (param.opts, param.envvar)
    assert found, "no command takes the audit log"
    assert {tuple(opts) for opts, _ in found.values()} == {("--audit",)}
    assert {envvar for _, envvar in found.values()} == {AUDIT.name}
    # the commands that read or write evidence, at least these
    assert {"audit serve", "audit verify", "gates check", "promote", "pipeline run", "drift",
            "loadtest", "maturity assess"} <= set(found)  # fmt: skip
