"""Roll a model back in one environment: a branch that restores the previous released
descriptor byte for byte, found in Git history and checked against the audit log.

Rollback is an emergency path, so it does not re-run the gate; it restores only a release whose
descriptor names a passing verdict recorded for that version and environment, and records the
decision (kind `oversight`) before committing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlops.errors import BadInputError, CheckFailedError
from mlops.gates.context import Context, Target
from mlops.gates.descriptor_check import report_check
from mlops.gates.spec import gate_for
from mlops.gitops.descriptor import parse_release
from mlops.gitops.tree import render_environment, write
from mlops.governance.entry import Subject
from mlops.governance.witness import witness
from mlops.promotion import git
from mlops.promotion.release import ENV_ORDER
from mlops.yamlio import parse_yaml

ROLLBACK = "promotion.rollback"


@dataclass
class RolledBack:
    model: str
    env: str
    from_version: str
    to_version: str
    restored_from: str
    branch: str
    commit: str
    changed: list[str] = field(default_factory=list)


def previous_release(repo: Path, base: str, path: str) -> tuple[str, str, bytes, str]:
    """(current version, previous version, previous descriptor bytes, its commit) from history."""
    current = git.show(repo, base, path)
    if current is None:
        raise BadInputError(f"{path}: no such descriptor at {base}")
    now = str(parse_release(parse_yaml(current.decode(), path), path).registry_version)
    for commit in git.history(repo, base, path):
        text = git.show(repo, commit, path)
        if text is None:
            continue
        version = str(parse_release(parse_yaml(text.decode(), path), path).registry_version)
        if version != now:
            return now, version, text, commit
    raise CheckFailedError(f"{path}: history holds no earlier release than v{now}")


def rollback(root: Path, model: str, env: str, ctx: Context, base: str = "HEAD") -> RolledBack:
    if env not in ENV_ORDER:
        raise BadInputError(f"--env: {env!r}; allowed: {', '.join(ENV_ORDER)}")
    repo = git.repo_root(root)
    base_sha = git.rev(repo, base)
    path = f"gitops/envs/{env}/models/{model}.yaml"
    now, previous, text, commit = previous_release(repo, base_sha, path)
    release = parse_release(parse_yaml(text.decode(), path), path)
    _, gate = gate_for(repo, "model", env)
    target = Target(kind="model", environment=env, model=model, version=previous)
    proof = report_check(release.gate_report, gate.gate, target, ctx)
    if not proof.passed:
        raise CheckFailedError(
            f"refused: v{previous} in {path}@{commit[:12]} names gate report "
            f"{release.gate_report}, which is no passing verdict in the audit log"
        )
    branch = f"rollback/{model}/{env}/v{previous}"
    with git.branch_worktree(repo, branch, base_sha) as tree:
        (tree / path).write_bytes(text)
        changes = write(tree, render_environment(tree, env))
        changed = sorted({path, *changes.stale, *changes.missing, *changes.extra})
        ctx.audit.append(
            Subject(model=model, version=previous, environment=env),
            ROLLBACK,
            {"from_version": now, "restored_commit": commit, "branch": branch},
            source="mlops rollback",
            kind="oversight",
        )
        witnessed, trailer = witness(tree, ctx.audit)
        changed.append(witnessed)
        message = (
            f"rollback {model} in {env} to v{previous} (from v{now})\n\n"
            f"Restores {path} as of {commit}\n"
            f"Gate-Report: {release.gate_report} (audit entry {proof.evidence_seq})\n"
            f"{trailer}\n"
        )
        new = git.commit(tree, changed, message)
    return RolledBack(model, env, now, previous, commit, branch, new, changed)
