"""Every object each stack's plan declares directly is accepted by the real API server
(server-side apply, strict field validation, dependency order, CRDs from the vendored
definitions); every rendered gitops/ manifest is accepted and lies within its AppProject."""

from fnmatch import fnmatch

import pytest

from mlops.cluster.order import manifest, patch_targets_missing, waves
from mlops.preflight.declared import is_kubernetes_object
from tests.conftest import STACK_NAMES

pytestmark = pytest.mark.cluster


def test_vendored_crds_are_established(control_plane) -> None:
    assert control_plane.crds.refused == []
    assert len(control_plane.crds.accepted) >= 11


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_plan_objects_are_accepted(control_plane, plans, stack: str) -> None:
    plan = plans[stack]
    objects, _ = control_plane.on(plan)
    print(f"\n{objects.summary()} in {len(waves(plan.resources))} waves")
    assert objects.refused == [], "\n".join(f"{r.key}: {r.message}" for r in objects.refused)
    declared = [r for r in plan.resources if is_kubernetes_object(r)]
    assert len(objects.accepted) + len(objects.skipped) == len(declared)
    assert all("Helm release" in why for why in objects.skipped.values())


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_gitops_manifests_are_accepted_within_their_app_project(
    control_plane, plans, stack: str
) -> None:
    plan = plans[stack]
    _, manifests = control_plane.on(plan)
    print(f"\n{manifests.summary()} (gitops/envs/{stack}/rendered)")
    assert manifests.refused == [], "\n".join(f"{r.key}: {r.message}" for r in manifests.refused)
    (project,) = [manifest(r) for r in plan.resources if r.type.endswith(":AppProject")]
    spec = project["spec"]
    kinds = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
    destinations = [d["namespace"] for d in spec["destinations"]]
    for obj in manifests.accepted:
        group = obj["apiVersion"].rpartition("/")[0]
        where = f"{obj['kind']} {obj['metadata']['name']}"
        assert (group, obj["kind"]) in kinds, (
            f"{where}: kind outside AppProject {project['metadata']['name']}"
        )
        namespace = obj["metadata"].get("namespace")
        assert namespace and any(fnmatch(namespace, d) for d in destinations), where


def test_a_patch_of_a_helm_object_is_left_out_only_when_the_plan_lacks_its_target(plans) -> None:
    patches = [r for r in plans["prod"].resources if r.type.endswith("Patch")]
    assert patches, "prod declares a Deployment patch (KServe controller replicas)"
    declared = {(manifest(p)["kind"], manifest(p)["metadata"].get("namespace", ""),
                 manifest(p)["metadata"]["name"]) for p in patches}  # fmt: skip
    assert all(patch_targets_missing(p, set()) for p in patches)
    assert not any(patch_targets_missing(p, declared) for p in patches)
