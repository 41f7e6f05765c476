"""Analytics gates: performance, benefit over the linear baseline, no regression against the
champion, fairness bounds. Each rule reports actual and required value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from pipelines.credit_risk.config import Gates

if TYPE_CHECKING:
    from pipelines.credit_risk.steps import Evaluation


@dataclass(frozen=True)
class Rule:
    rule: str
    actual: float
    required: str
    passed: bool


@dataclass(frozen=True)
class GateResult:
    rules: list[Rule]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rules)

    def failures(self) -> str:
        return "; ".join(
            f"{r.rule}: actual {r.actual:g}, required {r.required}"
            for r in self.rules
            if not r.passed
        )

    def as_dict(self) -> dict[str, object]:
        return {"passed": self.passed, "rules": [asdict(r) for r in self.rules]}


def _at_least(rule: str, actual: float, bound: float) -> Rule:
    return Rule(rule, round(actual, 6), f">= {bound:g}", actual >= bound)


def _at_most(rule: str, actual: float, bound: float) -> Rule:
    return Rule(rule, round(actual, 6), f"<= {bound:g}", actual <= bound)


def evaluate_gates(gates: Gates, evaluation: Evaluation, fair: dict[str, object]) -> GateResult:
    mine = float(evaluation.candidate["roc_auc"])  # type: ignore[arg-type]
    base = float(evaluation.baseline["roc_auc"])  # type: ignore[arg-type]
    rules = [
        _at_least("test.roc_auc", mine, gates.min_roc_auc),
        _at_least("baseline.gain.roc_auc", mine - base, gates.min_gain_over_baseline),
    ]
    if evaluation.champion is not None:
        theirs = float(evaluation.champion["roc_auc"])  # type: ignore[arg-type]
        rules.append(
            _at_least("champion.delta.roc_auc", mine - theirs, -gates.max_regression_vs_champion)
        )
    rules.append(
        _at_most(
            "fairness.demographic_parity_difference",
            float(fair["demographic_parity_difference"]),  # type: ignore[arg-type]
            gates.max_demographic_parity_difference,
        )
    )
    rules.append(
        _at_most(
            "fairness.equalized_odds_difference",
            float(fair["equalized_odds_difference"]),  # type: ignore[arg-type]
            gates.max_equalized_odds_difference,
        )
    )
    return GateResult(rules)
