"""Errors the command line turns into exit codes (see DESIGN.md, "Contracts")."""

from typing import Any


class BadInputError(Exception):
    """Bad input or usage: the message names the file, key or value and what is allowed (exit 2)."""


class CheckFailedError(Exception):
    """A check found violations or a gate failed (exit 1)."""


def validation_problems(error: Any) -> str:
    """One line from a pydantic ValidationError: each field, what is wrong, the value given."""
    return "; ".join(
        f"{'.'.join(map(str, item['loc'])) or 'value'}: {item['msg']} "
        f"(got {str(item.get('input'))[:80]!r})"
        for item in error.errors()
    )
