"""The one way this project reads YAML it did not write: safe, size-bounded, no aliases, no duplicate keys.

Stack files, release descriptors, gate definitions and questionnaires are all user input, so a
hostile file (an alias bomb, a duplicated key that silently overrides, a huge document) must
become a BadInputError naming the file, never a hang, a traceback or a silent surprise.
"""

from pathlib import Path
from typing import Any

import yaml

from mlops.errors import BadInputError

MAX_YAML_BYTES = 1_000_000


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases and duplicate mapping keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                problem="YAML aliases (*name) are not allowed",
                problem_mark=event.start_mark,
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.MarkedYAMLError(
                problem=f"YAML anchors (&{anchor}) are not allowed",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str) -> Any:
    """Parse one YAML document from text; `source` names it in error messages."""
    if len(text.encode()) > MAX_YAML_BYTES:
        raise BadInputError(f"{source}: larger than {MAX_YAML_BYTES} bytes; refusing to parse it")
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader derives from SafeLoader
    except yaml.MarkedYAMLError as error:
        where = ""
        mark = error.problem_mark
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        raise BadInputError(f"{source}: invalid YAML{where}: {error.problem}") from None
    except yaml.YAMLError as error:
        raise BadInputError(f"{source}: invalid YAML: {error}") from None


def load_yaml(path: Path) -> Any:
    """Read and parse one YAML file; a missing or unreadable file is bad input too."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(f"{path}: cannot read: {error}") from None
    return parse_yaml(text, str(path))
