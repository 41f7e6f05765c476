"""Analytics gates: performance, benefit over the linear baseline, no regression against the
champion, fairness bounds. Each rule reports actual and required value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from pipelines.credit_risk.config import Gates
from pipelines.credit_risk.metrics import Fairness

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


def evaluate_gates(gates: Gates, evaluation: Evaluation, fair: Fairness) -> GateResult:
    mine = evaluation.candidate["roc_auc"]
    base = evaluation.baseline["roc_auc"]
    rules = [
        _at_least("test.roc_auc", mine, gates.min_roc_auc),
        _at_least("baseline.gain.roc_auc", mine - base, gates.min_gain_over_baseline),
    ]
    if evaluation.champion is not None:
        theirs = evaluation.champion["roc_auc"]
        rules.append(
            _at_least("champion.delta.roc_auc", mine - theirs, -gates.max_regression_vs_champion)
        )
    rules.append(
        _at_most(
            "fairness.demographic_parity_difference",
            fair["demographic_parity_difference"],
            gates.max_demographic_parity_difference,
        )
    )
    rules.append(
        _at_most(
            "fairness.equalized_odds_difference",
            fair["equalized_odds_difference"],
            gates.max_equalized_odds_difference,
        )
    )
    return GateResult(rules)
