"""The one way this project reads YAML it did not write: safe, size-bounded (checked before the
file is read), no aliases, no duplicate keys, at most `MAX_DEPTH` levels deep, keys read as strings.

Stack files, release descriptors, gate definitions and questionnaires are all user input, so a
hostile file (an alias bomb, a duplicated key that silently overrides, a huge or deeply nested
document, a complex or non-string key) must become a BadInputError naming the file, never a
hang, a traceback or a silent surprise.
"""

from pathlib import Path
from typing import Any

import yaml

from mlops.errors import BadInputError
from mlops.inputs import MAX_DEPTH, MAX_DOCUMENT_BYTES, read_text

MAX_YAML_BYTES = MAX_DOCUMENT_BYTES


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases, nesting beyond MAX_DEPTH, duplicate keys and keys
    that are lists or mappings; every key is read as a string."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"nested deeper than {MAX_DEPTH} levels",
                problem_mark=self.peek_event().start_mark,
            )
        self.depth += 1
        try:
            return self._compose_node(parent, index)
        finally:
            self.depth -= 1

    def _compose_node(self, parent: Any, index: Any) -> Any:
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
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(
                    problem="a mapping key must be a plain string, not a list or mapping",
                    problem_mark=key_node.start_mark,
                )
            # a key is the text written: `on:`, `1:` and `2024-01-01:` are strings, so keys
            # never mix types (YAML 1.1 would read `on` as true)
            key_node.tag = "tag:yaml.org,2002:str"
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
    except RecursionError:
        raise BadInputError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    except yaml.MarkedYAMLError as error:
        where = ""
        mark = error.problem_mark
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = " ".join(str(error.problem).split())
        raise BadInputError(f"{source}: invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as error:
        raise BadInputError(f"{source}: invalid YAML: {' '.join(str(error).split())}") from None


def load_yaml(path: Path) -> Any:
    """Read (size checked first) and parse one YAML file; a missing, unreadable or non-UTF-8
    file is bad input too."""
    return parse_yaml(read_text(path, MAX_YAML_BYTES, "YAML file"), str(path))
