"""The evidence collector of one environment as a Kubernetes CronJob (`mlops evidence collect`
on the stack's schedule, with the stack's live quality goals), rendered into the environment's
GitOps tree so Argo CD runs in the cluster what the demo and the tests run.

The pod runs under the restricted Pod Security profile (non-root, no privilege escalation, no
capabilities, read-only root file system, RuntimeDefault seccomp) without a Kubernetes API token;
its only writable path is an emptyDir at /tmp. It reads Prometheus and the Audit API in-cluster,
and the request log where the stack names one.
"""

from typing import Any

from mlops.config import environment as settings
from mlops.config.model import CollectorConfig
from mlops.config.namespaces import (
    COLLECTOR_AUDIT_KEY,
    COLLECTOR_AUDIT_SECRET,
    GOVERNANCE_PORTS,
    KFP_API_PORTS,
    NAMESPACES,
    PROMETHEUS_PORTS,
)
from mlops.gitops.environment import Environment
from mlops.gitops.pods import CONTAINER_SECURITY, POD_SECURITY

NAME = "evidence-collector"
TOKEN_DIR = "/etc/mlops/audit"
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
    if config.request_log:
        args += ["--request-log", config.request_log]  # against the packaged training reference
    if config.retraining is not None:
        retraining = config.retraining
        args += ["--kfp", _service("ml-pipeline", "kubeflow", KFP_API_PORTS[0]),
                 "--kfp-pipeline", f"{retraining.pipeline_id}:{retraining.pipeline_version_id}"]  # fmt: skip
        if retraining.experiment_id:
            args += ["--kfp-experiment", retraining.experiment_id]
    return [*args, "--json"]


def collector_cronjob(env: Environment, config: CollectorConfig) -> dict[str, Any]:
    labels = {
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/component": "evidence-collector",
        "app.kubernetes.io/part-of": "mlops-platform",
        "mlops.platform/environment": env.name,
    }
    audit = _service("governance", "governance", GOVERNANCE_PORTS[0])
    container = {
        "name": "collect",
        "image": env.predictor_image,
        "imagePullPolicy": "Always",
        "command": ["mlops"],
        "args": collector_args(config, env.name),
        "env": [
            {"name": settings.ENVIRONMENT.name, "value": env.name},
            {"name": settings.AUDIT.name, "value": audit},
            {"name": settings.AUDIT_TOKEN_FILE.name, "value": f"{TOKEN_DIR}/{COLLECTOR_AUDIT_KEY}"},
        ],
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 (an emptyDir)
            {"name": "audit-token", "mountPath": TOKEN_DIR, "readOnly": True},
        ],
        "securityContext": CONTAINER_SECURITY,
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        },
    }
    pod_spec = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,  # the job never talks to the API server
        "securityContext": POD_SECURITY,
        "containers": [container],
        "volumes": [
            {"name": "tmp", "emptyDir": {}},
            # the token as a file, not an environment variable (a process listing shows those)
            {
                "name": "audit-token",
                "secret": {"secretName": COLLECTOR_AUDIT_SECRET, "defaultMode": 0o440},
            },
        ],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": NAME,
            "namespace": env.namespace,
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
