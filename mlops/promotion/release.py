"""What a promotion changes in a descriptor: the handover fields of the new version, the gate
report that admitted it, and the rollout strategy with the outgoing version as incumbent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops.errors import BadInputError
from mlops.gates import evidence_names as names
from mlops.gates.registry import ModelVersion
from mlops.gitops.descriptor import INCUMBENT_KEYS, NEEDS_INCUMBENT, STRATEGY_KEYS, ModelRelease

ENV_ORDER = ("dev", "int", "prod")
# Every incumbent_* key of the descriptor (the required three and their provenance).
INCUMBENT_FIELDS = (
    tuple(key for key in ModelRelease.model_fields if key.startswith("incumbent_"))
    or INCUMBENT_KEYS
)
STRATEGIES = ("direct", "canary", "shadow", "blue-green")


ALLOWED = (
    "canary:STEP[,STEP...] (ascending, e.g. canary:10,50,100), shadow[:PERCENT], blue-green, direct"
)


@dataclass(frozen=True)
class Strategy:
    name: str
    percent: int | None = None
    steps: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Strategy:
        """`canary:10,50,100` (one step per pull request; a last step of 100 is implied),
        `shadow`, `shadow:50`, `blue-green` or `direct`."""
        name, colon, numbers = text.partition(":")
        if name not in STRATEGIES or (colon and name not in ("canary", "shadow")):
            raise BadInputError(f"--strategy: {text!r}; allowed: {ALLOWED}")
        if not colon:
            return cls(name)
        parts = numbers.split(",")
        if name == "shadow" and len(parts) > 1:
            raise BadInputError(f"--strategy: {text!r}: shadow takes one PERCENT")
        if not all(p.isdigit() and 1 <= int(p) <= 100 for p in parts):
            raise BadInputError(f"--strategy: {text!r}: each step is a percentage 1-100")
        values = [int(p) for p in parts]
        if values != sorted(set(values)):
            raise BadInputError(f"--strategy: {text!r}: steps must be ascending")
        if name == "shadow":
            return cls(name, values[0])
        steps = tuple(values) if values[-1] == 100 else (*values, 100)
        return cls(name, steps[0], steps)

    def render(self) -> str:
        if self.steps:
            return f"{self.name}:{','.join(map(str, self.steps))}"
        return f"{self.name}:{self.percent}" if self.percent is not None else self.name


def rollout_in_progress(release: ModelRelease) -> str | None:
    """Why a new version may not be promoted over this release yet, or None.

    A canary below 100 % or a blue-green release not yet switched still has its incumbent
    serving: promoting over it would leave KServe keeping a revision the descriptor no longer
    names (the canary's rest of traffic goes to the last fully rolled-out revision)."""
    if release.strategy == "canary" and (release.canary_traffic_percent or 0) < 100:
        return (
            f"v{release.registry_version} is a canary at {release.canary_traffic_percent} % "
            f"beside v{release.incumbent_version}"
        )
    if release.strategy == "blue-green" and release.release_color != release.active_color:
        return (
            f"v{release.registry_version} waits on the idle colour {release.release_color}; "
            f"v{release.incumbent_version} still takes the traffic"
        )
    return None


def handover(version: ModelVersion) -> dict[str, Any]:
    """The descriptor's handover fields, from the registered version's tags."""
    missing = [
        f for f in names.HANDOVER_FIELDS if not version.tags.get(names.HANDOVER_TAG_PREFIX + f)
    ]
    if missing:
        raise BadInputError(
            f"MLflow {version.name}/{version.version}: missing handover tags "
            + ", ".join(names.HANDOVER_TAG_PREFIX + f for f in missing)
        )
    fields: dict[str, Any] = {
        "registry_model": version.name,
        "registry_version": int(version.version),
    }
    for field in names.HANDOVER_FIELDS:
        fields[field] = version.tags[names.HANDOVER_TAG_PREFIX + field]
    return fields


def rollout(
    old: ModelRelease, same_env: bool, chosen: Strategy | None
) -> tuple[dict[str, Any], list[str]]:
    """Strategy keys to set and to remove. In the same environment the outgoing version becomes
    the incumbent; a descriptor copied from the previous environment starts `direct`."""
    if not same_env:
        strategy = chosen or Strategy("direct")
        if strategy.name in (*NEEDS_INCUMBENT, "canary"):
            raise BadInputError(
                f"--strategy: {strategy.name} needs a version already serving in this environment; "
                "the first release of a model into an environment is direct"
            )
    else:
        strategy = chosen or Strategy(old.strategy, _old_percent(old))
    updates: dict[str, Any] = {"strategy": strategy.name}
    if strategy.name == "canary":
        steps = list(strategy.steps or _steps_from(strategy.percent) or _old_steps(old))
        updates["canary_steps"] = steps
        updates["canary_traffic_percent"] = steps[0]
    elif strategy.name == "shadow":
        updates["shadow_mirror_percent"] = _pick(strategy.percent, old.shadow_mirror_percent, 100)
    elif strategy.name == "blue-green":
        # The release goes to the idle colour and takes no traffic until `mlops advance`
        # switches (a second pull request), so it can be tested where it will run.
        serving = old.active_color if old.strategy == "blue-green" and old.active_color else "blue"
        updates["release_color"] = "green" if serving == "blue" else "blue"
        updates["active_color"] = serving
    if strategy.name != "direct":
        for key in INCUMBENT_FIELDS:  # incumbent_<field> is the outgoing release's <field>
            field = key.removeprefix("incumbent_")
            updates[key] = getattr(old, "registry_version" if field == "version" else field)
    keep = set(updates)
    removals = [k for k in (*STRATEGY_KEYS, *INCUMBENT_FIELDS) if k not in keep]
    return updates, removals


def _steps_from(first: int | None) -> tuple[int, ...]:
    """One canary step of `first` percent, then all traffic."""
    return (first, 100) if first and first < 100 else ()


def _old_steps(old: ModelRelease) -> tuple[int, ...]:
    """The steps of the environment's last canary, else a 10 % canary and then all traffic."""
    if old.canary_steps:
        return tuple(old.canary_steps)
    first = old.canary_traffic_percent if old.strategy == "canary" else None
    return _steps_from(first) or (10, 100)


def _old_percent(old: ModelRelease) -> int | None:
    if old.strategy == "canary":
        return old.canary_traffic_percent
    if old.strategy == "shadow":
        return old.shadow_mirror_percent
    return None


def _pick(*values: int | None) -> int:
    return next(v for v in values if v is not None)
