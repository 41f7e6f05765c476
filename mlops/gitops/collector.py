"""The evidence collector of one environment as a Kubernetes CronJob (`mlops evidence collect`
on the stack's schedule, with the stack's live quality goals), rendered into the environment's
GitOps tree so Argo CD runs in the cluster what the demo and the tests run.

It runs in its own namespace as its own service account (components/evidence_collector.py),
apart from the predictors: the store identity it reads the request log with may read and list
the request-logs bucket and nothing else, while the predictors may only append to it. The pod
runs under the restricted Pod Security profile (non-root, no privilege escalation, no
capabilities, read-only root file system, RuntimeDefault seccomp) without a Kubernetes API token;
its only writable path is an emptyDir at /tmp. Where the stack names a retraining pipeline it
gets one projected token, for KFP's audience only (the API server refuses it), rotated by the
kubelet.

Serving figures come from the stack's Prometheus, which every stack installs. The collector never
reads the predictors' metrics endpoints on a cluster: they share the port that answers
predictions, so a NetworkPolicy that let it scrape them would let it call the models too. That
fallback (`--metrics-url`) is for the embedded demo and a laptop without Prometheus; here a
Prometheus that does not answer fails the run (exit 2), which the Job history and KubeJobFailed
show.
"""

from typing import Any

from mlops.config import environment as settings
from mlops.config.model import CollectorConfig
from mlops.config.namespaces import (
    COLLECTOR_ACCOUNT,
    COLLECTOR_AUDIT_KEY,
    COLLECTOR_AUDIT_SECRET,
    COLLECTOR_REQUEST_LOG_KEY,
    COLLECTOR_SETTINGS,
    GOVERNANCE_PORTS,
    KFP_API_PORTS,
    NAMESPACES,
    PROMETHEUS_PORTS,
)
from mlops.config.object_store import ACCESS_KEY, SECRET_KEY, StoreEndpoint, endpoint_env
from mlops.gitops.environment import Environment
from mlops.gitops.pods import CONTAINER_SECURITY, POD_SECURITY

NAME = "evidence-collector"
TOKEN_DIR = "/etc/mlops/audit"
KFP_TOKEN_DIR = "/var/run/secrets/kubeflow/pipelines"  # where KFP's own clients look for it
KFP_AUDIENCE = "pipelines.kubeflow.org"  # what KFP's API server reviews tokens for
KFP_TOKEN_SECONDS = 3600  # the kubelet renews it at 80 % of its life
STORE_KEYS_DIR = "/etc/mlops/store"
DIRECTORY = "evidence-collector"
PROMETHEUS_SERVICE = "kube-prometheus-stack-prometheus"  # components/monitoring.py's release


def _service(name: str, namespace: str, port: int) -> str:
    return f"http://{name}.{NAMESPACES[namespace].name}.svc.cluster.local:{port}"


def collector_args(config: CollectorConfig, environment: str) -> list[str]:
    """`mlops evidence collect` as the stack configures it."""
    args = [
        "evidence", "collect", "--env", environment,
        "--prometheus", _service(PROMETHEUS_SERVICE, "monitoring", PROMETHEUS_PORTS[0]),
        "--window", config.window,
        "--max-p95-latency-ms", f"{config.max_p95_latency_ms:g}",
        "--max-error-rate", f"{config.max_error_rate:g}",
        "--max-drifted-features", str(config.max_drifted_features),
    ]  # fmt: skip
    if config.retraining is not None:
        retraining = config.retraining
        args += ["--kfp", _service("ml-pipeline", "kubeflow", KFP_API_PORTS[0]),
                 "--kfp-pipeline", f"{retraining.pipeline_id}:{retraining.pipeline_version_id}"]  # fmt: skip
        if retraining.experiment_id:
            args += ["--kfp-experiment", retraining.experiment_id]
    return [*args, "--json"]


