"""`mlops advance`: the next step of a canary or the blue-green switch, as a Git branch.

The audit log is `--audit` (else $MLOPS_AUDIT), the registry `--tracking-uri` (else
$MLFLOW_TRACKING_URI; the blue-green switch's equivalence rule reads it). Exit 0 with the step
committed; exit 1 when the step gate fails: after creating the rollback branch on a breach, or
with nothing but the verdict written when evidence is missing.
"""

from __future__ import annotations

from typing import Annotated

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
from mlops.cli.promote import BaseOpt, JsonOpt
from mlops.errors import BadInputError
from mlops.repository import REPO_ROOT


def advance(
    model: Annotated[str, typer.Option("--model", help="Model name.")],
    env: Annotated[str, typer.Option("--env", help="Serving environment: dev, int or prod.")],
    base: BaseOpt = "HEAD",
    audit_db: AuditOpt = None,
    tracking_uri: TrackingOpt = None,
    root: RootOpt = REPO_ROOT,
    as_json: JsonOpt = False,
) -> None:
    """Gate and commit the next rollout step on rollout/<model>/<env>/v<version>/<step>
    (canary: the next traffic share, 100 retires the incumbent; blue-green: the switch); on a
    breach, the rollback branch instead (exit 1)."""
    from mlops.gates.context import Context
    from mlops.gates.spec import MODEL_ENVS
    from mlops.promotion.advance import advance as run_advance

    if env not in MODEL_ENVS:
        raise BadInputError(f"--env: '{env}'; allowed: {', '.join(MODEL_ENVS)}")
    root = root.resolve()
    reg = registry(tracking_uri, required=False)
    audit = audit_client(audit_db)
    with services_unavailable_fail():
        try:
            done = run_advance(
                root, model, env, lambda tree: Context(root=tree, audit=audit, registry=reg), base
            )
        finally:
            audit.close()
    assert done.result is not None
    back = done.rolled_back
    data = {
        "model": model, "env": env, "version": done.version, "step": done.step,
        "gate": done.result.gate.gate, "passed": done.result.passed,
        "verdict_entry": done.result.entry.seq if done.result.entry else None,
        "branch": done.branch or (back.branch if back else None),
        "commit": done.commit or (back.commit if back else None),
        "rollback_to": back.to_version if back else None,
        "changed": done.changed or (back.changed if back else []),
    }  # fmt: skip
    if as_json:
        print_json(data)
    elif done.waiting:
        print_result(done.result, as_json=False)
        err.print(
            f"[bold red]waiting:[/] step {done.step} of v{done.version} needs evidence that "
            f"{escape(data['gate'])} did not find; record the live measurements it names for both versions and retry"
        )
    elif back is None:
        out.print(
            f"{model} in {env}: step {done.step} of v{done.version} on branch {done.branch} "
            f"(commit {(done.commit or '')[:12]}, gate {data['gate']} passed)"
        )
    else:
        print_result(done.result, as_json=False)
        err.print(
            f"[bold red]breach:[/] step {done.step} of v{done.version} refused by "
            f"{escape(data['gate'])}; rollback to v{back.to_version} on branch {back.branch}"
        )
    if done.commit is None:
        raise typer.Exit(1)
