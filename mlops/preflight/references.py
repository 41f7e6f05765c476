"""The values paths a chart's templates (and files it renders with `tpl`) name in full (`.Values.a.b`), read from the chart
archive: a boolean or number at such a path is read by the chart, without a render to prove it.
Subcharts' paths are placed under their key in the parent (the alias, or the chart's name);
`global` stays global; the `condition`s of dependencies count too."""

import re
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import yaml

ValuesPath = tuple[str, ...]
REFERENCE = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def referenced_paths(chart: Path) -> set[ValuesPath]:
    files = dict(_files(chart))
    roots = sorted({PurePosixPath(name).parts[0] for name in files})
    return _chart_paths(files, PurePosixPath(roots[0]), ()) if roots else set()


def _files(chart: Path) -> Iterator[tuple[str, str]]:
    if chart.is_dir():
        for path in chart.rglob("*"):
            if path.is_file() and path.suffix in (".yaml", ".yml", ".tpl", ".txt"):
                relative = PurePosixPath(chart.name) / path.relative_to(chart).as_posix()
                yield str(relative), path.read_text(encoding="utf-8", errors="replace")
        return
    with tarfile.open(chart) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.endswith((".yaml", ".yml", ".tpl", ".txt")):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read().decode("utf-8", errors="replace")


def _chart_paths(files: dict[str, str], root: PurePosixPath, prefix: ValuesPath) -> set[ValuesPath]:
    found: set[ValuesPath] = set()
    own = f"{root}/"
    for name, text in files.items():
        # templates, and files they render with `tpl` (anything of the chart but its subcharts)
        if name.startswith(own) and not name.startswith(f"{root}/charts/"):
            for match in REFERENCE.finditer(text):
                path = tuple(match.group(1).strip(".").split("."))
                found.add(path if path[0] == "global" else (*prefix, *path))
    metadata = yaml.safe_load(files.get(f"{root}/Chart.yaml", "")) or {}
    aliases = {}
    for dependency in metadata.get("dependencies") or []:
        aliases[dependency.get("name")] = dependency.get("alias") or dependency.get("name")
        for condition in str(dependency.get("condition") or "").split(","):
            if condition:
                found.add((*prefix, *condition.strip().split(".")))
    subcharts = {
        PurePosixPath(*PurePosixPath(name).parts[: len(root.parts) + 2])
        for name in files
        if name.startswith(f"{root}/charts/")
        and len(PurePosixPath(name).parts) > len(root.parts) + 2
    }
    for sub in subcharts:
        sub_metadata = yaml.safe_load(files.get(f"{sub}/Chart.yaml", "")) or {}
        key = aliases.get(sub_metadata.get("name"), sub_metadata.get("name", sub.name))
        found |= _chart_paths(files, sub, (*prefix, key))
    return found
