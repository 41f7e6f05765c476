"""The scheduled batch-scoring job of a release, as a Kubernetes CronJob manifest.

The pod fetches the released artifact with KServe's storage initializer (the same downloader
and credentials the online predictor uses) into an emptyDir, then runs `mlops score` against
it with the release's expected digest, so the job refuses any artifact but the released one.
Input and output live on a PersistentVolumeClaim; outputs keep history via `{timestamp}`.
"""

from typing import Any

from mlops.config import environment as settings
from mlops.config.object_store import StoreEndpoint, client_env
from mlops.gitops.descriptor import ModelRelease
from mlops.gitops.pods import CONTAINER_SECURITY, POD_SECURITY

STORAGE_INITIALIZER = "kserve/storage-initializer:v0.15.2"
MODEL_DIR = "/mnt/models"
IMAGE_TAG_REASON = (
    "images come from the environment's registry (ECR, immutable tags), so a tag is as fixed as "
    "a digest; the model itself is pinned by --expected-digest"
)
DATA_DIR = "/data"


def scoring_cronjob(
    release: ModelRelease,
    *,
    namespace: str,
    environment: str,
    image: str,
    schedule: str = "0 2 * * *",
    data_claim: str,
    input_path: str,
    output_path: str = "predictions/{model}-v{version}-{timestamp}.csv",
    id_column: str | None = None,
    log_sink: str | None = None,
    service_account: str | None = None,
    storage_initializer: str = STORAGE_INITIALIZER,
    store: StoreEndpoint | None = None,
) -> dict[str, Any]:
    """CronJob (batch/v1) scoring `input_path` on `data_claim` with the release's model;
    `input_path` and `output_path` are relative to the claim's root. With a `store`, the
    storage initializer reads the model with the model reader's keys from that endpoint;
    without, with the service account's IAM role (S3)."""
    name = f"{release.model}-batch-score"
    output = output_path.format(
        model=release.model, version=release.registry_version, timestamp="{timestamp}"
    )
    args = [
        "score",
        "--model-uri", MODEL_DIR,
        "--input", f"{DATA_DIR}/{input_path}",
        "--output", f"{DATA_DIR}/{output}",
        "--name", release.model,
        "--version", str(release.registry_version),
        "--expected-digest", release.model_digest,
        "--json",
    ]  # fmt: skip
    if id_column:
        args += ["--id-column", id_column]
    if log_sink:
        args += ["--log-sink", log_sink]
    labels = {
        "app.kubernetes.io/name": release.model,
        "app.kubernetes.io/component": "batch-scoring",
        "app.kubernetes.io/part-of": "mlops-platform",
        "mlops.platform/model": release.model,
        "mlops.platform/version": str(release.registry_version),
        "mlops.platform/environment": environment,
    }
    resources = {
        "requests": {"cpu": release.cpu_request, "memory": release.memory_request},
        "limits": {"cpu": release.cpu_limit, "memory": release.memory_limit},
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,  # the job never talks to the API server
        "securityContext": POD_SECURITY,
        "initContainers": [
            {
                "name": "storage-initializer",
                "image": storage_initializer,
                "imagePullPolicy": "Always",
                "args": [release.storage_uri, MODEL_DIR],
                **({"env": client_env(store)} if store is not None else {}),
                "volumeMounts": [{"name": "model", "mountPath": MODEL_DIR}],
                "securityContext": CONTAINER_SECURITY,
                "resources": resources,
            }
        ],
        "containers": [
            {
                "name": "score",
                "image": image,
                "imagePullPolicy": "Always",
                "command": ["mlops"],
                "args": args,
                "env": [{"name": settings.ENVIRONMENT.name, "value": environment}],
                "volumeMounts": [
                    {"name": "model", "mountPath": MODEL_DIR, "readOnly": True},
                    {"name": "data", "mountPath": DATA_DIR},
                    {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 (an emptyDir, the only writable path)
                ],
                "securityContext": CONTAINER_SECURITY,
                "resources": resources,
            }
        ],
        "volumes": [
            {"name": "model", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {}},
            {"name": "data", "persistentVolumeClaim": {"claimName": data_claim}},
        ],
    }
    if service_account:
        pod_spec["serviceAccountName"] = service_account
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {
                "mlops.platform/registry-model": release.registry_model,
                "mlops.platform/model-digest": release.model_digest,
                "checkov.io/skip1": f"CKV_K8S_43={IMAGE_TAG_REASON}",
            },
        },
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": 1,
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            },
        },
    }
