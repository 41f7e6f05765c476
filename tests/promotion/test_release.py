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
        ("canary:10,50,100", Strategy("canary", 10, (10, 50, 100))),
        ("canary:10,100", Strategy("canary", 10, (10, 100))),
        ("shadow", Strategy("shadow")),
        ("shadow:50", Strategy("shadow", 50)),
        ("blue-green", Strategy("blue-green")),
    ],
)
def test_parse(text: str, parsed: Strategy):
    assert Strategy.parse(text) == parsed
    assert parsed.render() == text


def test_a_canary_always_ends_at_all_traffic():
    assert Strategy.parse("canary:10").steps == (10, 100)
    assert Strategy.parse("canary:5,25").steps == (5, 25, 100)


@pytest.mark.parametrize(
    "text",
    ["canary:101", "blue-green:5", "rolling", "canary:x", "canary:50,10", "canary:0",
     "canary:10,10,100", "shadow:10,50", "canary:"],
)  # fmt: skip
def test_parse_refuses(text: str):
    with pytest.raises(BadInputError, match="--strategy"):
        Strategy.parse(text)


def test_outgoing_version_becomes_the_incumbent():
    old = release("prod")
    updates, removals = rollout(old, same_env=True, chosen=Strategy("canary", 5))
    assert set(updates) == {
        "strategy", "canary_traffic_percent", "canary_steps", *INCUMBENT_FIELDS
    }  # fmt: skip
    assert (updates["strategy"], updates["canary_traffic_percent"]) == ("canary", 5)
    assert updates["canary_steps"] == [5, 100]
    assert updates["incumbent_version"] == old.registry_version == 2
    assert updates["incumbent_storage_uri"] == old.storage_uri
    assert updates["incumbent_model_digest"] == old.model_digest
    assert updates["incumbent_code_commit"] == old.code_commit
    assert updates["incumbent_gate_report"] == old.gate_report
    assert set(removals) == {"shadow_mirror_percent", "release_color", "active_color"}


def test_blue_green_deploys_the_idle_colour_and_keeps_traffic_on_the_serving_one():
    old = release("int")  # v2 on green, switched
    updates, _ = rollout(old, same_env=True, chosen=None)
    assert (updates["release_color"], updates["active_color"]) == ("blue", "green")
    assert updates["incumbent_version"] == old.registry_version


def test_a_canary_keeps_the_steps_of_the_environment():
    updates, _ = rollout(release("prod"), same_env=True, chosen=None)
    assert updates["canary_steps"] == [10, 50, 100]
    assert updates["canary_traffic_percent"] == 10


def test_first_release_into_an_environment_is_direct():
    updates, removals = rollout(release("dev"), same_env=False, chosen=None)
    assert updates == {"strategy": "direct"}
    assert "incumbent_version" in removals
    with pytest.raises(BadInputError, match="first release"):
        rollout(release("dev"), same_env=False, chosen=Strategy("shadow"))
