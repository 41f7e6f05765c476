"""`mlops promote` and `mlops rollback`: release changes as Git branches and pull requests.

The audit log is `--audit` (else $MLOPS_AUDIT), the registry `--tracking-uri` (else
$MLFLOW_TRACKING_URI). `--push` pushes the branch to `--remote`; `--open-pr` also opens the pull
request through GitHub's API with $GITHUB_TOKEN (or $GH_TOKEN).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mlops.cli.console import err, out, print_json
from mlops.cli.gates import (
    AuditOpt,
    RootOpt,
    TrackingOpt,
    audit_client,
    print_result,
    registry,
    services_unavailable_fail,
)
from mlops.config import environment as settings
from mlops.errors import BadInputError
from mlops.repository import REPO_ROOT

if TYPE_CHECKING:
    from mlops.gates.context import Context
    from mlops.promotion.promote import Outcome
    from mlops.promotion.transfer import Destination

RemoteOpt = Annotated[str, typer.Option("--remote", help="Git remote to push to.")]
PushOpt = Annotated[bool, typer.Option("--push", help="Push the branch to --remote.")]
PrOpt = Annotated[
    bool,
    typer.Option("--open-pr", help="Push and open a pull request (GitHub API, token from env)."),
]
BaseOpt = Annotated[str, typer.Option("--base", help="Commit or branch to start from.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable result.")]


def promote(
    model: Annotated[str, typer.Option("--model", help="Registered model name.")],
    version: Annotated[str, typer.Option("--version", help="Registered model version.")],
    to: Annotated[str, typer.Option("--to", help="Serving environment: dev, int or prod.")],
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            help="canary:PERCENT, shadow[:PERCENT], blue-green or direct "
            "(default: keep the environment's).",
        ),
    ] = None,
    push: PushOpt = False,
    open_pr: PrOpt = False,
    finalize: Annotated[
        bool,
        typer.Option(
            "--finalize",
            help="After merge: move the MLflow alias serving-ENV to the "
            "version and record it (starts soak time).",
        ),
    ] = False,
    transfer_to: Annotated[
        str | None,
        typer.Option(
            "--transfer-to",
            envvar=settings.TRANSFER_TO.name,
            help="Copy the model, digest-verified, to the target environment's released models "
            "(s3://BUCKET or s3://BUCKET/PREFIX) and name the copy in the descriptor; the source store is "
            f"read with ${settings.TRANSFER_SOURCE_PROFILE.name} (a proxied registry's "
            f"mlflow-artifacts:/ under ${settings.TRANSFER_SOURCE_ROOT.name}), the target written with "
            f"${settings.TRANSFER_TARGET_PROFILE.name} (AWS profiles; unset: default chain).",
        ),
    ] = None,
    remote: RemoteOpt = "origin",
    base: BaseOpt = "HEAD",
    audit_db: AuditOpt = None,
    tracking_uri: TrackingOpt = None,
    root: RootOpt = REPO_ROOT,
    as_json: JsonOpt = False,
) -> None:
    """Promote a model version: gate, copy the model into the target environment's store
    (--transfer-to), edit the descriptor, re-render, commit on promote/<model>/<env>/v<version>;
    exit 1 with nothing written when the gate fails, the copy's digest differs or an environment
    would be skipped."""
    from mlops.gates.context import Context
    from mlops.promotion import git
    from mlops.promotion.promote import GateFailedError, publish
    from mlops.promotion.promote import promote as run_promote
    from mlops.promotion.release import Strategy

    if not version.isdigit():
        raise BadInputError(f"--version: {version!r}; allowed: a registered version number")
    chosen = Strategy.parse(strategy) if strategy else None
    if finalize and (chosen or push or open_pr or transfer_to):
        raise BadInputError("--finalize: takes no --strategy, --transfer-to, --push or --open-pr")
    destination = _destination(transfer_to) if transfer_to else None
    from mlops.gates.spec import gate_for

    root = root.resolve()
    gate_for(root, "model", to)  # an unknown --to, before any write
    reg = registry(tracking_uri, required=True)
    audit = audit_client(audit_db)  # last: opening a SQLite audit log creates it
    with services_unavailable_fail():
        try:
            if finalize:
                _finalize(
                    root, model, version, to, Context(root=root, audit=audit, registry=reg), as_json
                )
                return
            from mlops.gates.check import REPORT_DIR

            repo = git.repo_root(root)
            base_branch = git.current_branch(repo) if base == "HEAD" else base
            try:
                outcome = run_promote(
                    root, model, version, to, lambda tree: Context(root=tree, audit=audit, registry=reg),
                    chosen, base, repo / REPORT_DIR, destination=destination,
                )  # fmt: skip
            except GateFailedError as failure:
                print_result(failure.result, as_json)
                err.print(f"[bold red]refused:[/] {escape(str(failure))}")
                raise typer.Exit(1) from None
            if outcome.noop:
                out.print(escape(outcome.message))
                return
            assert outcome.result is not None
            if push or open_pr:
                from mlops.gates.report import markdown

                entry = outcome.result.entry
                body = markdown(outcome.result.report, entry.seq if entry else None)
                outcome.message = f"Promote {model} v{version} to {to}"
                publish(repo, outcome, remote, open_pr, body, base_branch)
        finally:
            audit.close()
    _report(outcome, as_json)


def _destination(transfer_to: str) -> Destination:
    """The target location and the registry's root (checked before any write), and the transfer
    identity's profiles."""
    from mlops.promotion.transfer import Destination, StoreAccess

    destination = Destination(
        transfer_to,
        StoreAccess(profile=settings.TRANSFER_SOURCE_PROFILE.get()),
        StoreAccess(profile=settings.TRANSFER_TARGET_PROFILE.get()),
        settings.TRANSFER_SOURCE_ROOT.get(),
    )
    destination.check()
    return destination


