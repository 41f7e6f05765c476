"""Kubeflow Pipelines standalone, from the upstream kustomize tree at a pinned Git tag, pointed at
the platform's object store and MLflow.

KFP publishes no Helm chart, so upstream's two install steps are applied with Pulumi's kustomize
`Directory` (v2, which fetches `<repository>//<path>?ref=<tag>` itself): the cluster-scoped
resources (CRDs, the cache deployer's account) first, then the platform-agnostic tree. That component takes no patches, so the
platform's settings are applied as a Pulumi `transforms` hook on its children; the hook is a pure
function of (type, properties, settings) and is unit-tested on the upstream objects it rewrites.
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from components.artifact_store import ACCESS_KEY, IRSA_ANNOTATION, SECRET_KEY, ArtifactStore
from mlops.config import environment as settings
from mlops.config.model import ChartPin, ExposureConfig
from mlops.config.namespaces import NAMESPACES

# Upstream's names, which it kept when its manifests moved from MinIO to SeaweedFS (2.15): the
# Secret its objects read the store's keys from, and the UI's variables for an S3-compatible store.
UPSTREAM_SECRET = "mlpipeline-minio-artifact"
UPSTREAM_STORES = ("minio", "seaweedfs")  # upstream's bundled store, before and since 2.15
UPSTREAM_KEYS = {"accesskey": ACCESS_KEY, "secretkey": SECRET_KEY}
PIPELINE_ROOT_PREFIX = "v2/artifacts"
KEY_FORMAT = (
    "artifacts/{{workflow.name}}/{{workflow.creationTimestamp.Y}}/"
    "{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{pod.name}}"
)
# ServiceAccounts whose pods read or write artifacts (API server, UI, workflow steps).
STORE_ACCOUNTS = ("ml-pipeline", "ml-pipeline-ui", "pipeline-runner", "argo")
UI_SERVICE = "ml-pipeline-ui"
API_URL = "http://ml-pipeline.{namespace}.svc.cluster.local:8888"
ENDPOINTS_CONFIG_MAP = "platform-endpoints"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"


@dataclass(frozen=True)
class KubeflowPipelinesArgs:
    manifests: ChartPin  # charts.kubeflow_pipelines (repository, tree path, Git tag)
    exposure: ExposureConfig  # exposure (host: exposure.hosts.kubeflow_pipelines)
    artifacts: ArtifactStore  # the pipeline-artifacts bucket, from the object storage component
    mlflow_tracking_url: pulumi.Input[str]  # MlflowServer.tracking_url


@dataclass(frozen=True)
class ObjectStoreSettings:
    """The object store as KFP's configuration files spell it (resolved, plain values)."""

    host: str
    port: int
    secure: bool
    region: str
    bucket: str
    credentials_secret: str | None
    irsa_role_arn: str | None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"


CLUSTER_SCOPED_TREE = "cluster-scoped-resources"
NAMESPACED_TREE = "env/platform-agnostic"
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"


def kustomize_url(pin: ChartPin, tree: str) -> str:
    """A remote kustomize target below the pinned folder at the pinned tag (`//` separates
    repository and path)."""
    return f"{pin.repository}//{pin.chart}/{tree}?ref={pin.version}"


async def _keep_namespace(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """Upstream's cluster-scoped tree also declares the `kubeflow` Namespace, which tenancy
    creates and labels: server-side apply merges the two, and the tree never deletes it."""
    if args.type_ != NAMESPACE_TYPE:
        return None
    opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True))
    return pulumi.ResourceTransformResult(args.props, opts)


