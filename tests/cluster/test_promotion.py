"""Promotion on the cluster: what `mlops promote` renders into gitops/envs/dev, applied as Argo CD's
sync of the merged branch would, is accepted by the API server and carries the promoted version;
after `mlops rollback` the next sync leaves the InferenceServices as the previous release had
them. Read back from the API server, not from the rendered files."""

from __future__ import annotations

from typing import Any

import pytest

from mlops.cluster.stacks import rendered_manifests
from mlops.promotion.rollback import rollback
from tests.gates.scenario import MODEL, World, promote_and_merge

pytestmark = pytest.mark.cluster
ENV = "dev"
VERSION_LABEL = "mlops.platform/version"
DIGEST_ANNOTATION = "mlops.platform/model-digest"


def synced(control_plane, plans, world: World) -> dict[str, dict[str, Any]]:
    """Sync the scratch clone's dev release; every InferenceService as the API server holds it."""
    result = control_plane.sync(plans[ENV], world.repo)
    assert result.refused == [], "\n".join(f"{r.key}: {r.message}" for r in result.refused)
    rendered = [o for o in rendered_manifests(world.repo, ENV) if o["kind"] == "InferenceService"]
    assert rendered, f"gitops/envs/{ENV}/rendered holds no InferenceService"
    resource = control_plane.stacks.applier.resource(rendered[0])
    live = {}
    for obj in rendered:
        name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
        live[name] = resource.get(name=name, namespace=namespace).to_dict()
    return live


def serving(live: dict[str, dict[str, Any]], version: str) -> dict[str, Any]:
    """The live InferenceService whose predictor serves `version`."""
    found = [o for o in live.values() if o["spec"]["predictor"]["labels"][VERSION_LABEL] == version]
    assert len(found) == 1, f"v{version} served by {[o['metadata']['name'] for o in found]}"
    return found[0]


def assert_serves(live: dict[str, dict[str, Any]], world: World, version: str) -> None:
    """The live object names the registered version's artifact and digest, where KServe and the
    predictor read them (storage URI, digest annotation, the predictor's checksum variable)."""
    tags = world.tags(MODEL, version)
    isvc = serving(live, version)
    model = isvc["spec"]["predictor"]["model"]
    assert model["storageUri"] == tags["storage_uri"]
    assert isvc["metadata"]["annotations"][DIGEST_ANNOTATION] == tags["model_digest"]
    env = {e["name"]: e.get("value") for e in model["env"]}
    assert "sha256:" + env["MLOPS_MODEL_SHA256"] == tags["model_digest"]


def declared(live: dict[str, dict[str, Any]]) -> dict[str, tuple[Any, Any, Any]]:
    """What a sync sets on each InferenceService (not what the server adds: uid, generation)."""
    return {
        name: (o["spec"], o["metadata"]["labels"], o["metadata"]["annotations"])
        for name, o in live.items()
    }


def test_promote_and_rollback_reach_the_live_inference_service(
    control_plane, plans, world: World
) -> None:
    first, second = world.register(), world.register()
    for version in (first, second):
        world.training_evidence(version)

    promote_and_merge(world, first, ENV)
    after_first = synced(control_plane, plans, world)
    assert_serves(after_first, world, first)

    promote_and_merge(world, second, ENV)
    after_second = synced(control_plane, plans, world)
    assert_serves(after_second, world, second)
    assert declared(after_second) != declared(after_first)

    done = rollback(world.repo, MODEL, ENV, world.context())
    assert (done.from_version, done.to_version) == (second, first)
    world.merge(done.branch)
    after_rollback = synced(control_plane, plans, world)
    assert_serves(after_rollback, world, first)
    second_uri = world.tags(MODEL, second)["storage_uri"]
    assert all(
        o["spec"]["predictor"]["model"]["storageUri"] != second_uri for o in after_rollback.values()
    )
    assert declared(after_rollback) == declared(after_first)
