"""Values keys the project sets that change nothing in what a chart renders (Helm ignores keys a
chart does not read, silently).

Each key is changed and the chart rendered again: a key whose change leaves the output as it was
is reported. To keep that to few renders, one render first changes every string and integer at
once into a recognisable marker; a key whose marker shows up in the output (or in a Secret's
base64 data) is read. Only the keys left over (booleans, lists, markers nowhere to be seen) are
changed one at a time. Parts of the output that differ between two renders of the same values
(generated passwords and certificates, their checksums) are left out of every comparison.
"""

import base64
import binascii
import copy
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mlops.preflight.objects import load_all
from mlops.preflight.render import RenderError, documents

Path = tuple[str, ...]
Render = Callable[[dict[str, Any]], str]

# Maps whose contents a chart passes on whole to the program it installs, which reads them at
# run time; where the chart stores them only next to generated secrets, a change to one entry
# cannot be seen in the rendered output. The one list of such maps: (chart, values path).
FREE_FORM_MAPS: tuple[tuple[str, Path], ...] = (
    # JupyterHub reads hub.config from the chart's values Secret, beside its generated secrets
    ("jupyterhub", ("hub", "config")),
)
MARKER = re.compile(r"pfm(\d+)q")
INTEGER_MARKER_BASE = 917_000_000


@dataclass(frozen=True)
class Leaf:
    path: Path
    value: Any

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def leaves(values: dict[str, Any], prefix: Path = ()) -> Iterator[Leaf]:
    """Every value the project sets: scalars, lists (one unit) and empty maps."""
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and value:
            yield from leaves(value, path)
        else:
            yield Leaf(path, value)


def free_form(chart: str, path: Path) -> bool:
    return any(chart == name and path[: len(prefix)] == prefix for name, prefix in FREE_FORM_MAPS)


def ineffective_keys(
    chart: str,
    values: dict[str, Any],
    first: str,
    render: Render,
    workers: int,
    referenced: frozenset[Path] = frozenset(),
) -> list[str]:
    """The dotted keys of `values` whose change leaves the rendered output unchanged. `first`
    is the chart rendered with `values`; `render` renders it with other values (without its
    values schema: see HelmRenderer). A boolean or number at a path the templates name in full
    (`referenced`) counts as read without a render of its own."""
    values = _unshared(values)
    candidates = [leaf for leaf in leaves(values) if not free_form(chart, leaf.path)]
    if not candidates:
        return []
    baseline = _Output(first, render(values))
    read = _read_by_marker(values, [c for c in candidates if _markable(c.value)], render)
    rest = [
        leaf
        for leaf in candidates
        if leaf.path not in read
        and not (leaf.path in referenced and isinstance(leaf.value, bool | int | float))
    ]

    def unchanged(leaf: Leaf) -> bool:
        try:
            output = render(_set(values, leaf.path, _changed(leaf.value)))
        except RenderError:
            return False  # the chart reads the key: another value makes it fail
        return baseline.same_as(output)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        verdicts = list(pool.map(unchanged, rest))
    return [leaf.dotted for leaf, same in zip(rest, verdicts, strict=True) if same]


def _unshared(value: Any) -> Any:
    """A copy in which no map or list appears twice (components reuse one dict for several
    keys; a change at one key must not show up at the others)."""
    if isinstance(value, dict):
        return {key: _unshared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unshared(item) for item in value]
    return value


def _markable(value: Any) -> bool:
    """Scalars, and lists holding some: each can carry a marker that shows where it lands."""
    if isinstance(value, list):
        return any(_markable(item) for item in value)
    if isinstance(value, dict):
        return any(_markable(item) for item in value.values())
    return isinstance(value, str | int)  # booleans too: a marker string in place of one


