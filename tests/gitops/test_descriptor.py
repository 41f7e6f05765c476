"""The release descriptor: the committed samples are valid, mistakes name the key, and the
published JSON Schema is current and agrees with the model."""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlops.errors import BadInputError
from mlops.gitops.descriptor import json_schema, load_release, parse_release
from tests.gitops.conftest import ENVS, REPO

SCHEMA_FILE = REPO / "gitops/schema/model-release.schema.json"


def test_samples_are_one_model_at_three_versions() -> None:
    releases = {
        env: load_release(REPO / f"gitops/envs/{env}/models/credit-risk.yaml") for env in ENVS
    }
    assert {r.model for r in releases.values()} == {"credit-risk"}
    versions = [releases[env].registry_version for env in ENVS]
    assert len(set(versions)) == 3
    assert {r.model_format for r in releases.values()} == {"mlflow"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"modle_digest": "x"}, "modle_digest: unknown key; allowed: model, "),
        ({"model_digest": "sha256:abc"}, "model_digest: String should match pattern"),
        ({"model_digest": "md5:" + "a" * 64}, "model_digest"),
        ({"canary_traffic_percent": -5}, "canary_traffic_percent: Input should be greater than"),
        ({"canary_traffic_percent": 101}, "canary_traffic_percent: Input should be less than"),
        ({"code_commit": "HEAD"}, "code_commit"),
        ({"strategy": "rolling"}, "strategy: Input should be 'direct', 'canary', 'shadow'"),
        (
            {"runtime": "triton"},
            "runtime: unknown 'triton'; allowed: platform-predictor",
        ),
        ({"model_format": "onnx"}, "model_format: 'onnx' is not served by platform-predictor"),
        ({"min_replicas": 5, "max_replicas": 2}, "max_replicas (2) is below min_replicas (5)"),
        ({"release_color": "blue"}, "release_color: only used with strategy blue-green"),
        (
            {"strategy": "blue-green", "canary_traffic_percent": None, "canary_steps": None},
            "release_color and active_color",
        ),
        ({"canary_steps": [10, 50]}, "canary_steps: [10, 50]; allowed: ascending, ending at 100"),
        ({"canary_steps": [50, 10, 100]}, "canary_steps: [50, 10, 100]; allowed: ascending"),
        ({"canary_traffic_percent": 25}, "canary_traffic_percent: 25 is not one of canary_steps"),
        ({"incumbent_storage_uri": None}, "set all three or none"),
    ],
)
def test_mistakes_name_the_key(
    sample: dict[str, Any], change: dict[str, Any], expected: str
) -> None:
    raw = {**sample, **change}
    with pytest.raises(BadInputError) as info:
        parse_release({k: v for k, v in raw.items() if v is not None}, "x.yaml")
    assert str(info.value).startswith("x.yaml: ")
    assert expected in str(info.value)


def test_missing_key_is_named(sample: dict[str, Any]) -> None:
    del sample["model_digest"]
    with pytest.raises(BadInputError, match="model_digest: required key is missing"):
        parse_release(sample, "x.yaml")


def test_shadow_and_blue_green_need_the_incumbent(sample: dict[str, Any]) -> None:
    for key in (
        "canary_traffic_percent",
        "canary_steps",
        "incumbent_version",
        "incumbent_storage_uri",
        "incumbent_model_digest",
    ):
        del sample[key]
    sample["strategy"] = "shadow"
    sample["runtime"] = "platform-predictor"
    with pytest.raises(BadInputError, match="required by strategy shadow"):
        parse_release(sample, "x.yaml")


def test_file_name_must_be_the_model(tmp_path: Path) -> None:
    text = (REPO / "gitops/envs/prod/models/credit-risk.yaml").read_text()
    path = tmp_path / "fraud.yaml"
    path.write_text(text)
    with pytest.raises(BadInputError, match="must match the file name"):
        load_release(path)


def test_descriptor_is_not_a_mapping() -> None:
    with pytest.raises(BadInputError, match="must be a mapping"):
        parse_release(["model"], "x.yaml")


def test_published_schema_is_current() -> None:
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == json_schema(), "run `mlops render --env dev` to refresh the schema"


def test_published_schema_accepts_samples_and_rejects_unknown_keys(sample: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    assert not list(validator.iter_errors(sample))
    assert list(validator.iter_errors({**sample, "surprise": 1}))
    assert list(validator.iter_errors({**sample, "model_digest": "sha256:00"}))
