"""The chart cache preflight reads: a `helm pull` folder.

    DIR/<chart>-<version>.tgz            what `helm pull <chart> --version <version> -d DIR` writes
    DIR/git/<host>/<owner>/<repository>  optional: Git repositories kustomize fetches (the trees'
                                          own and their remote bases), for machines without
                                          internet; without it kustomize fetches them itself

A chart missing from the folder is pulled into it when the machine is online; what still misses
stops preflight (exit 2) with the command that fetches it: never a silent pass.
"""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlops.errors import BadInputError
from mlops.preflight.installs import HelmInstall


@dataclass(frozen=True)
class MissingChart:
    install: HelmInstall

    def pull_command(self, cache: Path) -> str:
        install = self.install
        if install.repository.startswith("oci://"):
            source = f"{install.repository}/{install.chart}"
        else:
            source = f"{install.chart} --repo {install.repository}"
        return f"helm pull {source} --version {install.version} -d {cache}"


class MissingChartsError(BadInputError):
    """Charts the stack installs are neither in the cache nor pullable here."""


def chart_path(cache: Path, install: HelmInstall) -> Path | None:
    """The cached archive (or unpacked folder) of the release's chart at its pinned version.
    `helm pull` names the file after the version in the chart, with or without a leading `v`."""
    bare = install.version.removeprefix("v")
    for version in dict.fromkeys((install.version, bare, f"v{bare}")):
        for candidate in (
            cache / f"{install.chart}-{version}.tgz",
            cache / f"{install.chart}-{version}",
        ):
            if candidate.exists():
                return candidate
    return None


def resolve_charts(cache: Path, installs: list[HelmInstall], helm: Path) -> dict[str, Path]:
    """Every release's chart from the cache, pulling the missing ones when online."""
    found: dict[str, Path] = {}
    missing: list[MissingChart] = []
    for install in installs:
        path = chart_path(cache, install) or _pull(cache, install, helm)
        if path is None:
            missing.append(MissingChart(install))
        else:
            found[install.name] = path
    if missing:
        raise MissingChartsError(missing_message(cache, missing))
    return found


def missing_message(cache: Path, missing: list[MissingChart]) -> str:
    lines = [
        f"{len(missing)} chart(s) the stack installs are not in {cache} and could not be "
        "pulled (offline?); fetch them on a machine with internet and copy the files there:"
    ]
    lines += [
        f"  {m.install.chart} {m.install.version} (release {m.install.name}): {m.pull_command(cache)}"
        for m in missing
    ]
    return "\n".join(lines)


def _pull(cache: Path, install: HelmInstall, helm: Path) -> Path | None:
    cache.mkdir(parents=True, exist_ok=True)
    command = MissingChart(install).pull_command(cache).split()
    result = subprocess.run(
        [str(helm), *command[1:]], capture_output=True, text=True, check=False, timeout=120
    )
    return chart_path(cache, install) if result.returncode == 0 else None


class MissingTreeError(BadInputError):
    """A Git repository a kustomize tree (or a remote base of it) names cannot be fetched."""


FETCH_FAILURE = re.compile(r"git fetch --depth=1 (https://github\.com/\S+?)(?:\.git)? (\S+?)'")


def missing_tree(cache: Path, error: str) -> MissingTreeError | None:
    """The missing repository a failed kustomize build names, with how to provide it."""
    match = FETCH_FAILURE.search(error)
    if match is None:
        return None
    url, ref = match.groups()
    target = cache / "git" / url.removeprefix("https://")
    return MissingTreeError(
        f"kustomize cannot fetch {url} at {ref} (offline?); on a machine with internet run "
        f"`git clone --mirror {url} {target}` and copy it to {target} (docs/preflight.md)"
    )