class _Markers:
    """Hands out markers and remembers which leaf each belongs to."""

    def __init__(self) -> None:
        self.owner: dict[int, Path] = {}

    def mark(self, value: Any, path: Path) -> Any:
        """The value with every scalar in it replaced by a marker of the leaf at `path`."""
        if isinstance(value, list):
            return [self.mark(item, path) for item in value]
        if isinstance(value, dict):
            return {key: self.mark(item, path) for key, item in value.items()}
        if not isinstance(value, str | int):
            return value
        index = len(self.owner)
        self.owner[index] = path
        if isinstance(value, int) and not isinstance(value, bool):
            return INTEGER_MARKER_BASE + index  # templates do arithmetic and comparisons on these
        return f"{value}pfm{index}q" if isinstance(value, str) else f"pfm{index}q"


def _read_by_marker(values: dict[str, Any], group: list[Leaf], render: Render) -> set[Path]:
    """The keys among `group` whose marker appears in the output. A render the markers break
    is split in halves until the key that breaks it is found (left for one-at-a-time)."""
    if not group:
        return set()
    markers = _Markers()
    marked = values
    for leaf in group:
        marked = _set(marked, leaf.path, markers.mark(leaf.value, leaf.path))
    try:
        output = render(marked)
    except RenderError:
        if len(group) == 1:
            return set()
        half = len(group) // 2
        return _read_by_marker(values, group[:half], render) | _read_by_marker(
            values, group[half:], render
        )
    text = _searchable(output)
    found = {int(match) for match in MARKER.findall(text)}
    found |= {index for index in markers.owner if str(INTEGER_MARKER_BASE + index) in text}
    return {markers.owner[index] for index in found if index in markers.owner}


def _searchable(output: str) -> str:
    """The output and the decoded data of its Secrets (charts base64-encode what they store)."""
    parts = [output]
    if "kind: Secret" not in output:
        return output
    for item in documents(output):
        if item.get("kind") == "Secret":
            for encoded in (item.get("data") or {}).values():
                try:
                    parts.append(base64.b64decode(str(encoded)).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    continue
    return "\n".join(parts)


def _changed(value: Any) -> Any:
    """Another value of the same shape (null, which removes a chart default, becomes a value)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return f"{value}-changed"
    if isinstance(value, list):
        return value[:-1] if value else ["changed"]
    return {"changed": "changed"} if isinstance(value, dict) else "changed"


def _set(values: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    result = copy.deepcopy(values)
    node = result
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return result


class _Output:
    """A rendered output to compare others with, leaving out what differs between two renders
    of the same values (whole documents are compared first: flattening is only for those)."""

    def __init__(self, first: str, second: str) -> None:
        self.documents = load_all(first)
        again = load_all(second)
        self.volatile: dict[int, set[tuple[str, ...]]] = {}
        for index, (one, two) in enumerate(zip(self.documents, again, strict=False)):
            if one != two:
                flat_one, flat_two = _flatten(one), _flatten(two)
                self.volatile[index] = {
                    path for path in flat_one.keys() | flat_two.keys()
                    if flat_one.get(path) != flat_two.get(path)
                }  # fmt: skip

    def same_as(self, output: str) -> bool:
        documents = load_all(output)
        if len(documents) != len(self.documents):
            return False
        for index, (mine, theirs) in enumerate(zip(self.documents, documents, strict=True)):
            if mine == theirs:
                continue
            volatile = self.volatile.get(index)
            if volatile is None:
                return False
            stable_mine = {p: v for p, v in _flatten(mine).items() if p not in volatile}
            stable_theirs = {p: v for p, v in _flatten(theirs).items() if p not in volatile}
            if stable_mine != stable_theirs:
                return False
        return True


def _flatten(document: Any) -> dict[tuple[str, ...], Any]:
    flat: dict[tuple[str, ...], Any] = {}
    _walk(document, (), flat)
    return flat


def _walk(node: Any, path: tuple[str, ...], flat: dict[tuple[str, ...], Any]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _walk(value, (*path, str(key)), flat)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, (*path, str(index)), flat)
    else:
        flat[path] = node