class KubeflowPipelines(pulumi.ComponentResource):
    """KFP's API server, UI, Argo workflow controller and metadata store, in one namespace."""

    api_url: pulumi.Output[str]
    ui_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: KubeflowPipelinesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:kubeflow_pipelines:KubeflowPipelines", name, None, opts)
        namespace = NAMESPACES["kubeflow"].name
        settings = object_store_settings(args.artifacts)
        cluster_scoped = k8s.kustomize.v2.Directory(
            "kubeflow-pipelines-cluster-scoped",
            directory=kustomize_url(args.manifests, CLUSTER_SCOPED_TREE),
            opts=pulumi.ResourceOptions(parent=self, transforms=[_keep_namespace]),
        )
        k8s.kustomize.v2.Directory(
            "kubeflow-pipelines",
            directory=kustomize_url(args.manifests, NAMESPACED_TREE),
            namespace=namespace,
            opts=pulumi.ResourceOptions(
                parent=self, transforms=[_transform(settings)], depends_on=[cluster_scoped]
            ),
        )
        k8s.core.v1.ConfigMap(
            ENDPOINTS_CONFIG_MAP,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ENDPOINTS_CONFIG_MAP, namespace=namespace),
            data=pipeline_environment(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        scheme = "https" if args.exposure.tls else "http"
        self.api_url = pulumi.Output.from_input(API_URL.format(namespace=namespace))
        self.ui_url = pulumi.Output.from_input(
            f"{scheme}://{args.exposure.hosts.kubeflow_pipelines}"
        )
        self.register_outputs({"api_url": self.api_url, "ui_url": self.ui_url})


def pipeline_environment(args: KubeflowPipelinesArgs) -> dict[str, pulumi.Input[str]]:
    """What pipeline steps mount as environment (kfp-kubernetes `use_config_map_as_env`)."""
    store = args.artifacts
    env: dict[str, pulumi.Input[str]] = {
        "MLFLOW_TRACKING_URI": args.mlflow_tracking_url,
        settings.PIPELINE_BUCKET.name: store.bucket,
    }
    if store.endpoint_url is not None:
        env["MLFLOW_S3_ENDPOINT_URL"] = store.endpoint_url
        env["AWS_ENDPOINT_URL"] = store.endpoint_url
    if store.region is not None:
        env["AWS_DEFAULT_REGION"] = store.region
    return env


def object_store_settings(store: ArtifactStore) -> pulumi.Output[ObjectStoreSettings]:
    def settings(values: list[Any]) -> ObjectStoreSettings:
        endpoint_url, bucket, credentials_secret, role = values
        return resolve_settings(endpoint_url, bucket, credentials_secret, role, store.region)

    return pulumi.Output.all(
        store.endpoint_url, store.bucket, store.credentials_secret, store.irsa_role_arn
    ).apply(settings)


def resolve_settings(
    endpoint_url: str | None,
    bucket: str,
    credentials_secret: str | None,
    irsa_role_arn: str | None,
    region: str | None,
) -> ObjectStoreSettings:
    """A store with an endpoint is addressed by its URL; S3 by its regional endpoint (so a region
    is required)."""
    if endpoint_url is None:
        if region is None:
            raise ValueError("an S3 artifact store needs its region")
        host, port, secure = f"s3.{region}.amazonaws.com", 443, True
    else:
        url = urlsplit(endpoint_url)
        secure = url.scheme == "https"
        host, port = url.hostname or "", url.port or (443 if secure else 80)
    return ObjectStoreSettings(
        host=host,
        port=port,
        secure=secure,
        region=region or "us-east-1",  # SeaweedFS ignores the region but clients need one
        bucket=bucket,
        credentials_secret=credentials_secret,
        irsa_role_arn=irsa_role_arn,
    )


def _transform(settings: pulumi.Output[ObjectStoreSettings]) -> pulumi.ResourceTransform:
    async def transform(
        args: pulumi.ResourceTransformArgs,
    ) -> pulumi.ResourceTransformResult | None:
        resolved = await settings.future()
        if resolved is None:  # unknown during a preview of a new store: upstream values shown
            return None
        props = patch_child(args.type_, dict(args.props), resolved)
        return None if props is None else pulumi.ResourceTransformResult(props, args.opts)

    return transform


def patch_child(
    type_: str, props: dict[str, Any], settings: ObjectStoreSettings
) -> dict[str, Any] | None:
    """The upstream object rewritten for the platform's store, or None when it is left as is."""
    name = (props.get("metadata") or {}).get("name")
    if type_ == CONFIG_MAP and name in _CONFIG_MAP_PATCHES:
        data = dict(props.get("data") or {})
        data.update(_CONFIG_MAP_PATCHES[name](settings))
        return {**props, "data": data}
    if type_ == DEPLOYMENT:
        return _patch_deployment(name, props, settings)
    if type_ == SERVICE_ACCOUNT and name in STORE_ACCOUNTS and settings.irsa_role_arn:
        metadata = dict(props["metadata"])
        metadata["annotations"] = {
            **(metadata.get("annotations") or {}),
            IRSA_ANNOTATION: settings.irsa_role_arn,
        }
        return {**props, "metadata": metadata}
    return None


def _pipeline_root(settings: ObjectStoreSettings) -> str:
    return f"s3://{settings.bucket}/{PIPELINE_ROOT_PREFIX}"


def _install_config(settings: ObjectStoreSettings) -> dict[str, str]:
    return {"bucketName": settings.bucket, "defaultPipelineRoot": _pipeline_root(settings)}


def _launcher_config(settings: ObjectStoreSettings) -> dict[str, str]:
    """KFP v2 launcher: where step artifacts go and how to authenticate (`providers`)."""
    if settings.credentials_secret is None:
        credentials: dict[str, Any] = {"fromEnv": True}
    else:
        credentials = {
            "fromEnv": False,
            "secretRef": {
                "secretName": settings.credentials_secret,
                "accessKeyKey": ACCESS_KEY,
                "secretKeyKey": SECRET_KEY,
            },
        }
    providers = {
        "s3": {
            "default": {
                "endpoint": settings.endpoint,
                "region": settings.region,
                "disableSSL": not settings.secure,
                "forcePathStyle": True,
                "credentials": credentials,
            }
        }
    }
    return {
        "defaultPipelineRoot": _pipeline_root(settings),
        "providers": json.dumps(providers, sort_keys=True),
    }


def _workflow_controller_config(settings: ObjectStoreSettings) -> dict[str, str]:
    """Argo's artifact repository (step logs and v1 artifacts)."""
    s3: dict[str, Any] = {
        "endpoint": settings.endpoint,
        "bucket": settings.bucket,
        "region": settings.region,
        "insecure": not settings.secure,
        "keyFormat": KEY_FORMAT,
    }
    if settings.credentials_secret is None:
        s3["useSDKCreds"] = True
    else:
        s3["accessKeySecret"] = {"name": settings.credentials_secret, "key": ACCESS_KEY}
        s3["secretKeySecret"] = {"name": settings.credentials_secret, "key": SECRET_KEY}
    return {"artifactRepository": json.dumps({"archiveLogs": True, "s3": s3}, sort_keys=True)}


_CONFIG_MAP_PATCHES = {
    "pipeline-install-config": _install_config,
    "kfp-launcher": _launcher_config,
    "workflow-controller-configmap": _workflow_controller_config,
}


def _container_env(name: str | None, settings: ObjectStoreSettings) -> dict[str, str]:
    if name == "ml-pipeline":
        return {
            "OBJECTSTORECONFIG_HOST": settings.host,
            "OBJECTSTORECONFIG_PORT": str(settings.port),
            "OBJECTSTORECONFIG_SECURE": str(settings.secure).lower(),
            "OBJECTSTORECONFIG_REGION": settings.region,
        }
    if name == "ml-pipeline-ui":
        return _ui_env(settings)
    return {}


def _ui_env(settings: ObjectStoreSettings) -> dict[str, str]:
    """The UI reads artifacts and archived step logs from the same store, bucket and keys as
    the API server and Argo write them (upstream's SeaweedFS overlay sets the same variables).
    MINIO_NAMESPACE is emptied: the UI appends it to MINIO_HOST, which is already complete."""
    env = {
        "MINIO_HOST": settings.host,
        "MINIO_NAMESPACE": "",
        "MINIO_PORT": str(settings.port),
        "MINIO_SSL": str(settings.secure).lower(),
        "AWS_REGION": settings.region,
        "ARGO_ARCHIVE_LOGS": "true",
        "ARGO_ARCHIVE_BUCKETNAME": settings.bucket,
        "ARGO_KEYFORMAT": KEY_FORMAT,
        # 'minio' is the UI's name for an S3-compatible store reached with keys
        "ARGO_ARCHIVE_ARTIFACTORY": "s3" if settings.credentials_secret is None else "minio",
    }
    if settings.credentials_secret is None:  # S3 with IRSA: the regional endpoint, no keys
        env["AWS_S3_ENDPOINT"] = settings.host
        env["AWS_SSL"] = "true"
    return env


def _patch_deployment(
    name: str | None, props: dict[str, Any], settings: ObjectStoreSettings
) -> dict[str, Any] | None:
    spec = dict(props.get("spec") or {})
    if name in UPSTREAM_STORES:  # upstream's bundled store: the platform's store replaces it
        return {**props, "spec": {**spec, "replicas": 0}}
    template = dict(spec.get("template") or {})
    pod = dict(template.get("spec") or {})
    containers = pod.get("containers") or []
    extra = _container_env(name, settings)
    patched = [_patch_container(c, extra, settings) for c in containers]
    if patched == containers:
        return None
    pod["containers"] = patched
    template["spec"] = pod
    spec["template"] = template
    return {**props, "spec": spec}


def _patch_container(
    container: dict[str, Any], extra: dict[str, str], settings: ObjectStoreSettings
) -> dict[str, Any]:
    """Point upstream's key Secret references at the platform's Secret (or drop them for IRSA)
    and set the endpoint variables."""
    env: list[dict[str, Any]] = []
    for variable in container.get("env") or []:
        reference = ((variable.get("valueFrom") or {}).get("secretKeyRef")) or {}
        if variable["name"] in extra:
            continue
        if reference.get("name") != UPSTREAM_SECRET:
            env.append(variable)
        elif settings.credentials_secret is not None:
            key = reference.get("key", "")
            env.append(
                {
                    "name": variable["name"],
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": settings.credentials_secret,
                            "key": UPSTREAM_KEYS.get(key, key),
                        }
                    },
                }
            )
    if not extra and env == (container.get("env") or []):
        return container
    env += [{"name": key, "value": value} for key, value in extra.items()]
    return {**container, "env": env}
