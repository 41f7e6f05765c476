"""Performance and fairness measures on hand-checked examples."""

import numpy as np
import pandas as pd

from pipelines.credit_risk import metrics


def test_performance() -> None:
    y = np.array([0, 0, 1, 1])
    score = np.array([0.1, 0.6, 0.4, 0.9])
    result = metrics.performance(y, score)
    assert result["roc_auc"] == 0.75
    assert result["accuracy"] == 0.5
    assert result["confusion_matrix"] == {"tn": 1, "fp": 1, "fn": 1, "tp": 1}


def test_fairness_differences() -> None:
    # group a: selection 3/4, TPR 2/2, FPR 1/2; group b: selection 1/4, TPR 1/2, FPR 0/2
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    score = np.array([0.9, 0.8, 0.7, 0.1, 0.9, 0.2, 0.3, 0.1])
    groups = pd.Series(["a"] * 4 + ["b"] * 4)
    result = metrics.fairness(y, score, groups)
    assert result["demographic_parity_difference"] == 0.5
    assert result["equalized_odds_difference"] == 0.5
    assert result["slices"]["a"] == {
        "rows": 4,
        "selection_rate": 0.75,
        "true_positive_rate": 1.0,
        "false_positive_rate": 0.5,
    }


def test_equal_treatment_gives_zero() -> None:
    y = np.array([1, 0, 1, 0])
    score = np.array([0.9, 0.1, 0.9, 0.1])
    result = metrics.fairness(y, score, pd.Series(["a", "a", "b", "b"]))
    assert result["demographic_parity_difference"] == 0.0
    assert result["equalized_odds_difference"] == 0.0
