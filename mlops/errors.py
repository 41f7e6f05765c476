"""Errors the command line turns into exit codes (see DESIGN.md, "Contracts")."""


class BadInputError(Exception):
    """Bad input or usage: the message names the file, key or value and what is allowed (exit 2)."""


class CheckFailedError(Exception):
    """A check found violations or a gate failed (exit 1)."""
