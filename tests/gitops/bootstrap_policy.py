"""The test oracle for the Argo CD bootstrap objects Pulumi is about to apply: the project's
fences, and the sync decision of the stack.

The decision for prod (documented in gitops/README.md): no automated sync and no automated
prune. It is expressed as data (`gitops.automated_sync: false`, `gitops.prune: false`) and
enforced twice: the Applications carry no `automated` block, and the AppProject has an
always-open deny window (manual sync allowed), so adding `automated` in Git changes nothing.
"""

from typing import Any

from mlops.config.model import GitOpsConfig
from mlops.gitops.bootstrap import DENY_ALWAYS, allowed_namespaces, generated_applications
from mlops.gitops.environment import IN_CLUSTER
from mlops.gitops.manifests import RENDERED_KINDS


def manual_sync_enforced(project: dict[str, Any]) -> bool:
    """True when the AppProject blocks automated sync of every Application at all times while
    still letting a person sync."""
    return any(
        window.get("kind") == "deny"
        and window.get("manualSync") is True
        and window.get("schedule") == DENY_ALWAYS["schedule"]
        and window.get("duration") == DENY_ALWAYS["duration"]
        and "*" in window.get("applications", [])
        for window in project.get("spec", {}).get("syncWindows", [])
    )


def bootstrap_violations(gitops: GitOpsConfig, objects: list[dict[str, Any]]) -> list[str]:
    """Every way the AppProject and ApplicationSet(s) break the fences or the sync decision."""
    projects = [obj for obj in objects if obj.get("kind") == "AppProject"]
    appsets = [obj for obj in objects if obj.get("kind") == "ApplicationSet"]
    if len(projects) != 1 or not appsets:
        return ["expected exactly one AppProject and at least one ApplicationSet"]
    project = projects[0]
    problems = _project_violations(gitops, project)
    if not gitops.automated_sync and not manual_sync_enforced(project):
        problems.append(
            "AppProject: automated sync is off for this stack, so the project needs an "
            "always-open deny sync window for applications '*' with manualSync: true"
        )
    for appset in appsets:
        if not gitops.prune and not appset["spec"].get("syncPolicy", {}).get(
            "preserveResourcesOnDeletion"
        ):
            problems.append(
                f"ApplicationSet {appset['metadata']['name']}: prune is off for this stack, "
                "so deleting the ApplicationSet must preserve resources"
            )
        for app in generated_applications(appset):
            problems += _application_violations(gitops, project, app)
    return problems


def _project_violations(gitops: GitOpsConfig, project: dict[str, Any]) -> list[str]:
    spec, problems = project["spec"], []
    if spec.get("sourceRepos") != [gitops.repo_url]:
        problems.append(f"AppProject: sourceRepos must be exactly [{gitops.repo_url}]")
    allowed = set(allowed_namespaces())
    for destination in spec.get("destinations", []):
        if destination.get("server") != IN_CLUSTER or destination.get("namespace") not in allowed:
            problems.append(
                f"AppProject: destination {destination} outside this cluster's "
                f"allowed namespaces ({', '.join(sorted(allowed))})"
            )
    if spec.get("clusterResourceWhitelist"):
        problems.append("AppProject: clusterResourceWhitelist must be empty (no cluster kinds)")
    if {"group": "*", "kind": "*"} not in spec.get("clusterResourceBlacklist", []):
        problems.append("AppProject: clusterResourceBlacklist must deny every cluster kind")
    allowed_kinds = {(group, kind) for group, kind in RENDERED_KINDS}
    for entry in spec.get("namespaceResourceWhitelist") or [{"group": "*", "kind": "*"}]:
        if (entry.get("group"), entry.get("kind")) not in allowed_kinds:
            problems.append(f"AppProject: namespaced kind {entry} is not one the renderer makes")
    return problems


def _application_violations(
    gitops: GitOpsConfig, project: dict[str, Any], app: dict[str, Any]
) -> list[str]:
    name, spec, problems = app["metadata"]["name"], app["spec"], []
    if spec.get("project") != project["metadata"]["name"]:
        problems.append(f"Application {name}: project must be {project['metadata']['name']}")
    if spec.get("source", {}).get("repoURL") != gitops.repo_url:
        problems.append(f"Application {name}: repoURL must be {gitops.repo_url}")
    automated = spec.get("syncPolicy", {}).get("automated")
    if automated is not None and not gitops.automated_sync:
        problems.append(f"Application {name}: automated sync is off for this stack")
    if automated is None and gitops.automated_sync:
        problems.append(f"Application {name}: this stack asks for automated sync")
    if automated and automated.get("prune") and not gitops.prune:
        problems.append(f"Application {name}: automated prune is off for this stack")
    return problems
