"""Rollouts that finish: a canary walked step by step on live evidence, a breach that opens the
rollback, and a blue-green release that takes no traffic before its switch (scratch Git
repository, real MLflow on SQLite, real audit log)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mlops.errors import CheckFailedError
from mlops.gates import evidence_names as names
from mlops.governance.entry import Subject
from mlops.governance.quality import verdict_of
from mlops.promotion.advance import advance
from mlops.promotion.promote import promote
from mlops.promotion.release import Strategy
from tests.gates.scenario import MODEL, World, promote_and_merge, run_git

DAY = 25.0
GOOD = {
    names.LIVE_ERROR_RATE: 0.001,
    names.LIVE_P95_LATENCY_MS: 80.0,
    names.LIVE_DRIFTED_FEATURES: 0,
}


def live(world: World, version: str, env: str = "prod", **overrides: float) -> None:
    """What the evidence collector records for one version's share of live traffic."""
    for name, value in {**GOOD, **overrides}.items():
        world.audit.append(Subject(model=MODEL, version=version, environment=env), name, value,
                           None, "mlops evidence collect")  # fmt: skip


def to_int(world: World) -> str:
    """A new registered version, with its training evidence, promoted through dev into int."""
    version = world.register()
    world.training_evidence(version)
    for env in ("dev", "int"):
        promote_and_merge(world, version, env)
    return version


def to_prod(world: World, strategy: str = "canary:10,50,100") -> str:
    """A new version through dev and int (tested on int's idle colour, switched) into prod."""
    version = to_int(world)
    world.int_evidence(version)
    world.merge(advance(world.repo, MODEL, "int", world.factory()).branch)
    promote_and_merge(world, version, "prod", DAY, strategy=Strategy.parse(strategy))
    return version


def rendered(world: World, env: str, kind: str, name: str) -> dict[str, Any]:
    path = world.repo / f"gitops/envs/{env}/rendered/{MODEL}/{kind}-{name}.yaml"
    return yaml.safe_load(path.read_text())


def descriptor(world: World, env: str) -> dict[str, Any]:
    return yaml.safe_load(world.descriptor(env))


def walk_to_full_traffic(world: World, version: str, incumbent: str) -> list[str]:
    branches = []
    for _ in range(2):
        live(world, version)
        live(world, incumbent)
        step = advance(world.repo, MODEL, "prod", world.factory())
        assert step.branch is not None and step.result is not None and step.result.passed
        world.merge(step.branch)
        branches.append(step.branch)
    return branches


def test_a_canary_walks_10_50_100_on_live_evidence_and_retires_the_incumbent(world: World):
    version = to_prod(world)
    start = descriptor(world, "prod")
    assert (start["canary_traffic_percent"], start["canary_steps"]) == (10, [10, 50, 100])
    incumbent = str(start["incumbent_version"])
    isvc = rendered(world, "prod", "inferenceservice", MODEL)
    assert isvc["spec"]["predictor"]["canaryTrafficPercent"] == 10
    assert isvc["metadata"]["annotations"]["mlops.platform/traffic"] == (
        f"v{version}=10%,v{incumbent}=90%"
    )

    unmeasured = advance(world.repo, MODEL, "prod", world.factory())
    assert unmeasured.waiting and unmeasured.rolled_back is None  # no step, no rollback
    assert descriptor(world, "prod")["canary_traffic_percent"] == 10

    first, last = walk_to_full_traffic(world, version, incumbent)
    assert first == f"rollout/{MODEL}/prod/v{version}/50"
    assert last == f"rollout/{MODEL}/prod/v{version}/100"
    done = descriptor(world, "prod")
    assert done["canary_traffic_percent"] == 100 and done["registry_version"] == int(version)
    assert not [key for key in done if key.startswith("incumbent_")]
    isvc = rendered(world, "prod", "inferenceservice", MODEL)
    assert isvc["spec"]["predictor"]["canaryTrafficPercent"] == 100
    assert isvc["metadata"]["annotations"]["mlops.platform/traffic"] == f"v{version}=100%"
    message = run_git(world.repo, "log", "-1", "--format=%B", last)
    assert "Gate: canary-step-prod passed" in message
    with pytest.raises(CheckFailedError, match="no rollout in progress"):
        advance(world.repo, MODEL, "prod", world.factory())


