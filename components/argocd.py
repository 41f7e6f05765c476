"""Argo CD, bootstrapped: the chart, then the environment's AppProject and root ApplicationSet
exactly as committed under `gitops/argocd/<stack>/` (`mlops.gitops.bootstrap.argocd_objects`), so
what fences Git's reach is itself reviewed in Git and rendered from the stack's gitops settings.

The project admits only this repository, only this cluster's analytics and serving namespaces,
only the namespaced kinds `gitops/` holds, and no cluster-scoped kind at all: a promotion PR can
change a model's serving, never the platform. Sync is automatic only where the stack says so;
prod syncs by hand (a deny sync window with manual sync allowed) and warns about orphans.

Users sign in twice over the same identity provider: the gateway admits the UI's groups,
and Argo CD's own OIDC login records who synced what (its audit trail) and maps the identity
provider's groups to Argo CD roles. The built-in admin is disabled.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.helm import pinned_release
from mlops.config.model import (
    AccessConfig,
    AuthConfig,
    ChartVersions,
    ExposureConfig,
    Replicas,
)
from mlops.config.namespaces import NAMESPACES

OIDC_SECRET = "argocd-oidc"
# The chart's server Service (release `argo-cd`; the chart's fullname is the release name), port 80.
SERVER_SERVICE = "argo-cd-server"
# Argo CD roles of the platform roles: who may sync the environment's applications.
DEPLOYERS = ("ml-engineer", "ci")
READERS = ("data-scientist", "auditor")


@dataclass(frozen=True)
class ArgoCdArgs:
    bootstrap: Sequence[Mapping[str, Any]]  # argocd_objects(stack): AppProject, ApplicationSet
    replicas: Replicas  # argo_cd_server
    charts: ChartVersions  # argo_cd
    exposure: ExposureConfig  # hosts.argo_cd, tls
    auth: AuthConfig  # Argo CD's own OIDC login
    access: AccessConfig  # groups mapped to Argo CD roles
    oidc_client_secret: pulumi.Input[str]  # a Pulumi secret (stack config)


class ArgoCd(pulumi.ComponentResource):
    """The Argo CD chart, the environment's AppProject and its root Application."""

    url: str
    project_name: str
    application_set_name: str

    def __init__(
        self, name: str, args: ArgoCdArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:argocd:ArgoCd", name, None, opts)
        self._args = args
        self._namespace = NAMESPACES["argocd"].name
        names = {obj["kind"]: obj["metadata"]["name"] for obj in args.bootstrap}
        self.project_name = names["AppProject"]
        self.application_set_name = names["ApplicationSet"]
        scheme = "https" if args.exposure.tls else "http"
        self.url = f"{scheme}://{args.exposure.hosts.argo_cd}"
        child = pulumi.ResourceOptions(parent=self)

        oidc = k8s.core.v1.Secret(
            OIDC_SECRET,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=OIDC_SECRET,
                namespace=self._namespace,
                labels={"app.kubernetes.io/part-of": "argocd"},  # Argo CD reads only these
            ),
            type="Opaque",
            string_data={"clientSecret": pulumi.Output.secret(args.oidc_client_secret)},
            opts=child,
        )
        self.release = pinned_release(
            "argo-cd",
            args.charts.argo_cd,
            self._namespace,
            self._values(),
            pulumi.ResourceOptions(parent=self, depends_on=[oidc]),
        )
        depends_on: list[pulumi.Resource] = [self.release]
        for obj in args.bootstrap:  # the project first: the ApplicationSet names it
            depends_on = [
                k8s.apiextensions.CustomResource(
                    f"{obj['kind'].lower()}-{obj['metadata']['name']}",
                    api_version=obj["apiVersion"],
                    kind=obj["kind"],
                    metadata=k8s.meta.v1.ObjectMetaArgs(**obj["metadata"]),
                    spec=obj["spec"],
                    opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
                )
            ]
        self.register_outputs(
            {
                "url": self.url,
                "project_name": self.project_name,
                "application_set_name": self.application_set_name,
            }
        )

    def _values(self) -> dict[str, Any]:
        args = self._args
        host = args.exposure.hosts.argo_cd
        replicas = args.replicas.argo_cd_server
        restricted = {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        return {
            "global": {"domain": host},
            "crds": {"install": True, "keep": True},
            "dex": {"enabled": False},
            "configs": {
                # plain HTTP behind the gateway, which ends TLS (components/edge.py)
                "params": {"server.insecure": True},
                "cm": {
                    "url": self.url,
                    "admin.enabled": False,
                    "users.anonymous.enabled": False,
                    "exec.enabled": False,
                    "oidc.config": yaml.safe_dump(
                        {
                            "name": "SSO",
                            "issuer": args.auth.oidc_issuer_url,
                            "clientID": args.auth.oidc_client_id,
                            "clientSecret": f"${OIDC_SECRET}:clientSecret",
                            "requestedScopes": ["openid", "profile", "email"],
                        },
                        sort_keys=False,
                    ),
                },
                "rbac": {
                    "policy.default": "",
                    "policy.csv": self._rbac_policy(),
                    "scopes": "[groups]",
                },
            },
            "server": {
                "replicas": replicas,
                "pdb": {"enabled": replicas >= 2, "minAvailable": 1},
                "ingress": {"enabled": False},  # the gateway routes to it
                "resources": _resources("100m", "256Mi", "1", "512Mi"),
                "containerSecurityContext": restricted,
            },
            "controller": {
                "resources": _resources("250m", "512Mi", "2", "2Gi"),
                "containerSecurityContext": restricted,
            },
            "repoServer": {
                "resources": _resources("100m", "256Mi", "1", "1Gi"),
                "containerSecurityContext": restricted,
            },
            "applicationSet": {
                "resources": _resources("50m", "128Mi", "500m", "512Mi"),
                "containerSecurityContext": restricted,
            },
            "notifications": {"enabled": False},
            "redis": {"resources": _resources("50m", "64Mi", "500m", "256Mi")},
        }

    def _rbac_policy(self) -> str:
        """Deployers get and sync the environment's applications; readers only look."""
        project = self.project_name
        groups = self._args.access.groups
        lines = [
            f"p, role:deployer, applications, get, {project}/*, allow",
            f"p, role:deployer, applications, sync, {project}/*, allow",
            f"p, role:deployer, projects, get, {project}, allow",
        ]
        lines += [f"g, {groups[role]}, role:deployer" for role in DEPLOYERS if role in groups]
        lines += [f"g, {groups[role]}, role:readonly" for role in READERS if role in groups]
        return "\n".join(lines) + "\n"


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }
