"""The embedded platform's services, each a process of this Python environment on a free
loopback port: the MLflow tracking server (SQLite backend, artifacts proxied to the registry's
store, mlops.demo.stores), the Audit
API (`mlops audit serve` on SQLite, with tokens generated for this run) and the KServe
predictor (`mlops serve`) of a released model, which loads it from its environment's own store
(mlops.demo.stores).

On a cluster the same programs run as the platform's Deployments and InferenceServices; only
the addresses (ingress hosts), the stores (PostgreSQL, S3 or SeaweedFS) and the tokens' origin (a
Secret) change.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from mlops.config import environment as settings
from mlops.demo.processes import Service, Supervisor, free_port
from mlops.demo.stores import REGISTRY_ROOT
from mlops.demo.workspace import Workspace
from mlops.files import write_private
from mlops.governance.auth import Role, token_digest
from mlops.governance.keys import write_private_key

PYTHON = sys.executable


@dataclass(frozen=True)
class Tokens:
    """Bearer tokens of this run: the platform's producers and gates, and the certifier."""

    platform: str
    certifier: str


def child_env() -> dict[str, str]:
    """The environment of every service: no telemetry, no proxy for loopback calls."""
    env = dict(os.environ)
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
                "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # no job-runner process
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                "PYTHONUNBUFFERED": "1"})  # fmt: skip
    return env


def write_tokens(workspace: Workspace) -> Tokens:
    """Fresh random tokens; the tokens file (mode 0600) holds only their digests."""
    tokens = Tokens(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    digests = {
        token_digest(tokens.platform): [Role.AUDITEE.value, Role.AUDITOR.value],
        token_digest(tokens.certifier): [Role.CERTIFICATION_BODY.value, Role.AUDITOR.value],
    }
    path = workspace.tokens_file
    write_private(path, json.dumps(digests, indent=2) + "\n")
    return tokens


def start_mlflow(
    supervisor: Supervisor, workspace: Workspace, store_env: dict[str, str]
) -> Service:
    """`mlflow server`: tracking and registry on SQLite; artifacts proxied (`--serve-artifacts`)
    to the registry's bucket in its own store with its own identity (`store_env`), as the
    cluster's server does, so clients hold no store keys and models are `mlflow-artifacts:/`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [PYTHON, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{workspace.mlflow_db}",
            "--serve-artifacts", "--artifacts-destination", REGISTRY_ROOT,
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]  # fmt: skip
    return supervisor.start(
        "mlflow", argv, workspace.logs / "mlflow.log", port=port, url=url,
        health=f"{url}/health", env={**child_env(), **store_env}, cwd=workspace.root,
    )  # fmt: skip


def start_audit(supervisor: Supervisor, workspace: Workspace) -> Service:
    """`mlops audit serve`: the Audit API over the SQLite evidence log (signing key beside it),
    with the certification body's own key (a separate file, made here) for certificates."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if not workspace.certification_key.exists():
        write_private_key(workspace.certification_key)
    argv = [PYTHON, "-m", "mlops", "audit", "serve", "--audit", f"sqlite:///{workspace.audit_db}",
            "--host", "127.0.0.1", "--port", str(port), "--tokens", str(workspace.tokens_file),
            "--certification-key", str(workspace.certification_key)]  # fmt: skip
    return supervisor.start(
        "audit", argv, workspace.logs / "audit.log", port=port, url=url,
        health=f"{url}/healthz", env=child_env(), cwd=workspace.root,
    )  # fmt: skip


def start_predictor(
    supervisor: Supervisor,
    workspace: Workspace,
    env: str,
    release: Path,
    model_uri: str,
    store_env: dict[str, str],
) -> Service:
    """The cluster's serving runtime as a local process: the container `mlops.serving.runtime`
    defines (the ClusterServingRuntime's entrypoint and settings, the request log as the local
    stack configures it), with the model settings the rendered InferenceService sets from the
    descriptor, reading the model from its environment's store with `store_env` (the model
    reader's keys). It refuses to start unless the artifact has the descriptor's digest;
    requests are logged to `serving/<env>-requests.jsonl` instead of the cluster's store."""
    from mlops.config.loader import load_stack
    from mlops.gitops.descriptor import load_release
    from mlops.serving.runtime import (
        local_process,
        model_env,
        predictor_container,
        request_log_settings,
    )

    descriptor = load_release(release)
    stack = load_stack(workspace.repo / "stacks", "local")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    container = predictor_container("(local)", request_log_settings(stack.serving, "(local)"))
    model = model_env(descriptor.model, str(descriptor.registry_version),
                      descriptor.model_digest, env)  # fmt: skip
    sink = {settings.REQUEST_LOG.name: str(workspace.serving / f"{env}-requests.jsonl")}
    argv, runtime_env = local_process(
        container, port=port, model_uri=model_uri, model=model, overrides=sink
    )
    return supervisor.start(
        f"predictor-{env}", argv, workspace.logs / f"predictor-{env}.log", port=port, url=url,
        health=f"{url}/v2/health/ready", env={**child_env(), **store_env, **runtime_env},
        cwd=workspace.root,
    )  # fmt: skip


def write_env_file(
    workspace: Workspace, mlflow: Service, audit: Service, tokens: Tokens, aws_config: Path
) -> Path:
    """`env.sh`: what a second terminal sources to use the running platform (`--hold`), with
    the transfer identity's AWS profiles (`registry`, the source; `serving-<env>`, a target)
    and where the registry keeps what MLflow serves."""
    path = workspace.root / "env.sh"
    write_private(
        path,
        "# written by `mlops demo`; valid while its services run\n"
        f"export MLFLOW_TRACKING_URI={mlflow.url}\n"
        f"export {settings.AUDIT.name}={audit.url}\n"
        f"export {settings.AUDIT_TOKEN.name}={tokens.platform}\n"
        f"export {settings.DEMO_REPO.name}={workspace.repo}\n"
        f"export AWS_CONFIG_FILE={aws_config}\n"
        f"export {settings.TRANSFER_SOURCE_PROFILE.name}=registry\n"
        f"export {settings.TRANSFER_SOURCE_ROOT.name}={REGISTRY_ROOT}\n",
    )
    return path
