"""Acceptance scenarios on a scratch Git repository with a real MLflow (SQLite) and audit log."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from mlops.errors import CheckFailedError
from mlops.gates.check import check_descriptor
from mlops.gitops.tree import drift, render_environment
from mlops.governance.entry import Subject
from mlops.governance.quality import verdict_of
from mlops.promotion.advance import advance
from mlops.promotion.promote import GateFailedError, promote
from mlops.promotion.release import Strategy
from mlops.promotion.rollback import rollback
from tests.gates.scenario import MODEL, World, promote_and_merge, run_git

DAY = 25.0


def gate_verdicts(world: World, version: str) -> list:
    entries = world.audit.query(Subject(model=MODEL, version=version), kind="verdict")
    return [e for e in entries if e.name.startswith("gate.")]


def branches(world: World) -> list[str]:
    return run_git(world.repo, "branch", "--format=%(refname:short)").split()


def test_dev_to_int_to_prod_records_every_verdict(world: World):
    version = world.register()
    world.training_evidence(version)
    dev = promote_and_merge(world, version, "dev")
    int_ = promote_and_merge(world, version, "int")
    world.int_evidence(version)  # measured on int's idle colour
    world.merge(advance(world.repo, MODEL, "int", world.factory()).branch)  # the switch
    prod = promote(world.repo, MODEL, version, "prod", world.factory(hours_later=DAY))

    assert [o.branch for o in (dev, int_, prod)] == [
        f"promote/{MODEL}/dev/v{version}",
        f"promote/{MODEL}/int/v{version}",
        f"promote/{MODEL}/prod/v{version}",
    ]
    verdicts = gate_verdicts(world, version)
    recorded = {e.name: verdict_of(e) for e in verdicts}
    assert set(recorded) == {
        "gate.registry-to-serving-dev",
        "gate.registry-to-serving-int",
        "gate.blue-green-step-int",
        "gate.serving-int-to-serving-prod",
    }
    assert all(v is not None and v.passed for v in recorded.values())
    prod_verdict = verdicts[-1]
    assert prod_verdict.artifacts["report"] == prod.result.report.digest
    message = run_git(world.repo, "log", "-1", "--format=%B", prod.branch)
    assert f"Gate-Report-Digest: {prod.result.report.digest}" in message
    descriptor = world.descriptor("prod", ref=prod.branch).decode()
    assert f"registry_version: {version}\n" in descriptor
    assert f"gate_report: verdict-serving-int-to-serving-prod-{prod_verdict.seq:04d}" in descriptor
    assert "incumbent_version: 2\n" in descriptor  # the outgoing prod version
    assert "incumbent_gate_report: verdict-serving-int-to-serving-prod-0009\n" in descriptor
    run_git(world.repo, "checkout", "--quiet", prod.branch)
    assert drift(world.repo, render_environment(world.repo, "prod")).clean
    assert world.registry.version_by_alias(MODEL, "serving-int") == version


def test_failing_metric_blocks_with_explanation_and_no_commit(world: World):
    version = world.register()
    world.training_evidence(version, roc_auc=0.61)
    head = run_git(world.repo, "rev-parse", "HEAD")
    with pytest.raises(GateFailedError) as failure:
        promote(world.repo, MODEL, version, "dev", world.factory())
    failed = [c for c in failure.value.result.checks if not c.passed]
    assert [(c.rule, c.actual, c.op, c.required) for c in failed] == [("roc-auc", 0.61, ">=", 0.75)]
    assert "audit entry" in failed[0].evidence
    assert run_git(world.repo, "rev-parse", "HEAD") == head
    assert branches(world) == ["main"]
    assert run_git(world.repo, "status", "--porcelain") == ""
    assert len(run_git(world.repo, "worktree", "list").splitlines()) == 1
    recorded = gate_verdicts(world, version)
    assert [verdict_of(e).passed for e in recorded] == [False]


def test_skipping_int_is_refused(world: World):
    version = world.register()
    world.training_evidence(version)
    promote_and_merge(world, version, "dev")
    world.int_evidence(version)
    with pytest.raises(CheckFailedError, match="would skip int"):
        promote(world.repo, MODEL, version, "prod", world.factory(hours_later=DAY))
    assert f"promote/{MODEL}/prod/v{version}" not in branches(world)


def test_concurrent_promotions_of_two_models_do_not_clobber(world: World):
    other = "fraud-score"
    source = world.repo / "gitops/envs/dev/models/credit-risk.yaml"
    text = source.read_text().replace("model: credit-risk", f"model: {other}")
    (world.repo / f"gitops/envs/dev/models/{other}.yaml").write_text(text)
    from mlops.gitops.tree import write

    write(world.repo, render_environment(world.repo, "dev"))
    run_git(world.repo, "add", "--all")
    run_git(world.repo, "commit", "--quiet", "-m", "second model")
    versions = {}
    for model in (MODEL, other):
        versions[model] = world.register(model)
        world.training_evidence(versions[model], model=model)
    outcomes, errors = {}, []

    def run(model: str) -> None:
        try:
            outcomes[model] = promote(world.repo, model, versions[model], "dev", world.factory())
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(m,)) for m in (MODEL, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for model, outcome in outcomes.items():
        changed = run_git(world.repo, "diff", "--name-only", "main", outcome.branch).split()
        assert f"gitops/envs/dev/models/{model}.yaml" in changed
        witnessed = [p for p in changed if p.startswith("audit/checkpoints/")]
        assert len(witnessed) == 1, changed
        assert all(model in path for path in changed if path not in witnessed), changed
        assert (
            f"registry_version: {versions[model]}\n"
            in world.descriptor("dev", model, outcome.branch).decode()
        )
    world.merge(outcomes[MODEL].branch)
    world.merge(outcomes[other].branch)
    assert drift(world.repo, render_environment(world.repo, "dev")).clean


def test_rollback_restores_the_previous_descriptor(world: World):
    first, second = world.register(), world.register()
    for version in (first, second):
        world.training_evidence(version)
        promote_and_merge(world, version, "dev")
        promote_and_merge(world, version, "int")
        if version == first:  # int is blue-green: the first one switched, the second waits
            world.int_evidence(version)
            world.merge(advance(world.repo, MODEL, "int", world.factory()).branch)
    history = run_git(
        world.repo,
        "log",
        "--first-parent",
        "--format=%H",
        "--",
        f"gitops/envs/int/models/{MODEL}.yaml",
    ).split()
    restored_expected = world.descriptor("int", ref=history[1])  # as the first's switch left it
    assert f"registry_version: {first}\n".encode() in restored_expected
    done = rollback(world.repo, MODEL, "int", world.context())
    assert (done.from_version, done.to_version) == (second, first)
    assert world.descriptor("int", ref=done.branch) == restored_expected
    run_git(world.repo, "checkout", "--quiet", done.branch)
    assert drift(world.repo, render_environment(world.repo, "int")).clean
    rollbacks = world.audit.query(Subject(model=MODEL, version=first), name="promotion.rollback")
    assert [e.kind for e in rollbacks] == ["oversight"]


def test_rollback_refuses_a_release_without_a_recorded_verdict(world: World):
    version = world.register()
    world.training_evidence(version)
    promote_and_merge(world, version, "dev")
    with pytest.raises(CheckFailedError, match="no passing verdict"):
        rollback(world.repo, MODEL, "dev", world.context())  # v4 predates this audit log


def test_forged_descriptor_fails_the_ci_recheck(world: World, tmp_path: Path):
    genuine, unproven = world.register(), world.register()
    world.training_evidence(genuine)
    outcome = promote(world.repo, MODEL, genuine, "dev", world.factory())
    run_git(world.repo, "checkout", "--quiet", outcome.branch)
    path = Path("gitops/envs/dev/models/credit-risk.yaml")
    ci = check_descriptor(path, world.context(), "ci", None)
    assert ci.passed, [c for c in ci.checks if not c.passed]

    descriptor = world.repo / path
    text = descriptor.read_text()
    genuine_digest = world.tags(MODEL, genuine)["model_digest"]
    descriptor.write_text(text.replace(genuine_digest, "sha256:" + "0" * 64))
    tampered = check_descriptor(path, world.context(), "ci", None)
    assert not tampered.passed
    assert [c.name for c in tampered.checks if not c.passed] == ["descriptor.model_digest"]

    forged = text.replace(f"registry_version: {genuine}\n", f"registry_version: {unproven}\n")
    for field, value in world.tags(MODEL, unproven).items():
        forged = forged.replace(world.tags(MODEL, genuine)[field], value)
    descriptor.write_text(forged)
    result = check_descriptor(path, world.context(), "ci", None)
    failing = {c.name for c in result.checks if not c.passed}
    assert {"test.roc_auc", "data.validation", "descriptor.gate_report"} <= failing


def test_push_to_a_local_bare_remote(world: World, tmp_path: Path):
    from mlops.promotion.promote import publish

    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    run_git(world.repo, "remote", "add", "origin", str(bare))
    version = world.register()
    world.training_evidence(version)
    outcome = promote(world.repo, MODEL, version, "dev", world.factory(), Strategy("shadow", 50))
    publish(world.repo, outcome, "origin", False, "", "main")
    remote_head = subprocess.run(
        ["git", "-C", str(bare), "rev-parse", outcome.branch],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert remote_head == outcome.commit
    assert "shadow_mirror_percent: 50\n" in world.descriptor("dev", ref=outcome.branch).decode()


def test_unknown_base_is_bad_input(world: World):
    from mlops.errors import BadInputError

    with pytest.raises(BadInputError, match="--base: 'nope'"):
        promote(world.repo, MODEL, "1", "dev", world.factory(), base="nope")
