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


@dataclass(frozen=True)
class Strategy:
    name: str
    percent: int | None = None

    @classmethod
    def parse(cls, text: str) -> Strategy:
        """`canary:10`, `shadow`, `shadow:50`, `blue-green` or `direct`."""
        name, _, percent = text.partition(":")
        if name not in STRATEGIES or (percent and name not in ("canary", "shadow")):
            raise BadInputError(
                f"--strategy: {text!r}; allowed: canary:PERCENT, shadow[:PERCENT], blue-green, direct"
            )
        if not percent:
            return cls(name)
        if not percent.isdigit() or not 0 <= int(percent) <= 100:
            raise BadInputError(f"--strategy: {text!r}: PERCENT must be 0-100")
        return cls(name, int(percent))

    def render(self) -> str:
        return f"{self.name}:{self.percent}" if self.percent is not None else self.name


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
        updates["canary_traffic_percent"] = _pick(strategy.percent, old.canary_traffic_percent, 10)
    elif strategy.name == "shadow":
        updates["shadow_mirror_percent"] = _pick(strategy.percent, old.shadow_mirror_percent, 100)
    elif strategy.name == "blue-green":
        previous = old.release_color if old.strategy == "blue-green" else "blue"
        color = "green" if previous == "blue" else "blue"
        updates["release_color"] = color
        updates["active_color"] = color
    if strategy.name != "direct":
        for key in INCUMBENT_FIELDS:  # incumbent_<field> is the outgoing release's <field>
            field = key.removeprefix("incumbent_")
            updates[key] = getattr(old, "registry_version" if field == "version" else field)
    keep = set(updates)
    removals = [k for k in (*STRATEGY_KEYS, *INCUMBENT_FIELDS) if k not in keep]
    return updates, removals


def _old_percent(old: ModelRelease) -> int | None:
    if old.strategy == "canary":
        return old.canary_traffic_percent
    if old.strategy == "shadow":
        return old.shadow_mirror_percent
    return None


def _pick(*values: int | None) -> int:
    return next(v for v in values if v is not None)
