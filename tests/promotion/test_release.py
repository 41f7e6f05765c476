"""Strategy parsing and what a promotion does to the rollout keys."""

from __future__ import annotations

import pytest

from mlops.errors import BadInputError
from mlops.gitops.descriptor import load_release
from mlops.promotion.release import INCUMBENT_FIELDS, Strategy, rollout
from tests.conftest import REPO


def release(env: str):
    return load_release(REPO / f"gitops/envs/{env}/models/credit-risk.yaml")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("canary:10", Strategy("canary", 10)),
        ("shadow", Strategy("shadow")),
        ("blue-green", Strategy("blue-green")),
    ],
)
def test_parse(text: str, parsed: Strategy):
    assert Strategy.parse(text) == parsed
    assert parsed.render() == text


@pytest.mark.parametrize("text", ["canary:101", "blue-green:5", "rolling", "canary:x"])
def test_parse_refuses(text: str):
    with pytest.raises(BadInputError, match="--strategy"):
        Strategy.parse(text)


def test_outgoing_version_becomes_the_incumbent():
    old = release("prod")
    updates, removals = rollout(old, same_env=True, chosen=Strategy("canary", 5))
    assert set(updates) == {"strategy", "canary_traffic_percent", *INCUMBENT_FIELDS}
    assert (updates["strategy"], updates["canary_traffic_percent"]) == ("canary", 5)
    assert updates["incumbent_version"] == old.registry_version == 2
    assert updates["incumbent_storage_uri"] == old.storage_uri
    assert updates["incumbent_model_digest"] == old.model_digest
    assert updates["incumbent_code_commit"] == old.code_commit
    assert updates["incumbent_gate_report"] == old.gate_report
    assert set(removals) == {"shadow_mirror_percent", "release_color", "active_color"}


def test_blue_green_alternates_colours():
    updates, _ = rollout(release("int"), same_env=True, chosen=None)
    assert (updates["release_color"], updates["active_color"]) == ("blue", "blue")


def test_first_release_into_an_environment_is_direct():
    updates, removals = rollout(release("dev"), same_env=False, chosen=None)
    assert updates == {"strategy": "direct"}
    assert "incumbent_version" in removals
    with pytest.raises(BadInputError, match="first release"):
        rollout(release("dev"), same_env=False, chosen=Strategy("shadow"))
