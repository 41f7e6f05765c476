"""Round-trip edit of a release descriptor: only the keys a promotion changes move.

ruamel.yaml keeps comments, key order, quoting and blank lines, so a reviewer's diff shows the
promotion and nothing else. A key the descriptor lacks is inserted after its nearest
predecessor in the descriptor model's field order; a removed key takes only its own line.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from mlops.errors import BadInputError
from mlops.gitops.descriptor import ModelRelease, parse_release
from mlops.yamlio import parse_yaml

FIELD_ORDER = tuple(ModelRelease.model_fields)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def edit(text: str, source: str, updates: Mapping[str, Any], removals: Iterable[str]) -> str:
    """The descriptor text with `updates` set and `removals` deleted; validated before return."""
    parse_yaml(text, source)  # the strict reader refuses aliases, duplicates and oversize first
    data = _yaml().load(text)
    if not isinstance(data, CommentedMap):
        raise BadInputError(f"{source}: must be a mapping of descriptor keys")
    for key in removals:
        if key in data:
            del data[key]
    for key, raw in updates.items():
        value = _flow(raw) if isinstance(raw, list) else raw
        if key in data:
            data[key] = value
        else:
            data.insert(_position(data, key), key, value)
    stream = io.StringIO()
    _yaml().dump(data, stream)
    result = stream.getvalue()
    parse_release(parse_yaml(result, source), source)
    return result


def _flow(items: list[Any]) -> CommentedSeq:
    """A list written on one line (`[10, 50, 100]`), as a reviewer reads it in a diff."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _position(data: CommentedMap, key: str) -> int:
    """Index just after the nearest existing key that precedes `key` in field order."""
    keys = list(data)
    order = FIELD_ORDER.index(key) if key in FIELD_ORDER else len(FIELD_ORDER)
    for earlier in reversed(FIELD_ORDER[:order]):
        if earlier in data:
            return keys.index(earlier) + 1
    return 0