def _report(outcome: Outcome, as_json: bool) -> None:
    result = outcome.result
    assert result is not None and outcome.commit is not None
    data = {
        "model": outcome.model,
        "version": outcome.version,
        "env": outcome.env,
        "branch": outcome.branch,
        "base": outcome.base,
        "commit": outcome.commit,
        "previous_version": outcome.previous_version,
        "gate": result.gate.gate,
        "report_digest": result.report.digest,
        "verdict_entry": result.entry.seq if result.entry else None,
        "changed": outcome.changed,
        "reports": [str(p) for p in outcome.report_files],
        "pushed": outcome.pushed,
        "pull_request": outcome.pr_url,
        "transfer": outcome.transferred.evidence() if outcome.transferred else None,
        "transfer_entry": outcome.transfer_entry,
    }
    if as_json:
        print_json(data)
        return
    out.print(
        f"promoted {outcome.model} v{outcome.version} to {outcome.env} on branch {outcome.branch} "
        f"(commit {outcome.commit[:12]}, gate {data['gate']} passed, verdict entry "
        f"{data['verdict_entry']}, report {data['report_digest']})"
    )
    if outcome.transferred:
        copied = outcome.transferred
        out.print(
            f"  copied {escape(copied.source_uri)} -> {escape(copied.target_uri)} "
            f"({copied.digest} verified; audit entry {outcome.transfer_entry})"
        )
    for path in outcome.changed:
        out.print(f"  changed: {escape(path)}")
    if outcome.pushed:
        out.print("  pushed")
    if outcome.pr_url:
        out.print(f"  pull request: {escape(outcome.pr_url)}")


def _finalize(root: Path, model: str, version: str, env: str, ctx: Context, as_json: bool) -> None:
    from mlops.promotion.finalize import finalize

    done = finalize(root, model, version, env, ctx)
    data = {
        "model": model, "version": version, "env": env, "alias": done.alias,
        "previous_version": done.previous_version, "commit": done.commit, "entry": done.entry.seq,
    }  # fmt: skip
    if as_json:
        print_json(data)
    else:
        out.print(
            f"{done.alias} -> {model} v{version} (was {done.previous_version or 'unset'}); "
            f"recorded as audit entry {done.entry.seq}"
        )


def rollback(
    model: Annotated[str, typer.Option("--model", help="Model name.")],
    env: Annotated[str, typer.Option("--env", help="Serving environment: dev, int or prod.")],
    push: PushOpt = False,
    open_pr: PrOpt = False,
    remote: RemoteOpt = "origin",
    base: BaseOpt = "HEAD",
    audit_db: AuditOpt = None,
    root: RootOpt = REPO_ROOT,
    as_json: JsonOpt = False,
) -> None:
    """Restore the previous released descriptor (from Git history, checked against the audit
    log) on branch rollback/<model>/<env>/v<previous>, re-rendered; optionally push and open a PR."""
    from mlops.gates.context import Context
    from mlops.gates.spec import MODEL_ENVS
    from mlops.promotion import git
    from mlops.promotion.github import open_pull_request
    from mlops.promotion.rollback import rollback as run_rollback

    if env not in MODEL_ENVS:
        raise BadInputError(f"--env: '{env}'; allowed: {', '.join(MODEL_ENVS)}")
    root = root.resolve()
    audit = audit_client(audit_db)
    try:
        done = run_rollback(root, model, env, Context(root=root, audit=audit, registry=None), base)
    finally:
        audit.close()
    repo = git.repo_root(root)
    pr_url = None
    if push or open_pr:
        git.push(repo, remote, done.branch)
    if open_pr:
        base_branch = git.current_branch(repo) if base == "HEAD" else base
        body = (
            f"Rollback of {model} in {env} from v{done.from_version} to v{done.to_version}.\n\n"
            f"Restores the descriptor of commit {done.restored_from}."
        )
        pr_url = open_pull_request(
            git.remote_url(repo, remote), done.branch, base_branch,
            f"Rollback {model} in {env} to v{done.to_version}", body,
        )  # fmt: skip
    data = {
        "model": model, "env": env, "from_version": done.from_version,
        "to_version": done.to_version, "restored_from": done.restored_from,
        "branch": done.branch, "commit": done.commit, "changed": done.changed,
        "pushed": push or open_pr, "pull_request": pr_url,
    }  # fmt: skip
    if as_json:
        print_json(data)
    else:
        out.print(
            f"rollback of {model} in {env}: v{done.from_version} -> v{done.to_version} on branch "
            f"{done.branch} (commit {done.commit[:12]})"
        )
