"""The retraining request a breach makes: a Kubeflow Pipelines run of a registered pipeline
version (REST API v2beta1, `POST /apis/v2beta1/runs`), with parameters `model`, `version` and
`reason`. Without a KFP host the request is prepared and recorded, not sent; either way the
collector records the trigger and its result as evidence.

In the cluster the request carries the collector's projected service-account token for KFP's
audience (`pipelines.kubeflow.org`): what KFP's API server checks in multi-user mode
(TokenReview, then a SubjectAccessReview for `create runs` in the run's namespace), and the
collector's service account may do exactly that and nothing else there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from mlops.config import environment as settings
from mlops.errors import BadInputError
from mlops.inputs import read_text


@dataclass(frozen=True)
class Retraining:
    """Where retraining runs: the KFP API and the pipeline version to run."""

    host: str | None
    pipeline_id: str
    pipeline_version_id: str
    experiment_id: str | None = None


def kfp_token() -> str | None:
    """`MLOPS_KFP_TOKEN`, or the file `MLOPS_KFP_TOKEN_FILE` names, read now: in the cluster it
    is a projected service-account token for KFP's audience, which the kubelet rotates."""
    token = settings.KFP_TOKEN.get()
    path = settings.KFP_TOKEN_FILE.get()
    if token or path is None:
        return token
    token = read_text(path, 16384, "KFP token file").strip()
    if not token:
        raise BadInputError(f"{settings.KFP_TOKEN_FILE.name}={path}: empty; allowed: a token file")
    return token


def request_body(target: Retraining, model: str, version: str, reason: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "display_name": f"retrain-{model}-v{version}",
        "description": f"Requested by the evidence collector: {reason}"[:1000],
        "pipeline_version_reference": {
            "pipeline_id": target.pipeline_id,
            "pipeline_version_id": target.pipeline_version_id,
        },
        "runtime_config": {"parameters": {"model": model, "version": version, "reason": reason}},
    }
    if target.experiment_id:
        body["experiment_id"] = target.experiment_id
    return body


def submit(target: Retraining, model: str, version: str, reason: str,
           transport: httpx.BaseTransport | None = None) -> dict[str, Any]:  # fmt: skip
    """Send the run request; the answer (run id, or why not) for the evidence log."""
    body = request_body(target, model, version, reason)
    if not target.host:
        return {"submitted": False, "ok": False, "reason": "no KFP host configured",
                "request": body}  # fmt: skip
    try:
        token = kfp_token()
    except BadInputError as error:
        return {"submitted": False, "ok": False, "reason": str(error), "request": body}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{target.host.rstrip('/')}/apis/v2beta1/runs"
    try:
        with httpx.Client(timeout=30, transport=transport, headers=headers) as http:
            response = http.post(url, json=body)
    except httpx.HTTPError as error:
        return {"submitted": False, "ok": False, "reason": f"{type(error).__name__}: {error}",
                "request": body}  # fmt: skip
    if response.status_code >= 300:
        return {"submitted": True, "ok": False, "reason": f"HTTP {response.status_code}: "
                f"{response.text[:300]}", "request": body}  # fmt: skip
    try:
        run_id = response.json().get("run_id")
    except ValueError:
        run_id = None
    if not run_id:
        return {"submitted": True, "ok": False, "reason": "KFP answered without a run_id",
                "request": body}  # fmt: skip
    return {"submitted": True, "ok": True, "run_id": run_id, "request": body}
