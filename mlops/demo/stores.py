"""The serving environments' own object stores in the demo: one SeaweedFS server per environment
(the `weed` binary the cluster runs, mlops.objectstore.local), each holding only that
environment's released models. A promotion copies the model into the target's store with the
transfer identity; that environment's predictors load it from there with the model reader's
read-only identity, as the cluster's do; none can read another environment's store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlops.config.model import RELEASED_MODELS_BUCKET
from mlops.config.object_store import (
    IN_CLUSTER_REGION,
    STORE_GRANTS,
    TRANSFER_GRANT,
    TRANSFER_IDENTITY,
)
from mlops.demo.processes import Supervisor
from mlops.demo.workspace import Workspace
from mlops.files import write_private
from mlops.objectstore.local import LocalStore, Starting, ready, start_store
from mlops.promotion.transfer import Destination, StoreAccess

ENVIRONMENTS = ("dev", "int", "prod")
MODEL_READER = "models"
GRANTS = {MODEL_READER: STORE_GRANTS["models"], TRANSFER_IDENTITY: TRANSFER_GRANT}


def start(supervisor: Supervisor, workspace: Workspace) -> dict[str, Starting]:
    """Start every environment's store side by side (not yet waited for)."""
    from mlops.toolchain import binary

    weed = binary("weed")
    return {
        env: start_store(
            supervisor,
            f"seaweedfs-{env}",
            weed,
            workspace.stores / env,
            (RELEASED_MODELS_BUCKET,),
            GRANTS,
        )
        for env in ENVIRONMENTS
    }


def wait(supervisor: Supervisor, starting: Mapping[str, Starting]) -> dict[str, LocalStore]:
    return {env: ready(supervisor, started) for env, started in starting.items()}


def destination(store: LocalStore) -> Destination:
    """Where a promotion to the store's environment copies the model, with the transfer
    identity's keys (the source, MLflow's local artifact root, is read as files)."""
    writer = StoreAccess(
        endpoint_url=store.url,
        access_key=TRANSFER_IDENTITY,
        secret_key=store.keys[TRANSFER_IDENTITY],
        region=IN_CLUSTER_REGION,
    )
    return Destination(f"s3://{RELEASED_MODELS_BUCKET}", StoreAccess(), writer)


def write_profiles(workspace: Workspace, stores: Mapping[str, LocalStore]) -> Path:
    """An AWS config file (mode 0600) with one profile per environment's store, `serving-<env>`:
    its endpoint and the transfer identity's keys, what `mlops promote --transfer-to` uses from
    a second shell (`MLOPS_TRANSFER_TARGET_PROFILE=serving-dev`), as CI has one per store."""
    path = workspace.root / "aws-config"
    write_private(
        path,
        "# written by `mlops demo`: the transfer identity on each serving environment's store\n"
        + "".join(
            f"[profile serving-{env}]\nendpoint_url = {store.url}\n"
            f"region = {IN_CLUSTER_REGION}\naws_access_key_id = {TRANSFER_IDENTITY}\n"
            f"aws_secret_access_key = {store.keys[TRANSFER_IDENTITY]}\n"
            for env, store in stores.items()
        ),
    )
    return path


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
