"""Values keys that change nothing: the search logic on a scripted renderer, then the real Helm
on a fixture chart."""

import json
import random
from typing import Any

import pytest

from mlops.preflight.render import RenderError
from mlops.preflight.values import ineffective_keys, leaves
from tests.preflight.conftest import renderer


def scripted() -> Any:
    """A 'chart' reading `image`, `replicas`, `enabled` and `resources`; the output also carries
    a generated password, as real charts' Secrets do."""

    def render(values: dict[str, Any]) -> str:
        if str(values.get("mode", "a")) not in ("a", "b"):
            raise RenderError("mode must be a or b")
        spec = {
            "image": values.get("image"),
            "replicas": values.get("replicas"),
            "resources": values.get("resources"),
            "mode": values.get("mode"),
        }
        if values.get("enabled"):
            spec["extra"] = True
        secret = {"kind": "Secret", "password": str(random.random())}
        return json.dumps(spec) + "\n---\n" + json.dumps(secret)

    return render


VALUES = {
    "image": "app:1",
    "replicas": 2,
    "enabled": True,
    "resources": {"limits": {"cpu": "1"}},
    "mode": "a",
    "ignored": {"flag": False, "name": "x", "list": [1, 2]},
    "typo_replicas": 3,
}


def test_leaves_are_scalars_lists_and_empty_maps() -> None:
    found = {leaf.dotted for leaf in leaves({"a": {"b": 1, "c": [1], "d": {}}, "e": None})}
    assert found == {"a.b", "a.c", "a.d", "e"}


def test_only_keys_the_chart_does_not_read_are_reported() -> None:
    render = scripted()
    keys = ineffective_keys("app", VALUES, render(VALUES), render, workers=2)
    assert sorted(keys) == ["ignored.flag", "ignored.list", "ignored.name", "typo_replicas"]


def test_a_value_the_chart_validates_is_read_even_when_its_marker_breaks_the_render() -> None:
    render = scripted()
    keys = ineffective_keys("app", {"mode": "b", "unused": "x"}, render({"mode": "b"}), render, 2)
    assert keys == ["unused"]


def test_free_form_maps_are_never_reported() -> None:
    render = scripted()
    values = {"hub": {"config": {"Authenticator": {"admin_users": ["a"]}}}, "image": "app:1"}
    assert ineffective_keys("jupyterhub", values, render(values), render, 2) == []
    assert ineffective_keys("other", values, render(values), render, 2) == [
        "hub.config.Authenticator.admin_users"
    ]


def test_keys_sharing_one_dict_are_judged_separately() -> None:
    shared = {"cpu": "1"}
    render = scripted()
    values = {"resources": {"limits": shared}, "unused": {"limits": shared}}
    assert ineffective_keys("app", values, render(values), render, 2) == ["unused.limits.cpu"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"name": "a", "replicas": 2, "hardened": False}, []),
        ({"name": "a", "replica": 2, "hardend": False}, ["hardend", "replica"]),
        ({"name": "a", "widget": {"enabled": False, "size": 3}}, ["widget.size"]),
        ({"name": "a", "widget": {"enabled": True, "size": 3}}, []),
    ],
)
def test_real_helm_reports_what_the_fixture_chart_ignores(
    helm: Any, values: dict[str, Any], expected: list[str]
) -> None:
    chart = renderer(helm, "app", values)
    keys = ineffective_keys("app", values, chart.render(values), chart.probe, workers=2)
    assert sorted(keys) == expected
