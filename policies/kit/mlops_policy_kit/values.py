"""Reading resource inputs: nested look-ups and the loose scalar types of the Pulumi wire format
(numbers arrive as floats, some booleans as strings)."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeGuard


def is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def is_sequence(value: Any) -> TypeGuard[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def dig(value: Any, *path: str | int, default: Any = None) -> Any:
    """`value[path[0]][path[1]]...`, or `default` where a step is missing or of the wrong shape."""
    current = value
    for step in path:
        if isinstance(step, int):
            if not is_sequence(current) or not -len(current) <= step < len(current):
                return default
            current = current[step]
        else:
            if not is_mapping(current) or step not in current:
                return default
            current = current[step]
    return default if current is None else current


def as_bool(value: Any) -> bool | None:
    """True/False for booleans and their string spellings; None when unset or unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_list(value: Any) -> list[Any]:
    return list(value) if is_sequence(value) else []


def walk(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every (path, value) pair in a nested structure, depth first, the root included."""
    yield path, value
    if is_mapping(value):
        for key in value:
            yield from walk(value[key], (*path, key))
    elif is_sequence(value):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))


def dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
