"""The demo's object stores, one SeaweedFS server each (the `weed` binary the cluster runs,
mlops.objectstore.local), laid out as int and prod are on S3: the analytics registry's store,
where MLflow keeps the artifacts it serves (`mlflow-artifacts:/`), and one store per serving
environment, holding only that environment's released models. A promotion copies the model from
the registry's store into the target's with the transfer identity (a source side and a target
side, as the stacks' two roles); that environment's predictors load it from there with the model
reader's read-only identity, as the cluster's do; none can read another environment's store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlops.config.model import RELEASED_MODELS_BUCKET
from mlops.config.object_store import (
    IN_CLUSTER_REGION,
    REGISTRY_BUCKET,
    STORE_GRANTS,
    TRANSFER_IDENTITY,
    TRANSFER_SIDES,
)
from mlops.demo.processes import Supervisor
from mlops.demo.workspace import Workspace
from mlops.files import write_private
from mlops.objectstore.local import LocalStore, Starting, ready, start_store
from mlops.promotion.transfer import Destination, StoreAccess

ENVIRONMENTS = ("dev", "int", "prod")
REGISTRY = "analytics"  # the registry's store, beside the serving environments'
MODEL_READER = "models"
MLFLOW = "mlflow"
GRANTS = {MODEL_READER: STORE_GRANTS["models"], TRANSFER_IDENTITY: TRANSFER_SIDES["target"]}
REGISTRY_GRANTS = {MLFLOW: STORE_GRANTS["mlflow"], TRANSFER_IDENTITY: TRANSFER_SIDES["source"]}
REGISTRY_ROOT = f"s3://{REGISTRY_BUCKET}"  # MLflow's --artifacts-destination


def start(supervisor: Supervisor, workspace: Workspace) -> dict[str, Starting]:
    """Start the registry's store and every environment's side by side (not yet waited for)."""
    from mlops.toolchain import binary

    weed = binary("weed")
    layout = {
        REGISTRY: ((REGISTRY_BUCKET,), REGISTRY_GRANTS),
        **{env: ((RELEASED_MODELS_BUCKET,), GRANTS) for env in ENVIRONMENTS},
    }
    return {
        name: start_store(
            supervisor, f"seaweedfs-{name}", weed, workspace.stores / name, buckets, grants
        )
        for name, (buckets, grants) in layout.items()
    }


def wait(supervisor: Supervisor, starting: Mapping[str, Starting]) -> dict[str, LocalStore]:
    return {env: ready(supervisor, started) for env, started in starting.items()}


def transfer_access(store: LocalStore) -> StoreAccess:
    """The transfer identity's keys on one store."""
    return StoreAccess(
        endpoint_url=store.url,
        access_key=TRANSFER_IDENTITY,
        secret_key=store.keys[TRANSFER_IDENTITY],
        region=IN_CLUSTER_REGION,
    )


def destination(registry: LocalStore, target: LocalStore) -> Destination:
    """Where a promotion to the target's environment copies the model: read from the registry's
    store under MLflow's artifacts destination, written to the target's released models."""
    return Destination(
        f"s3://{RELEASED_MODELS_BUCKET}",
        transfer_access(registry),
        transfer_access(target),
        REGISTRY_ROOT,
    )


def write_profiles(
    workspace: Workspace, registry: LocalStore, stores: Mapping[str, LocalStore]
) -> Path:
    """An AWS config file (mode 0600) with the transfer identity's profiles, as CI has one per
    role: `registry` (the source side) and `serving-<env>` (each target), what `mlops promote
    --transfer-to` uses from a second shell (`MLOPS_TRANSFER_TARGET_PROFILE=serving-dev`)."""
    path = workspace.root / "aws-config"
    profiles = {"registry": registry, **{f"serving-{env}": s for env, s in stores.items()}}
    write_private(
        path,
        "# written by `mlops demo`: the transfer identity on the registry's and each serving "
        "environment's store\n"
        + "".join(
            f"[profile {name}]\nendpoint_url = {store.url}\n"
            f"region = {IN_CLUSTER_REGION}\naws_access_key_id = {TRANSFER_IDENTITY}\n"
            f"aws_secret_access_key = {store.keys[TRANSFER_IDENTITY]}\n"
            for name, store in profiles.items()
        ),
    )
    return path


def mlflow_env(registry: LocalStore) -> dict[str, str]:
    """The MLflow server's store settings: its own identity on the registry's bucket, as the
    chart's Secret and MLFLOW_S3_ENDPOINT_URL give it in the cluster."""
    return {
        "AWS_ACCESS_KEY_ID": MLFLOW,
        "AWS_SECRET_ACCESS_KEY": registry.keys[MLFLOW],
        "AWS_DEFAULT_REGION": IN_CLUSTER_REGION,
        "MLFLOW_S3_ENDPOINT_URL": registry.url,
    }


def reader_env(store: LocalStore) -> dict[str, str]:
    """A predictor's store settings, as its pod gets them from the model reader's Secret and
    KServe's annotations."""
    return {
        "AWS_ACCESS_KEY_ID": MODEL_READER,
        "AWS_SECRET_ACCESS_KEY": store.keys[MODEL_READER],
        "AWS_DEFAULT_REGION": IN_CLUSTER_REGION,
        "AWS_ENDPOINT_URL": store.url,
        "MLFLOW_S3_ENDPOINT_URL": store.url,
    }
