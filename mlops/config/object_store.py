"""Where workloads reach the object store, how they authenticate, and what each consumer may do.

One answer, taken from the stack's `storage` settings, for the components that provision the
store and its consumers and for the releases `mlops render` writes (batch scoring). On S3 there
is no endpoint to name: clients use the regional endpoint and the workload's IAM role (IRSA).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from mlops.config.model import RELEASED_MODELS_BUCKET, REQUEST_LOG_BUCKET, StorageConfig
from mlops.config.namespaces import NAMESPACES, OBJECT_STORE_PORTS

IN_CLUSTER_SERVICE = "seaweedfs"
IN_CLUSTER_REGION = "us-east-1"  # SeaweedFS ignores the region; S3 clients need one to sign
# The Secret each consumer namespace holds with its own keys, under the names every S3 client
# and KServe's storage initializer read by default.
CREDENTIALS_SECRET = "object-storage-credentials"
ACCESS_KEY = "AWS_ACCESS_KEY_ID"
SECRET_KEY = "AWS_SECRET_ACCESS_KEY"


@dataclass(frozen=True)
class Grant:
    """What one consumer may do: read (get and list) its bucket, and write and delete in it only
    when `write` is set; `appends` are further buckets it may only put objects into (no read, no
    list, no delete: a predictor adds request-log records, it never rereads them); `reads` are
    further buckets it may only get and list (the model transfer reads the registry's)."""

    bucket: str
    write: bool
    appends: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()


REGISTRY_BUCKET = "mlflow-artifacts"  # where MLflow keeps registered models (analytics plane)

# Keyed by the namespace catalog's keys. The model reader pulls released models and nothing else
# (not the registry's experiments); its predictors append their request logs, which only the
# evidence collector reads back.
STORE_GRANTS: dict[str, Grant] = {
    "mlflow": Grant(REGISTRY_BUCKET, write=True),
    "kubeflow": Grant("pipeline-artifacts", write=True),
    "notebooks": Grant("datasets", write=True),
    "models": Grant(RELEASED_MODELS_BUCKET, write=False, appends=(REQUEST_LOG_BUCKET,)),
    "collector": Grant(REQUEST_LOG_BUCKET, write=False),
}

# The identity a promotion copies a model with (mlops.promotion.transfer): it reads the source
# registry's bucket and writes the target environment's released models, nothing else. Reading
# back what it wrote is how the copy is verified. It belongs to the promoter (CI), not to a
# namespace of the cluster. On S3 the two sides are separate stores (often separate accounts),
# so each stack gives the promoter one role per side it holds; on one store (the in-cluster
# store, the demo's) one identity holds both sides.
TRANSFER_IDENTITY = "model-transfer"
TRANSFER_SIDES: dict[str, Grant] = {
    "source": Grant(REGISTRY_BUCKET, write=False),
    "target": Grant(RELEASED_MODELS_BUCKET, write=True),
}
TRANSFER_GRANT = Grant(
    TRANSFER_SIDES["target"].bucket, write=True, reads=(TRANSFER_SIDES["source"].bucket,)
)
TRANSFER_CREDENTIALS_SECRET = "model-transfer-credentials"  # in-cluster: in the store's namespace


@dataclass(frozen=True)
class StoreEndpoint:
    """An S3-compatible endpoint the platform's workloads use with keys from a Secret."""

    url: str
    credentials_secret: str
    region: str

    @property
    def secure(self) -> bool:
        return urlsplit(self.url).scheme == "https"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (443 if self.secure else 80)

    @property
    def address(self) -> str:
        """`host:port`, as KServe's annotations, KFP's launcher and Argo spell the endpoint."""
        return f"{self.host}:{self.port}"


def in_cluster_url() -> str:
    namespace = NAMESPACES["storage"].name
    return f"http://{IN_CLUSTER_SERVICE}.{namespace}.svc.cluster.local:{OBJECT_STORE_PORTS[0]}"


def store_endpoint(storage: StorageConfig) -> StoreEndpoint | None:
    """The endpoint of an in-cluster or external store; None on S3 (IRSA, regional endpoint)."""
    if storage.mode == "in_cluster":
        return StoreEndpoint(in_cluster_url(), CREDENTIALS_SECRET, IN_CLUSTER_REGION)
    if storage.external is not None:
        external = storage.external
        return StoreEndpoint(
            external.endpoint_url.rstrip("/"), external.credentials_secret, external.region
        )
    return None


def client_env(endpoint: StoreEndpoint) -> list[dict[str, object]]:
    """A container's environment for the store, as KServe injects it into its storage
    initializer (for pods KServe does not build, such as the batch-scoring job's)."""
    keys = [
        {
            "name": key,
            "valueFrom": {"secretKeyRef": {"name": endpoint.credentials_secret, "key": key}},
        }
        for key in (ACCESS_KEY, SECRET_KEY)
    ]
    return [*keys, *endpoint_env(endpoint)]


def endpoint_env(endpoint: StoreEndpoint) -> list[dict[str, object]]:
    """Where the store is, without its keys: for a pod that mounts the key Secret as files
    (`MLOPS_STORE_KEYS_DIR`) rather than reading keys from its environment."""
    return [
        {"name": "AWS_ENDPOINT_URL", "value": endpoint.url},
        {"name": "S3_ENDPOINT", "value": endpoint.address},
        {"name": "S3_USE_HTTPS", "value": "1" if endpoint.secure else "0"},
        {"name": "AWS_DEFAULT_REGION", "value": endpoint.region},
    ]
