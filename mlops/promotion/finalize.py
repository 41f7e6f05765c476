"""After the promotion pull request merged: move the environment's MLflow alias (what CD runs)
and record that the version is live, which starts its soak time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlops.errors import CheckFailedError
from mlops.gates import evidence_names as names
from mlops.gates.context import Context
from mlops.gates.evaluate import released_version
from mlops.governance.entry import Entry, Subject
from mlops.promotion import git


@dataclass(frozen=True)
class Finalized:
    alias: str
    previous_version: str | None
    commit: str
    entry: Entry


def finalize(root: Path, model: str, version: str, env: str, ctx: Context) -> Finalized:
    """Refuses unless the checked-out tree (the merged main) releases exactly this version."""
    live = released_version(root, env, model)
    if live != version:
        raise CheckFailedError(
            f"refused: gitops/envs/{env}/models/{model}.yaml releases "
            f"{'v' + live if live else 'nothing'}, not v{version}; merge the promotion first"
        )
    registry = ctx.need_registry()
    alias = names.alias_for(env)
    previous = registry.version_by_alias(model, alias)
    registry.set_alias(model, alias, version)
    if env == "prod":  # what serves prod is the champion the next training run must beat
        registry.set_alias(model, names.CHAMPION_ALIAS, version)
    commit = git.rev(git.repo_root(root), "HEAD")
    entry = ctx.audit.append(
        Subject(model=model, version=version, environment=env),
        names.PROMOTION_FINALIZED,
        {"alias": alias, "commit": commit, "previous_version": previous},
        source="mlops promote --finalize",
    )
    return Finalized(alias, previous, commit, entry)
