"""Argo CD's bootstrap objects per environment: the AppProject that fences what may be synced,
and the root ApplicationSet that points Argo CD at the environment's rendered manifests.

`mlops render` writes them to `gitops/argocd/<env>/`; Pulumi (components/argocd.py) applies
them with `argocd_objects(env)`. They are not synced by Argo CD itself, so an Application can
never widen its own project. Sync behaviour comes from the stack's `gitops` settings: without
`automated_sync` the project carries an always-open deny window that still allows manual sync,
so automation cannot be switched on from Git alone.
"""

import re
from pathlib import Path
from typing import Any

from mlops.config.namespaces import NAMESPACES
from mlops.errors import BadInputError, CheckFailedError
from mlops.gitops.environment import IN_CLUSTER, Environment, load_environment
from mlops.gitops.manifests import RENDERED_KINDS
from mlops.manifests.schema import validation_errors
from mlops.repository import REPO_ROOT
from mlops.yamlio import load_yaml

ARGO_API = "argoproj.io/v1alpha1"
BOOTSTRAP_FILES = ("project.yaml", "root.yaml")
RENDERED_DIR = "rendered"
# Always open: a window starts every minute and lasts an hour.
DENY_ALWAYS = {"schedule": "* * * * *", "duration": "1h"}


def allowed_namespaces() -> list[str]:
    """Where Applications of the project may deploy: the serving namespace, the evidence
    collector's and the analytics plane."""
    analytics = [ns.name for ns in NAMESPACES.values() if ns.plane == "analytics"]
    return sorted({NAMESPACES["models"].name, NAMESPACES["collector"].name, *analytics})


def project_name(env: Environment) -> str:
    return f"mlops-{env.name}"


def app_project(env: Environment) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "description": f"Model releases of environment {env.name}: namespaced kinds only, "
        "from this repository, into this cluster.",
        "sourceRepos": [env.gitops.repo_url],
        "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in allowed_namespaces()],
        "clusterResourceWhitelist": [],
        "clusterResourceBlacklist": [{"group": "*", "kind": "*"}],
        "namespaceResourceWhitelist": [
            {"group": group, "kind": kind} for group, kind in RENDERED_KINDS
        ],
        "orphanedResources": {"warn": True},
    }
    if not env.gitops.automated_sync:
        spec["syncWindows"] = [
            {
                "kind": "deny",
                **DENY_ALWAYS,
                "applications": ["*"],
                "manualSync": True,
                "timeZone": "UTC",
                "description": "Automated sync is off in this environment: a person syncs "
                "after the promotion pull request merges.",
            }
        ]
    return {
        "apiVersion": ARGO_API,
        "kind": "AppProject",
        "metadata": {"name": project_name(env), "namespace": env.argocd_namespace},
        "spec": spec,
    }


def application_set(env: Environment) -> dict[str, Any]:
    sync: dict[str, Any] = {"syncOptions": ["PruneLast=true"]}
    if env.gitops.automated_sync:
        sync["automated"] = {"prune": env.gitops.prune, "selfHeal": env.gitops.self_heal}
    element = {
        "environment": env.name,
        "namespace": NAMESPACES["models"].name,
        "path": f"{env.release_dir}/{RENDERED_DIR}",
        "project": project_name(env),
    }
    return {
        "apiVersion": ARGO_API,
        "kind": "ApplicationSet",
        "metadata": {"name": f"mlops-{env.name}", "namespace": env.argocd_namespace},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": [element]}}],
            "syncPolicy": {"preserveResourcesOnDeletion": not env.gitops.prune},
            "template": {
                "metadata": {
                    "name": "models-{{.environment}}",
                    "labels": {"mlops.platform/environment": "{{.environment}}"},
                },
                "spec": {
                    "project": "{{.project}}",
                    "source": {
                        "repoURL": env.gitops.repo_url,
                        "targetRevision": env.gitops.target_revision,
                        "path": "{{.path}}",
                        "directory": {"recurse": True},
                    },
                    "destination": {"server": IN_CLUSTER, "namespace": "{{.namespace}}"},
                    "syncPolicy": sync,
                },
            },
        },
    }


def bootstrap_objects(env: Environment) -> dict[str, dict[str, Any]]:
    """File name -> object, as `mlops render` writes them."""
    return {"project.yaml": app_project(env), "root.yaml": application_set(env)}


def argocd_objects(env: str, root: Path = REPO_ROOT) -> list[dict[str, Any]]:
    """The committed bootstrap objects of one stack, for Pulumi to apply: read strictly,
    schema-validated, and refused when they no longer match what `mlops render` would write."""
    environment = load_environment(root, env)
    expected = bootstrap_objects(environment)
    objects: list[dict[str, Any]] = []
    for file_name in BOOTSTRAP_FILES:
        path = root / "gitops" / "argocd" / env / file_name
        obj = load_yaml(path)
        if not isinstance(obj, dict):
            raise BadInputError(f"{path}: must hold one Kubernetes object")
        problems = validation_errors(obj)
        if problems:
            raise BadInputError(f"{path}: " + "; ".join(problems))
        if obj != expected[file_name]:
            raise CheckFailedError(f"{path}: stale; run `mlops render --env {env}`")
        objects.append(obj)
    return objects


_REFERENCE = re.compile(r"\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def generated_applications(appset: dict[str, Any]) -> list[dict[str, Any]]:
    """Evaluate an ApplicationSet the way its controller would, for the subset used here: list
    generators and goTemplate `{{.key}}` references with missingkey=error."""
    spec = appset["spec"]
    if not spec.get("goTemplate"):
        raise BadInputError(f"ApplicationSet {appset['metadata']['name']}: goTemplate required")
    applications = []
    for generator in spec["generators"]:
        if set(generator) != {"list"}:
            raise BadInputError(f"unsupported generator {sorted(generator)}; allowed: list")
        for element in generator["list"]["elements"]:
            app = _substitute(spec["template"], element)
            applications.append(
                {"apiVersion": ARGO_API, "kind": "Application", **app}
                | {"metadata": {**app["metadata"], "namespace": appset["metadata"]["namespace"]}}
            )
    return applications


def _substitute(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _substitute(item, params) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, params) for item in value]
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            if match.group(1) not in params:
                raise BadInputError(f"template references missing key {match.group(1)!r}")
            return str(params[match.group(1)])

        return _REFERENCE.sub(lookup, value)
    return value