def test_evidence_of_an_earlier_step_does_not_admit_the_next(world: World):
    version = to_prod(world)
    incumbent = str(descriptor(world, "prod")["incumbent_version"])
    live(world, version)
    live(world, incumbent)
    later = advance(world.repo, MODEL, "prod", world.factory(hours_later=7))
    assert later.waiting and later.branch is None
    assert later.result is not None and not later.result.passed
    assert descriptor(world, "prod")["canary_traffic_percent"] == 10


def test_a_breach_between_steps_opens_the_rollback_instead(world: World):
    first = to_prod(world)
    walk_to_full_traffic(world, first, str(descriptor(world, "prod")["incumbent_version"]))
    second = to_prod(world, "canary:10,50")
    assert descriptor(world, "prod")["incumbent_version"] == int(first)
    live(world, first)
    live(world, second, **{names.LIVE_ERROR_RATE: 0.05})  # 5 % errors on the canary's share

    step = advance(world.repo, MODEL, "prod", world.factory())

    assert step.branch is None and step.rolled_back is not None
    assert (step.rolled_back.from_version, step.rolled_back.to_version) == (second, first)
    assert f"rollout/{MODEL}/prod/v{second}/50" not in run_git(world.repo, "branch")
    world.merge(step.rolled_back.branch)
    back = descriptor(world, "prod")
    assert back["registry_version"] == int(first) and back["canary_traffic_percent"] == 100
    verdicts = world.audit.query(Subject(model=MODEL, version=second), kind="verdict")
    step_verdict = verdict_of([e for e in verdicts if e.name == "gate.canary-step-prod"][-1])
    assert step_verdict is not None and not step_verdict.passed
    failed = [rule for rule in step_verdict.rules if not rule.passed]
    assert [rule.measurement for rule in failed] == [names.LIVE_ERROR_RATE]


def test_blue_green_takes_no_traffic_before_the_switch(world: World):
    version = to_int(world)
    released = descriptor(world, "int")
    idle, serving = released["release_color"], released["active_color"]
    assert idle != serving
    switch = rendered(world, "int", "service", MODEL)
    new = rendered(world, "int", "inferenceservice", f"{MODEL}-{idle}")
    old = rendered(world, "int", "inferenceservice", f"{MODEL}-{serving}")
    selector = switch["spec"]["selector"].items()
    assert new["spec"]["predictor"]["labels"]["mlops.platform/version"] == version
    assert not selector <= new["spec"]["predictor"]["labels"].items()  # no traffic yet
    assert selector <= old["spec"]["predictor"]["labels"].items()

    untested = advance(world.repo, MODEL, "int", world.factory())
    assert untested.waiting  # no equivalence or load test of the idle colour yet
    assert (
        rendered(world, "int", "service", MODEL)["spec"]["selector"] == switch["spec"]["selector"]
    )

    world.int_evidence(version)
    step = advance(world.repo, MODEL, "int", world.factory())
    assert step.branch == f"rollout/{MODEL}/int/v{version}/switch"
    witnessed = [p for p in step.changed if p.startswith("audit/checkpoints/")]
    assert len(witnessed) == 1  # the step's commit witnesses the log's newest checkpoint
    world.merge(step.branch)
    switched = rendered(world, "int", "service", MODEL)["spec"]["selector"].items()
    assert switched <= new["spec"]["predictor"]["labels"].items()


def test_a_new_version_waits_until_the_rollout_before_it_finished(world: World):
    to_prod(world)
    version = to_int(world)
    world.int_evidence(version)
    world.merge(advance(world.repo, MODEL, "int", world.factory()).branch)
    with pytest.raises(CheckFailedError, match=r"mid-rollout .*canary at 10 %"):
        promote(world.repo, MODEL, version, "prod", world.factory(hours_later=DAY))
    assert f"promote/{MODEL}/prod/v{version}" not in run_git(world.repo, "branch")


def test_a_breach_whose_rollback_is_refused_names_both(world: World):
    version = to_prod(world)  # its incumbent, v2, predates this audit log: no verdict to restore
    incumbent = str(descriptor(world, "prod")["incumbent_version"])
    live(world, incumbent)
    live(world, version, **{names.LIVE_P95_LATENCY_MS: 900.0})
    with pytest.raises(
        CheckFailedError,
        match=r"breached canary-step-prod \(p95-latency\), and the rollback was refused",
    ):
        advance(world.repo, MODEL, "prod", world.factory())
    assert descriptor(world, "prod")["canary_traffic_percent"] == 10
