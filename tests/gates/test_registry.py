"""The REST registry maps MLflow's JSON (shapes recorded from `mlflow server` 3.17) and treats
a missing version or alias as absent, not as an error."""

from __future__ import annotations

import json

import httpx
import pytest

from mlops.errors import BadInputError
from mlops.gates.registry import (
    MlflowRegistry,
    RegistryUnavailableError,
    RestRegistry,
    registry_from,
)

VERSION = {
    "model_version": {
        "name": "credit-risk", "version": "5", "current_stage": "None",
        "source": "file:///artifacts/credit-risk/5/model", "status": "READY",
        "tags": [{"key": "handover.model_digest", "value": "sha256:" + "a" * 64}],
        "aliases": ["serving-dev"],
    }
}  # fmt: skip
MISSING_VERSION = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Model Version (name=credit-risk, version=9) not found"}  # fmt: skip
MISSING_ALIAS = {"error_code": "INVALID_PARAMETER_VALUE", "message": "Registered model alias nope not found."}  # fmt: skip


def registry(monkeypatch: pytest.MonkeyPatch, seen: list[httpx.Request]) -> RestRegistry:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok")

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        query = dict(request.url.params)
        if request.url.path.endswith("/model-versions/get"):
            return (
                httpx.Response(200, json=VERSION)
                if query["version"] == "5"
                else httpx.Response(404, json=MISSING_VERSION)
            )
        if request.method == "GET":
            return (
                httpx.Response(200, json=VERSION)
                if query["alias"] == "serving-dev"
                else httpx.Response(400, json=MISSING_ALIAS)
            )
        return (
            httpx.Response(200, json={})
            if json.loads(request.content)["version"] == "5"
            else httpx.Response(404, json=MISSING_VERSION)
        )

    found = RestRegistry("http://mlflow.test/")
    found._http = httpx.Client(base_url="http://mlflow.test/api/2.0/mlflow", transport=httpx.MockTransport(answer),
                               headers=found._http.headers)  # fmt: skip
    return found


def test_version_alias_and_set_alias(monkeypatch: pytest.MonkeyPatch):
    seen: list[httpx.Request] = []
    rest = registry(monkeypatch, seen)
    version = rest.model_version("credit-risk", "5")
    assert version is not None
    assert (version.version, version.aliases) == ("5", ("serving-dev",))
    assert version.tags == {"handover.model_digest": "sha256:" + "a" * 64}
    assert rest.model_version("credit-risk", "9") is None
    assert rest.version_by_alias("credit-risk", "serving-dev") == "5"
    assert rest.version_by_alias("credit-risk", "nope") is None
    rest.set_alias("credit-risk", "serving-int", "5")
    with pytest.raises(BadInputError, match="no model version"):
        rest.set_alias("credit-risk", "serving-int", "9")
    assert seen[0].headers["authorization"] == "Bearer tok"
    assert seen[0].url.path == "/api/2.0/mlflow/model-versions/get"


def test_server_errors_are_not_mistaken_for_absence(monkeypatch: pytest.MonkeyPatch):
    rest = RestRegistry("http://mlflow.test")
    rest._http = httpx.Client(
        base_url="http://mlflow.test",
        transport=httpx.MockTransport(lambda _: httpx.Response(503, text="down")),
    )
    with pytest.raises(RegistryUnavailableError, match="HTTP 503"):
        rest.model_version("credit-risk", "5")


def test_uri_picks_the_implementation(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert isinstance(registry_from("https://mlflow.example"), RestRegistry)
    assert isinstance(registry_from("sqlite:////tmp/x.db"), MlflowRegistry)
    with pytest.raises(BadInputError, match="MLFLOW_TRACKING_URI"):
        registry_from(None)


def test_a_process_wide_registry_uri_does_not_redirect_the_gates(world, tmp_path):
    """Pipelines call mlflow.set_registry_uri(); the gates must still read their own registry."""
    import shutil

    import mlflow

    from tests.gates.scenario import _TEMPLATE, MODEL

    other = tmp_path / "other.db"
    shutil.copy2(_TEMPLATE[0], other)
    previous = mlflow.get_registry_uri()
    mlflow.set_registry_uri(f"sqlite:///{other}")
    try:
        version = world.register()
        assert MlflowRegistry(world.tracking_uri).model_version(MODEL, version) is not None
        assert MlflowRegistry(f"sqlite:///{other}").model_version(MODEL, version) is None
    finally:
        mlflow.set_registry_uri(previous)