def collector_env(env: Environment, config: CollectorConfig) -> list[dict[str, Any]]:
    """The container's settings: the Audit API and its token file; with drift, the store (its
    endpoint and where the collector namespace's own keys are mounted; IRSA on S3) and the
    request log the platform wrote into the collector's ConfigMap (against the packaged
    training reference); with retraining, the KFP token file."""
    variables: list[dict[str, Any]] = [
        {"name": settings.ENVIRONMENT.name, "value": env.name},
        {"name": settings.AUDIT.name, "value": _service("governance", "governance",
                                                         GOVERNANCE_PORTS[0])},
        {"name": settings.AUDIT_TOKEN_FILE.name, "value": f"{TOKEN_DIR}/{COLLECTOR_AUDIT_KEY}"},
    ]  # fmt: skip
    if env.collector_drift:
        if env.store is not None:
            variables += endpoint_env(env.store)
            variables.append({"name": settings.STORE_KEYS_DIR.name, "value": STORE_KEYS_DIR})
        variables.append({"name": settings.REQUEST_LOG.name, "valueFrom": {"configMapKeyRef": {
            "name": COLLECTOR_SETTINGS, "key": COLLECTOR_REQUEST_LOG_KEY}}})  # fmt: skip
    if config.retraining is not None:
        variables.append({"name": settings.KFP_TOKEN_FILE.name, "value": f"{KFP_TOKEN_DIR}/token"})
    return variables


def _volumes(
    config: CollectorConfig, store: StoreEndpoint | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, mounts): /tmp, the audit token, the store keys where the collector reads the
    request log with keys (not IRSA), and the KFP token where retraining is on. Keys and
    tokens are files, never environment variables (a process listing shows those)."""
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {}},
        {"name": "audit-token",
         "secret": {"secretName": COLLECTOR_AUDIT_SECRET, "defaultMode": 0o440}},
    ]  # fmt: skip
    mounts: list[dict[str, Any]] = [
        {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 (an emptyDir)
        {"name": "audit-token", "mountPath": TOKEN_DIR, "readOnly": True},
    ]
    if store is not None:
        items = [{"key": key, "path": key} for key in (ACCESS_KEY, SECRET_KEY)]
        volumes.append({"name": "store-keys", "secret": {
            "secretName": store.credentials_secret, "items": items, "defaultMode": 0o440}})  # fmt: skip
        mounts.append({"name": "store-keys", "mountPath": STORE_KEYS_DIR, "readOnly": True})
    if config.retraining is not None:
        token = {"audience": KFP_AUDIENCE, "expirationSeconds": KFP_TOKEN_SECONDS,
                 "path": "token"}  # fmt: skip
        volumes.append({"name": "kfp-token", "projected": {
            "defaultMode": 0o440, "sources": [{"serviceAccountToken": token}]}})  # fmt: skip
        mounts.append({"name": "kfp-token", "mountPath": KFP_TOKEN_DIR, "readOnly": True})
    return volumes, mounts


def collector_cronjob(env: Environment, config: CollectorConfig) -> dict[str, Any]:
    labels = {
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/component": "evidence-collector",
        "app.kubernetes.io/part-of": "mlops-platform",
        "mlops.platform/environment": env.name,
    }
    volumes, mounts = _volumes(config, env.store if env.collector_drift else None)
    container = {
        "name": "collect",
        "image": env.predictor_image,
        "imagePullPolicy": "Always",
        "command": ["mlops"],
        "args": collector_args(config, env.name),
        "env": collector_env(env, config),
        "volumeMounts": mounts,
        "securityContext": CONTAINER_SECURITY,
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        },
    }
    pod_spec = {
        "restartPolicy": "Never",
        "serviceAccountName": COLLECTOR_ACCOUNT,
        # the job never talks to the API server; its one token (KFP's audience) is projected
        "automountServiceAccountToken": False,
        "securityContext": POD_SECURITY,
        "containers": [container],
        "volumes": volumes,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACES["collector"].name,
            "labels": labels,
            "annotations": {
                "checkov.io/skip1": "CKV_K8S_43=images come from the environment's registry "
                "(ECR, immutable tags), so a tag is as fixed as a digest",
            },
        },
        "spec": {
            "schedule": config.schedule,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": 0,  # a failed run is evidence in itself; the next run retries
                    "activeDeadlineSeconds": 900,
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            },
        },
    }
