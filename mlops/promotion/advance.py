"""Take the next step of a rollout in one environment, judged by live evidence: a branch (and
pull request) per step, or the rollback branch when the evidence shows a breach.

- canary: the release's share of traffic moves to the next of its `canary_steps`; the step to
  100 % retires the incumbent (its keys leave the descriptor; the strategy stays canary for the
  next promotion), so KServe and the descriptor name the same versions at every step.
- blue-green: the switch. The promotion put the release on the idle colour with no traffic;
  the equivalence and load tests ran against that colour; this step points the Service at it.

The step gate (`policies/gates/<strategy>-step-<env>.yaml`, `step: <strategy>`) is evaluated
and its verdict recorded before anything is written, as for a promotion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.errors import BadInputError, CheckFailedError
from mlops.gates.context import Context, Target
from mlops.gates.descriptor_check import gate_report_id
from mlops.gates.evaluate import GateResult, descriptor_path, evaluate_gate, record
from mlops.gates.spec import gate_for
from mlops.gitops.descriptor import INCUMBENT_KEYS, ModelRelease, parse_release
from mlops.gitops.tree import render_environment, write
from mlops.governance.witness import witness
from mlops.promotion import git
from mlops.promotion.edit import edit
from mlops.promotion.release import ENV_ORDER, INCUMBENT_FIELDS, rollout_in_progress
from mlops.promotion.rollback import RolledBack, rollback
from mlops.yamlio import parse_yaml


@dataclass(frozen=True)
class Step:
    """What the next step changes in the descriptor, and how it is named."""

    label: str
    updates: dict[str, Any]
    removals: tuple[str, ...] = ()


@dataclass
class Advanced:
    model: str
    env: str
    version: str
    step: str
    branch: str | None = None
    commit: str | None = None
    result: GateResult | None = None
    changed: list[str] = field(default_factory=list)
    rolled_back: RolledBack | None = None

    @property
    def waiting(self) -> bool:
        """Refused for want of evidence (nothing measured yet): neither step nor rollback."""
        return self.commit is None and self.rolled_back is None


def next_step(release: ModelRelease) -> Step:
    """The step after the descriptor's current state; CheckFailedError when none is pending."""
    if rollout_in_progress(release) is None:
        raise CheckFailedError(
            f"no rollout in progress: v{release.registry_version} is released with strategy "
            f"{release.strategy} and takes all traffic"
        )
    if release.strategy == "blue-green":
        return Step("switch", {"active_color": release.release_color})
    steps = release.canary_steps or [release.canary_traffic_percent or 0, 100]
    share = next(s for s in steps if s > (release.canary_traffic_percent or 0))
    retired = tuple(dict.fromkeys((*INCUMBENT_FIELDS, *INCUMBENT_KEYS))) if share == 100 else ()
    return Step(str(share), {"canary_traffic_percent": share}, retired)


def advance(
    root: Path,
    model: str,
    env: str,
    context: Callable[[Path], Context],
    base: str = "HEAD",
    source: str = "mlops advance",
) -> Advanced:
    """Gate the next step; on a pass commit it on `rollout/<model>/<env>/v<version>/<step>`;
    on a breach (a measured value outside its bound) create the rollback branch instead. When
    evidence is only missing, the verdict is recorded and nothing else happens: measure, retry."""
    if env not in ENV_ORDER:
        raise BadInputError(f"--env: {env!r}; allowed: {', '.join(ENV_ORDER)}")
    repo = git.repo_root(root)
    base_sha = git.rev(repo, base)
    if not base_sha:
        raise BadInputError(f"--base: {base!r} is not a commit in {repo}")
    relative = descriptor_path(Path(), env, model).as_posix()
    text = git.show(repo, base_sha, relative)
    if text is None:
        raise BadInputError(f"{relative}: no such descriptor at {base}")
    release = parse_release(parse_yaml(text.decode(), relative), relative)
    step = next_step(release)
    version = str(release.registry_version)
    outcome = Advanced(model, env, version, step.label)
    target = Target(kind="model", environment=env, model=model, version=version)
    branch = f"rollout/{model}/{env}/v{version}/{step.label}"
    with git.branch_worktree(repo, branch, base_sha) as tree:
        gate_path, gate = gate_for(tree, "model", env, step=release.strategy)
        ctx = context(tree)
        result = evaluate_gate(gate, gate_path, target, ctx)
        entry = record(result, ctx, source)
        outcome.result = result
        if result.passed:
            updated = edit(text.decode(), relative, step.updates, step.removals)
            (tree / relative).write_text(updated, encoding="utf-8")
            changes = write(tree, render_environment(tree, env))
            witnessed, trailer = witness(tree, ctx.audit)
            outcome.changed = sorted(
                {relative, witnessed, *changes.stale, *changes.missing, *changes.extra}
            )
            message = _message(outcome, result, entry.seq) + trailer + "\n"
            outcome.commit = git.commit(tree, outcome.changed, message)
            outcome.branch = branch
    if outcome.commit is None and _breached(outcome.result):
        try:
            outcome.rolled_back = rollback(root, model, env, context(repo), base=base_sha)
        except CheckFailedError as refused:
            failed = ", ".join(c.rule for c in outcome.result.checks if not c.passed)
            raise CheckFailedError(
                f"step {step.label} of {model} v{version} in {env} breached {gate.gate} "
                f"({failed}), and the rollback was refused: {refused}"
            ) from None
    return outcome


def _breached(result: GateResult | None) -> bool:
    return result is not None and any(
        not check.passed and check.actual is not None for check in result.checks
    )


def _message(outcome: Advanced, result: GateResult, seq: int) -> str:
    what = "switch to" if outcome.step == "switch" else f"canary {outcome.step} % of"
    return (
        f"rollout {outcome.model} in {outcome.env}: {what} v{outcome.version}\n\n"
        f"Gate: {result.gate.gate} passed (audit entry {seq})\n"
        f"Gate-Report: {gate_report_id(result.gate.gate, seq)}\n"
        f"Gate-Report-Digest: {result.report.digest}\n"
    )
