"""Pods the controllers create from the platform's workloads pass Pod Security admission at
their namespace's level, and a pod that breaks `restricted` is refused in int."""

import time
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

pytestmark = pytest.mark.cluster

WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")
TIMEOUT = 60.0
# Violates `restricted` (root allowed, privilege escalation, capabilities kept, no seccomp
# profile) while meeting `baseline`.
NOT_RESTRICTED = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "not-restricted"},
    "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]},
}


def _pods_of(core: client.CoreV1Api, namespace: str, selector: dict[str, str]) -> list[Any]:
    labels = ",".join(f"{k}={v}" for k, v in selector.items())
    return core.list_namespaced_pod(namespace, label_selector=labels).items


def _failure(core: client.CoreV1Api, namespace: str) -> str:
    events = core.list_namespaced_event(namespace).items
    return "; ".join(e.message for e in events if e.reason in {"FailedCreate"})[:2000]


def _wait_for_pods(core, namespace: str, selector: dict[str, str], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not _pods_of(core, namespace, selector):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: no pod created in {TIMEOUT:.0f} s: {_failure(core, namespace)}")
        time.sleep(0.25)


@pytest.mark.parametrize("stack", ("local", "dev", "int", "prod"))
def test_controller_created_pods_pass_pod_security(control_plane, plans, stack: str) -> None:
    objects, manifests = control_plane.on(plans[stack])
    core = client.CoreV1Api(control_plane.api)
    batch = client.BatchV1Api(control_plane.api)
    workloads = [o for o in objects.accepted + manifests.accepted if o["kind"] in WORKLOADS]
    print(
        f"\n{stack}: {len(workloads)} workloads: "
        + ", ".join(
            f"{o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}" for o in workloads
        )
    )
    for obj in workloads:
        namespace, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        what = f"{stack}: {obj['kind']} {namespace}/{name}"
        if obj["kind"] == "CronJob":  # the schedule may be hours away: run it now, as kubectl does
            job_name = f"{name}-now"[:52]
            job = {"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": job_name, "namespace": namespace},
                   "spec": obj["spec"]["jobTemplate"]["spec"]}  # fmt: skip
            try:
                batch.create_namespaced_job(namespace, job)
            except ApiException as error:
                if error.status != 409:
                    raise
            _wait_for_pods(core, namespace, {"job-name": job_name}, what)
        elif obj["kind"] == "Job":
            _wait_for_pods(core, namespace, {"job-name": name}, what)
        else:
            _wait_for_pods(core, namespace, obj["spec"]["selector"]["matchLabels"], what)


def test_a_pod_breaking_restricted_is_refused_in_int_and_admitted_in_dev(
    control_plane, plans
) -> None:
    control_plane.on(plans["int"])
    core = client.CoreV1Api(control_plane.api)
    labels = core.read_namespace("models").metadata.labels
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod("models", NOT_RESTRICTED, dry_run="All")
    assert refused.value.status == 403
    assert "violates PodSecurity" in refused.value.body and "restricted:" in refused.value.body

    control_plane.on(plans["dev"])
    assert (
        core.read_namespace("models").metadata.labels["pod-security.kubernetes.io/enforce"]
        == "baseline"
    )
    admitted = core.create_namespaced_pod("models", NOT_RESTRICTED, dry_run="All")
    assert admitted.metadata.name == "not-restricted"
