"""Promote a registered model version to a serving environment by a Git branch (and PR).

Order of work, so that a refusal writes nothing to the repository:
1. a new branch `promote/<model>/<env>/v<version>` in its own temporary worktree at the base;
2. refuse when the version is not live in the previous environment (dev -> int -> prod);
3. evaluate the gate on that tree and record the verdict (pass or fail) in the audit log;
4. on failure, remove worktree and branch; on success, with a transfer destination, copy the
   model digest-verified into the target environment's store and record the copy in the audit
   log (mlops.promotion.transfer: nothing is written to the target when the digest differs);
   edit the descriptor (round trip, naming the copy where there is one),
   re-render the environment, record the audit log's newest signed checkpoint in the
   repository (witnessing: `audit/checkpoints/<log id>.json`), commit with the gate report
   digest and the checkpoint in the message;
5. optionally push and open a pull request whose body is the gate report.
After merge, `finalize` moves the environment's MLflow alias (what CD runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.errors import BadInputError, CheckFailedError
from mlops.gates import evidence_names as names
from mlops.gates import report as reports
from mlops.gates.context import Context, Target
from mlops.gates.descriptor_check import gate_report_id
from mlops.gates.evaluate import (
    GateResult,
    descriptor_path,
    evaluate_gate,
    record,
    released_version,
)
from mlops.gates.spec import gate_for
from mlops.gitops.descriptor import load_release
from mlops.gitops.tree import render_environment, write
from mlops.governance.entry import Subject
from mlops.governance.witness import witness
from mlops.promotion import git
from mlops.promotion.edit import edit
from mlops.promotion.github import open_pull_request
from mlops.promotion.release import (
    ENV_ORDER,
    Strategy,
    handover,
    rollout,
    rollout_in_progress,
)
from mlops.promotion.transfer import Destination, Transferred, transfer

ContextFactory = Callable[[Path], Context]


class GateFailedError(CheckFailedError):
    """The gate refused the promotion; carries the result for the report."""

    def __init__(self, result: GateResult) -> None:
        super().__init__(
            f"gate {result.gate.gate} failed for {result.target.label()}; nothing written"
        )
        self.result = result


@dataclass
class Outcome:
    model: str
    version: str
    env: str
    branch: str
    base: str
    commit: str | None = None
    previous_version: str | None = None
    result: GateResult | None = None
    changed: list[str] = field(default_factory=list)
    report_files: list[Path] = field(default_factory=list)
    pushed: bool = False
    pr_url: str | None = None
    message: str = ""
    transferred: Transferred | None = None
    transfer_entry: int | None = None

    @property
    def noop(self) -> bool:
        return self.commit is None


def branch_name(model: str, env: str, version: str) -> str:
    return f"promote/{model}/{env}/v{version}"


def promote(
    root: Path,
    model: str,
    version: str,
    env: str,
    context: ContextFactory,
    strategy: Strategy | None = None,
    base: str = "HEAD",
    out_dir: Path | None = None,
    source: str = "mlops promote",
    destination: Destination | None = None,
) -> Outcome:
    """Gate, copy (with a `destination`), edit, render and commit on a new branch; raises
    GateFailedError or CheckFailedError (environment skipped, copy refused) with nothing written
    to the repository."""
    if env not in ENV_ORDER:
        raise BadInputError(f"--to: {env!r}; allowed: {', '.join(ENV_ORDER)}")
    repo = git.repo_root(root)
    base_sha = git.rev(repo, base)
    if not base_sha:
        raise BadInputError(f"--base: {base!r} is not a commit in {repo}")
    branch = branch_name(model, env, version)
    outcome = Outcome(model, version, env, branch, base_sha)
    with git.branch_worktree(repo, branch, base_sha) as tree:
        gate_path, gate = gate_for(tree, "model", env)
        target_path = descriptor_path(tree, env, model)
        current = released_version(tree, env, model)
        outcome.previous_version = current
        if current == version:
            outcome.message = f"{env} already releases {model} v{version}; nothing to promote"
            return outcome
        refuse_out_of_order(tree, model, version, env, gate.requires_in)
        ctx = context(tree)
        target = Target(kind="model", environment=env, model=model, version=version)
        result = evaluate_gate(gate, gate_path, target, ctx)
        entry = record(result, ctx, source)
        outcome.result = result
        if not result.passed:
            raise GateFailedError(result)
        registered = ctx.need_registry().model_version(model, version)
        if registered is None:
            raise CheckFailedError(f"MLflow: {model} v{version} is not registered")
        template = target_path if target_path.is_file() else None
        if template is None and gate.requires_in is not None:
            template = descriptor_path(tree, gate.requires_in, model)
        if template is None or not template.is_file():
            raise BadInputError(
                f"{target_path.relative_to(tree)}: no descriptor to start from; add the model's "
                "serving settings to gitops/envs/dev/models/<model>.yaml once, by hand"
            )
        old = load_release(template)
        updates, removals = rollout(old, template == target_path, strategy)
        fields = {**handover(registered), "gate_report": gate_report_id(gate.gate, entry.seq)}
        if destination is not None:
            fields |= _transferred(outcome, destination, fields, ctx, source)
        relative = target_path.relative_to(tree).as_posix()
        text = edit(template.read_text(encoding="utf-8"), relative, {**fields, **updates}, removals)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target_path.write_text(text, encoding="utf-8")
        changes = write(tree, render_environment(tree, env))
        witnessed, trailer = witness(tree, ctx.audit)
        outcome.changed = sorted(
            {relative, witnessed, *changes.stale, *changes.missing, *changes.extra}
        )
        outcome.commit = git.commit(
            tree, outcome.changed, commit_message(outcome, result, entry.seq) + trailer + "\n"
        )
    if out_dir is not None and outcome.result is not None:
        outcome.report_files = list(reports.write(outcome.result.report, entry.seq, out_dir))
    return outcome


def _transferred(
    outcome: Outcome, destination: Destination, fields: dict[str, Any], ctx: Context, source: str
) -> dict[str, str]:
    """Copy the model and its handover documents into the target's store, record the copy, and
    return the descriptor fields that name the copies."""
    model, version = outcome.model, outcome.version
    copied = transfer(
        fields["storage_uri"], fields["model_digest"], destination, model, version, fields
    )
    evidence = ctx.audit.append(
        Subject(model=model, version=version, environment=outcome.env),
        names.PROMOTION_TRANSFER,
        copied.evidence(),
        source=source,
        artifacts={names.ARTIFACT_MODEL: copied.digest},
    )
    outcome.transferred, outcome.transfer_entry = copied, evidence.seq
    return {
        "storage_uri": copied.target_uri,
        **{field: doc.target_uri for field, doc in copied.documents.items()},
    }


def refuse_out_of_order(
    tree: Path, model: str, version: str, env: str, requires_in: str | None
) -> None:
    """CheckFailedError, before any gate runs, when `env` is mid-rollout or the version is not
    yet fully live where it must come from (dev -> int -> prod, no skipping)."""
    target = descriptor_path(tree, env, model)
    busy = rollout_in_progress(load_release(target)) if target.is_file() else None
    if busy:
        raise CheckFailedError(
            f"refused: {env} is mid-rollout ({busy}); finish it with `mlops advance "
            f"--model {model} --env {env}` or undo it with `mlops rollback` first"
        )
    if requires_in is None:
        return
    live = released_version(tree, requires_in, model)
    if live != version:
        raise CheckFailedError(
            f"refused: promoting {model} v{version} to {env} would skip {requires_in} "
            f"(it releases {'v' + live if live else 'nothing'}); "
            f"promote to {requires_in} first (order: {' -> '.join(ENV_ORDER)})"
        )
    pending = rollout_in_progress(load_release(descriptor_path(tree, requires_in, model)))
    if pending:
        raise CheckFailedError(
            f"refused: {model} v{version} is not yet live in {requires_in} ({pending}); "
            f"finish that rollout with `mlops advance --model {model} --env {requires_in}` first"
        )


def commit_message(outcome: Outcome, result: GateResult, seq: int) -> str:
    previous = f"v{outcome.previous_version}" if outcome.previous_version else "none"
    return (
        f"promote {outcome.model} v{outcome.version} to {outcome.env}\n\n"
        f"Previous release in {outcome.env}: {previous}\n"
        f"Gate: {result.gate.gate} passed (audit entry {seq})\n"
        f"Gate-Report: {gate_report_id(result.gate.gate, seq)}\n"
        f"Gate-Report-Digest: {result.report.digest}\n"
        f"Gate-File-Digest: {result.report.gate_digest}\n"
        + (
            f"Model-Transfer: {outcome.transferred.source_uri} -> "
            f"{outcome.transferred.target_uri} ({outcome.transferred.digest} verified, "
            f"audit entry {outcome.transfer_entry})\n"
            if outcome.transferred
            else ""
        )
    )


def publish(
    repo: Path, outcome: Outcome, remote: str, open_pr: bool, body: str, base_branch: str
) -> None:
    """Push the branch and, when asked, open the pull request (token from the environment)."""
    git.push(repo, remote, outcome.branch)
    outcome.pushed = True
    if open_pr:
        title = outcome.message.splitlines()[0] if outcome.message else outcome.branch
        outcome.pr_url = open_pull_request(
            git.remote_url(repo, remote), outcome.branch, base_branch, title, body
        )
