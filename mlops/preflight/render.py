"""Render installs with the real tools: `helm template` as `helm install` would see the chart,
and kustomize (`kubectl kustomize`) on the remote tree a `kustomize.v2.Directory` names."""

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlops.preflight.installs import HelmInstall
from mlops.preflight.objects import load_all

Manifest = dict[str, Any]
TIMEOUT_SECONDS = 300


class RenderError(Exception):
    """The tool refused: its last lines say why."""


@dataclass(frozen=True)
class HelmRenderer:
    """`helm template` of one chart with fixed settings; `render` takes the values to try."""

    helm: Path
    chart: Path
    install: HelmInstall
    kube_version: str  # the stack's Kubernetes version, for `.Capabilities.KubeVersion`
    api_versions: tuple[str, ...] = ()  # CRD API groups already installed when this one is

    def render(self, values: Mapping[str, Any]) -> str:
        """The chart as `helm install` renders it (values checked against the chart's schema),
        with the CRDs of its crds/ folder, which `helm install` creates first."""
        return self._template(values, ("--include-crds",))

    def probe(self, values: Mapping[str, Any]) -> str:
        """The chart's templates rendered with values changed on purpose: the chart's values
        schema is not applied (a marker is rarely a valid enum or quantity), and the crds/
        folder, which values do not change, is left out."""
        return self._template(values, ("--skip-schema-validation",))

    def _template(self, values: Mapping[str, Any], extra: tuple[str, ...]) -> str:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8") as handle:
            yaml.safe_dump(dict(values), handle, sort_keys=False)
            handle.flush()
            command = [
                str(self.helm),
                "template",
                self.install.name,
                str(self.chart),
                "--namespace",
                self.install.namespace,
                "--values",
                handle.name,
                "--kube-version",
                self.kube_version,
                "--skip-tests",  # test hooks run only with `helm test`
                *extra,
            ]
            for api_version in self.api_versions:
                command += ["--api-versions", api_version]
            return _run(command, os.environ)


def kustomize(kubectl: Path, url: str, git_cache: Path | None) -> str:
    """Build a remote kustomize tree. With a local Git cache, every `https://github.com/...`
    the tree (or a remote base of it) names is read from the cache through git's insteadOf."""
    env = dict(os.environ)
    if git_cache is not None:
        env |= {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"url.file://{git_cache.resolve()}/github.com/.insteadOf",
            "GIT_CONFIG_VALUE_0": "https://github.com/",
        }
    return _run([str(kubectl), "kustomize", url], env)


def _run(command: list[str], env: Mapping[str, str]) -> str:
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RenderError(f"{command[1]} did not finish within {TIMEOUT_SECONDS} s") from error
    if result.returncode != 0:
        raise RenderError(" ".join(result.stderr.strip().splitlines()[-6:]))
    return result.stdout


def documents(text: str) -> list[Manifest]:
    """The objects of a rendered stream (empty documents and `List` wrappers resolved)."""
    objects: list[Manifest] = []
    for document in load_all(text):
        if not isinstance(document, dict):
            continue
        if document.get("kind", "").endswith("List") and "items" in document:
            objects += [item for item in document["items"] if isinstance(item, dict)]
        else:
            objects.append(document)
    return objects


def api_groups_of_crds(objects: Iterable[Manifest]) -> list[str]:
    """`group/version/Kind` and `group/version` of every CRD among `objects`, as `--api-versions`
    takes them (what `.Capabilities.APIVersions.Has` sees once the CRD exists)."""
    result: list[str] = []
    for crd in objects:
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd.get("spec") or {}
        for version in spec.get("versions") or []:
            group_version = f"{spec.get('group')}/{version.get('name')}"
            result += [group_version, f"{group_version}/{(spec.get('names') or {}).get('kind')}"]
    return result
