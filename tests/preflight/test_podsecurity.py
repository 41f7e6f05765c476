"""Pod Security Standards as admission applies them to the pods a workload creates."""

from typing import Any

import pytest

from mlops.preflight.podsecurity import violations

RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def deployment(pod: dict[str, Any], container: dict[str, Any] | None = None) -> dict[str, Any]:
    spec = {"containers": [{"name": "app", "image": "a", "securityContext": container or {}}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"spec": {**spec, **pod}}},
    }


def test_a_hardened_pod_passes_restricted() -> None:
    assert violations(deployment({}, RESTRICTED_CONTAINER), "restricted") == []


def test_restricted_names_each_missing_setting() -> None:
    found = violations(deployment({}, {"runAsNonRoot": True}), "restricted")
    assert found == [
        "container app: allowPrivilegeEscalation is not false",
        "container app: seccompProfile is not RuntimeDefault or Localhost",
        "container app: capabilities do not drop ALL",
    ]


def test_pod_level_settings_count_for_every_container() -> None:
    pod = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}
    container = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert violations(deployment(pod, container), "restricted") == []


@pytest.mark.parametrize(
    ("pod", "container", "message"),
    [
        ({"hostNetwork": True}, {}, "hostNetwork=true"),
        ({"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}, {}, "hostPath volume h"),
        ({}, {"privileged": True}, "container app: privileged"),
        (
            {},
            {"capabilities": {"add": ["SYS_ADMIN"]}},
            "container app: adds capabilities ['SYS_ADMIN']",
        ),
        (
            {},
            {"seccompProfile": {"type": "Unconfined"}},
            "container app: seccompProfile Unconfined",
        ),
    ],
)
def test_baseline_refuses_host_access_and_privilege(
    pod: dict[str, Any], container: dict[str, Any], message: str
) -> None:
    assert message in violations(deployment(pod, container), "baseline")
    assert violations(deployment(pod, container), "privileged") == []


def test_restricted_allows_only_its_volume_types() -> None:
    pod = {"volumes": [{"name": "n", "nfs": {"server": "s", "path": "/"}}]}
    assert "volume n of type nfs" in violations(deployment(pod, RESTRICTED_CONTAINER), "restricted")
    assert violations(deployment(pod, RESTRICTED_CONTAINER), "baseline") == []


def test_cronjob_pods_are_found_and_other_kinds_ignored() -> None:
    cronjob = {
        "kind": "CronJob",
        "spec": {
            "jobTemplate": {"spec": {"template": {"spec": {"hostPID": True, "containers": []}}}}
        },
    }
    assert violations(cronjob, "baseline") == ["hostPID=true"]
    assert violations({"kind": "ConfigMap", "data": {}}, "restricted") == []


def test_a_workload_scaled_to_zero_creates_no_pods_to_refuse() -> None:
    scaled_down = deployment({"hostNetwork": True})
    scaled_down["spec"]["replicas"] = 0
    assert violations(scaled_down, "baseline") == []
