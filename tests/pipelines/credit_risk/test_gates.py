"""Analytics gates: each rule reports actual and required; the champion rule only with a champion."""

from pipelines.credit_risk.config import Gates
from pipelines.credit_risk.gates import evaluate_gates
from pipelines.credit_risk.steps import Evaluation

GATES = Gates(
    min_roc_auc=0.7,
    min_gain_over_baseline=0.0,
    max_regression_vs_champion=0.01,
    max_demographic_parity_difference=0.1,
    max_equalized_odds_difference=0.1,
)
FAIR = {"demographic_parity_difference": 0.05, "equalized_odds_difference": 0.08}


def _evaluation(mine: float, base: float, champion: float | None = None) -> Evaluation:
    return Evaluation(
        {"roc_auc": mine},
        {"roc_auc": base},
        None if champion is None else {"roc_auc": champion},
        None if champion is None else "3",
    )


def test_all_pass_without_champion() -> None:
    result = evaluate_gates(GATES, _evaluation(0.8, 0.75), FAIR)
    assert result.passed
    assert [r.rule for r in result.rules] == [
        "test.roc_auc",
        "baseline.gain.roc_auc",
        "fairness.demographic_parity_difference",
        "fairness.equalized_odds_difference",
    ]


def test_not_better_than_the_linear_baseline_fails() -> None:
    result = evaluate_gates(GATES, _evaluation(0.74, 0.75), FAIR)
    assert not result.passed
    assert result.failures() == "baseline.gain.roc_auc: actual -0.01, required >= 0"


def test_regression_against_the_champion_fails() -> None:
    result = evaluate_gates(GATES, _evaluation(0.80, 0.75, champion=0.82), FAIR)
    assert [r.rule for r in result.rules if not r.passed] == ["champion.delta.roc_auc"]
    assert evaluate_gates(GATES, _evaluation(0.815, 0.75, champion=0.82), FAIR).passed


def test_fairness_bounds() -> None:
    unfair = {"demographic_parity_difference": 0.2, "equalized_odds_difference": 0.3}
    result = evaluate_gates(GATES, _evaluation(0.8, 0.75), unfair)
    assert [r.rule for r in result.rules if not r.passed] == [
        "fairness.demographic_parity_difference",
        "fairness.equalized_odds_difference",
    ]
    assert result.as_dict()["passed"] is False
