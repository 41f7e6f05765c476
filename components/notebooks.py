"""JupyterHub on the analytics plane: single sign-on through the organisation's OIDC provider,
servers that know where MLflow and the object store are, and idle servers culled."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.artifact_store import ACCESS_KEY, SECRET_KEY, ArtifactStore
from components.helm import pinned_release
from mlops.config import environment as settings
from mlops.config.model import AuthConfig, ChartPin, ExposureConfig, NotebooksConfig
from mlops.config.namespaces import NAMESPACES

RELEASE = "jupyterhub"
PUBLIC_SERVICE = "proxy-public"  # the chart's proxy Service, kept ClusterIP behind the Ingress
NOTEBOOK_ACCOUNT = "notebook-user"
OIDC_SECRET = "jupyterhub-oidc-client"  # a Secret in the notebooks namespace
IDLE_TIMEOUT_SECONDS = 3600
NOTEBOOK_UID = 1000
HUB_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "1Gi"},
}
PROXY_RESOURCES = {
    "requests": {"cpu": "50m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}
RESTRICTED = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class NotebooksArgs:
    chart: ChartPin  # charts.jupyterhub
    notebooks: NotebooksConfig  # notebooks (the caller builds this only when `enabled`)
    auth: AuthConfig  # auth: the OIDC issuer and client
    oidc_client_secret: pulumi.Input[str]  # the Pulumi secret `oidc_client_secret`
    exposure: ExposureConfig  # exposure (host: exposure.hosts.notebooks)
    mlflow_tracking_url: pulumi.Input[str]  # MlflowServer.tracking_url
    artifacts: ArtifactStore  # the bucket notebooks work with, from the object storage component


class Notebooks(pulumi.ComponentResource):
    """One JupyterHub; users sign in with the same identity as every other UI."""

    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: NotebooksArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:notebooks:Notebooks", name, None, opts)
        namespace = NAMESPACES["notebooks"].name
        account = k8s.core.v1.ServiceAccount(
            NOTEBOOK_ACCOUNT,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NOTEBOOK_ACCOUNT,
                namespace=namespace,
                annotations=args.artifacts.service_account_annotations(),
            ),
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # the client secret lives in a Kubernetes Secret, so the release values stay readable
        client_secret = k8s.core.v1.Secret(
            OIDC_SECRET,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=OIDC_SECRET, namespace=namespace),
            type="Opaque",
            string_data={"client-secret": pulumi.Output.secret(args.oidc_client_secret)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        pinned_release(
            RELEASE,
            args.chart,
            namespace,
            chart_values(args),
            pulumi.ResourceOptions(parent=self, depends_on=[account, client_secret]),
        )
        self.url = pulumi.Output.from_input(_public_url(args.exposure))
        self.register_outputs({"url": self.url})


def _public_url(exposure: ExposureConfig) -> str:
    return f"{'https' if exposure.tls else 'http'}://{exposure.hosts.notebooks}"


def chart_values(args: NotebooksArgs) -> dict[str, Any]:
    """Values of the z2jh `jupyterhub` chart (4.x keys; checked against its values schema)."""
    return {
        "hub": {
            "config": {
                "JupyterHub": {"authenticator_class": "generic-oauth"},
                "GenericOAuthenticator": {
                    "client_id": args.auth.oidc_client_id,
                    "oauth_callback_url": f"{_public_url(args.exposure)}/hub/oauth_callback",
                    "authorize_url": args.auth.authorize_url,
                    "token_url": args.auth.token_url,
                    "userdata_url": args.auth.userinfo_url,
                    "scope": ["openid", "email", "profile"],
                    "username_claim": "email",
                    # the gateway in front admits only the groups edge.routes.notebooks names
                    "allow_all": True,
                },
                "KubeSpawner": {
                    "container_security_context": {
                        **RESTRICTED,
                        "runAsUser": NOTEBOOK_UID,
                    },
                    "automount_service_account_token": False,
                },
            },
            # OAuthenticator reads its client secret from this variable
            "extraEnv": {
                "OAUTH_CLIENT_SECRET": {
                    "valueFrom": {"secretKeyRef": {"name": OIDC_SECRET, "key": "client-secret"}}
                }
            },
            "resources": HUB_RESOURCES,
            "containerSecurityContext": {**RESTRICTED, "runAsUser": 1000, "runAsGroup": 1000},
            "podSecurityContext": {
                "fsGroup": 1000,
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        },
        "proxy": {
            "service": {"type": "ClusterIP"},
            "https": {"enabled": False},  # TLS ends at the gateway
            "chp": {
                "resources": PROXY_RESOURCES,
                "containerSecurityContext": {**RESTRICTED, "runAsUser": 65534},
            },
        },
        "singleuser": {
            "uid": NOTEBOOK_UID,
            "fsGid": 100,
            "allowPrivilegeEscalation": False,
            "serviceAccountName": NOTEBOOK_ACCOUNT,
            # the iptables init container needs NET_ADMIN; the NetworkPolicy blocks metadata instead
            "cloudMetadata": {"blockWithIptables": False},
            "networkPolicy": {"enabled": True, "egressAllowRules": {"cloudMetadataServer": False}},
            "cpu": {
                "guarantee": _cpu(args.notebooks.default_cpu),
                "limit": _cpu(args.notebooks.default_cpu),
            },
            "memory": {
                "guarantee": args.notebooks.default_memory,
                "limit": args.notebooks.default_memory,
            },
            "extraEnv": notebook_environment(args),
        },
        "cull": {"enabled": True, "timeout": IDLE_TIMEOUT_SECONDS, "every": 600},
        "scheduling": {"userScheduler": {"enabled": False}, "userPlaceholder": {"enabled": False}},
        "prePuller": {"hook": {"enabled": False}, "continuous": {"enabled": False}},
        "ingress": {"enabled": False},  # the gateway routes to it (components/edge.py)
    }


def notebook_environment(args: NotebooksArgs) -> dict[str, Any]:
    """What a notebook needs to reach MLflow and the object store (keys only from a Secret)."""
    store = args.artifacts
    env: dict[str, Any] = {
        "MLFLOW_TRACKING_URI": args.mlflow_tracking_url,
        settings.BUCKET.name: store.bucket,
    }
    if store.endpoint_url is not None:
        env["AWS_ENDPOINT_URL"] = store.endpoint_url
        env["MLFLOW_S3_ENDPOINT_URL"] = store.endpoint_url
    if store.region is not None:
        env["AWS_DEFAULT_REGION"] = store.region
    if store.credentials_secret is not None:
        for variable, key in (
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ):
            env[variable] = {
                "valueFrom": {"secretKeyRef": {"name": store.credentials_secret, "key": key}}
            }
    return env


def _cpu(quantity: str) -> float:
    """The chart takes CPU as a number of cores; config uses Kubernetes quantities."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)
