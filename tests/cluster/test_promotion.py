"""Promotion on the cluster: after `mlops promote` the rendered release is applied as an Argo CD
sync would and the API server accepts its InferenceServices (their CRD's schema and CEL rules);
after `mlops rollback` the sync restores the previous release."""

import pytest

from mlops.cluster.stacks import rendered_manifests
from tests.gates.scenario import MODEL, World, run_git
from tests.promotion.test_scenario import promote_and_merge

pytestmark = pytest.mark.cluster

ENV = "int"


def sync(control_plane, world: World) -> dict[str, dict]:
    """Apply the environment's rendered manifests; the InferenceServices as the server has them."""
    applied = control_plane.stacks.apply_manifests(ENV, rendered_manifests(world.repo, ENV))
    assert applied.refused == [], [f"{r.key}: {r.message}" for r in applied.refused]
    return {o["metadata"]["name"]: o for o in applied.accepted if o["kind"] == "InferenceService"}


def specs(services: dict[str, dict]) -> dict[str, tuple[str, dict]]:
    return {name: (s["metadata"]["labels"]["mlops.platform/version"], s["spec"])
            for name, s in services.items()}  # fmt: skip


def test_promote_sync_rollback_sync(control_plane, plans, world: World) -> None:
    from mlops.promotion.rollback import rollback

    control_plane.on(plans[ENV])
    first, second = world.register(), world.register()
    synced = []
    for version in (first, second):
        world.training_evidence(version)
        promote_and_merge(world, version, "dev")
        promote_and_merge(world, version, ENV)
        synced.append(specs(sync(control_plane, world)))
    assert synced[0] and {v for v, _ in synced[0].values()} == {first}
    assert second in {v for v, _ in synced[1].values()}

    done = rollback(world.repo, MODEL, ENV, world.context())
    run_git(world.repo, "checkout", "--quiet", done.branch)
    assert specs(sync(control_plane, world)) == synced[0]
