"""Preflight of one stack: plan it offline, render every install with the real tools in the
order `pulumi up` creates them, and run every check over the result."""

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.config.model import StackConfig
from mlops.plan.runner import plan_stack
from mlops.preflight import checks, render, trees
from mlops.preflight.charts import missing_tree, resolve_charts
from mlops.preflight.declared import is_kubernetes_object, is_patch, manifest_of
from mlops.preflight.findings import Finding
from mlops.preflight.installs import (
    HelmInstall,
    Install,
    KustomizeInstall,
    StackInstalls,
    read_installs,
)
from mlops.preflight.objects import Rendered, is_crds_dir, split_sources, without_crds_dir
from mlops.preflight.references import referenced_paths
from mlops.preflight.values import ineffective_keys


@dataclass(frozen=True)
class Tools:
    helm: Path  # Helm 3, the major version pulumi-kubernetes' Release embeds
    kubectl: Path  # its kustomize builds the trees


@dataclass
class Report:
    stack: str
    installs: list[str]
    findings: list[Finding] = field(default_factory=list)
    # the objects in the order `pulumi up` creates them: each wave after the ones before it
    waves: list[list[Rendered]] = field(default_factory=list, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "installs": self.installs,
            "findings": [f.as_json() for f in sorted(self.findings)],
        }


def preflight(
    stack: str,
    config: StackConfig,
    charts: Path,
    tools: Tools,
    workers: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Report:
    """Every finding for the stack (an empty list: nothing to report)."""
    workers = workers or len(os.sched_getaffinity(0))
    transforms: dict[str, list[Any]] = {}
    plan = plan_stack(stack, config, transforms)
    installs = read_installs(plan)
    helm_installs = [i for i in installs.installs if isinstance(i, HelmInstall)]
    chart_paths = resolve_charts(charts, helm_installs, tools.helm)
    report = Report(stack, [i.name for i in installs.installs])
    kube_version = f"{config.kubernetes_version}.0"
    rendered: dict[str, list[Rendered]] = {}

    def render_one(install: Install) -> None:
        progress(install.name)
        try:
            if isinstance(install, HelmInstall):
                api_versions = tuple(_api_versions(install, installs, rendered))
                renderer = render.HelmRenderer(
                    tools.helm, chart_paths[install.name], install, kube_version, api_versions
                )
                rendered[install.name], findings = _render_release(renderer, workers)
                report.findings.extend(findings)
            else:
                rendered[install.name] = _render_tree(install, tools, charts, transforms)
        except render.RenderError as error:
            rendered[install.name] = []
            report.findings.append(Finding(install.name, "render", install.name, str(error)))

    waves = _waves(installs)
    for wave in waves:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(render_one, wave))
    declared = _pulumi_objects(installs)
    namespaces = [o for o in declared if o.kind == "Namespace"]
    report.waves = [
        namespaces,
        *([o for i in wave for o in rendered.get(i.name, [])] for wave in waves),
        [o for o in declared if o.kind != "Namespace"],
    ]
    objects = [o for install in installs.installs for o in rendered.get(install.name, [])]
    objects += declared
    report.findings += _checks(objects, installs, config)
    return report


def _checks(objects: list[Rendered], installs: StackInstalls, config: StackConfig) -> list[Finding]:
    crds = checks.CrdIndex(objects)
    return [
        *checks.check_schemas(objects, crds),
        *checks.check_pod_security(objects, installs.enforce_levels),
        *checks.check_crd_order(objects, crds, installs),
        *checks.check_install_steps(objects, crds),
        *checks.check_registries(objects, config.allowed_registries),
        *checks.check_load_balancers(objects, config.cloud.mode == "aws"),
    ]


def _waves(installs: StackInstalls) -> list[list[Install]]:
    """Installs grouped so that each one comes after every install it waits for."""
    remaining = list(installs.installs)
    waves: list[list[Install]] = []
    while remaining:
        ready = [
            i for i in remaining
            if not any(installs.waits_for(i.urn, o.urn) for o in remaining if o is not i)
        ]  # fmt: skip
        ready = ready or remaining  # a cycle (pulumi refuses it): render the rest together
        waves.append(ready)
        remaining = [i for i in remaining if i not in ready]
    return waves


def _api_versions(
    install: HelmInstall, installs: StackInstalls, rendered: dict[str, list[Rendered]]
) -> list[str]:
    """The CRD API versions present when the release is installed: those of the installs it
    waits for (what `.Capabilities.APIVersions.Has` finds on the cluster then)."""
    earlier = [
        o.manifest
        for other in installs.installs
        if installs.waits_for(install.urn, other.urn)
        for o in rendered.get(other.name, [])
    ]
    return render.api_groups_of_crds(earlier)


def _render_release(
    renderer: render.HelmRenderer, workers: int
) -> tuple[list[Rendered], list[Finding]]:
    """The release's objects, and a finding for each values key that changes nothing."""
    install = renderer.install
    text = renderer.render(install.values)
    keys = ineffective_keys(
        install.chart,
        install.values,
        without_crds_dir(text),
        renderer.probe,
        workers,
        frozenset(referenced_paths(renderer.chart)),
    )
    findings = [
        Finding(install.name, "values", key, "changes nothing in the rendered chart")
        for key in keys
    ]
    return _helm_objects(install, text), findings


def _render_tree(
    install: KustomizeInstall,
    tools: Tools,
    charts: Path,
    transforms: dict[str, list[Any]],
) -> list[Rendered]:
    """The tree's objects after the transforms the program gives its Directory. Its Git
    repositories come from `charts/git` when that exists (see mlops.preflight.charts)."""
    git_cache = charts / "git" if (charts / "git").is_dir() else None
    try:
        text = render.kustomize(tools.kubectl, install.url, git_cache)
    except render.RenderError as error:
        raise missing_tree(charts, str(error)) or error from None
    objects = trees.transformed(
        render.documents(text), transforms.get(install.urn, []), install.name
    )
    return [Rendered(install.name, install.urn, install.namespace, o) for o in objects]


def _helm_objects(install: HelmInstall, text: str) -> list[Rendered]:
    return [
        Rendered(install.name, install.urn, install.namespace, manifest, is_crds_dir(source))
        for manifest, source in split_sources(text)
    ]


def _pulumi_objects(installs: StackInstalls) -> list[Rendered]:
    """The Kubernetes objects the program declares itself (patches are partial: left out)."""
    return [
        Rendered(r.name, r.urn, "default", manifest_of(r))
        for r in installs.resources
        if is_kubernetes_object(r) and not is_patch(r)
    ]


__all__ = ["KustomizeInstall", "Report", "Tools", "preflight"]
