"""Performance and fairness measures, computed with numpy/pandas/scikit-learn only."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score

THRESHOLD = 0.5


class Performance(TypedDict):
    roc_auc: float
    accuracy: float
    confusion_matrix: dict[str, int]


class SliceRates(TypedDict):
    rows: int
    selection_rate: float
    true_positive_rate: float
    false_positive_rate: float


class Fairness(TypedDict):
    demographic_parity_difference: float
    equalized_odds_difference: float
    slices: dict[str, SliceRates]


def performance(y_true: np.ndarray, score: np.ndarray) -> Performance:
    """ROC AUC, accuracy at `THRESHOLD`, and the confusion matrix (positive class = default)."""
    predicted = (score >= THRESHOLD).astype(int)
    tn, fp, fn, tp = confusion_matrix(y_true, predicted, labels=[0, 1]).ravel()
    return {
        "roc_auc": round(float(roc_auc_score(y_true, score)), 6),
        "accuracy": round(float(accuracy_score(y_true, predicted)), 6),
        "confusion_matrix": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


def _rate(mask: np.ndarray, predicted: np.ndarray) -> float:
    return float(predicted[mask].mean()) if mask.any() else 0.0


def slice_rates(
    y_true: np.ndarray, predicted: np.ndarray, groups: pd.Series
) -> dict[str, SliceRates]:
    """Per group: rows, selection rate (share predicted to default), TPR and FPR."""
    out: dict[str, SliceRates] = {}
    for group in sorted(groups.dropna().astype(str).unique()):
        in_group = (groups.astype(str) == group).to_numpy()
        out[group] = {
            "rows": int(in_group.sum()),
            "selection_rate": round(_rate(in_group, predicted), 6),
            "true_positive_rate": round(_rate(in_group & (y_true == 1), predicted), 6),
            "false_positive_rate": round(_rate(in_group & (y_true == 0), predicted), 6),
        }
    return out


def fairness(y_true: np.ndarray, score: np.ndarray, groups: pd.Series) -> Fairness:
    """Demographic parity difference (largest gap in selection rates between groups) and
    equalized odds difference (the larger of the largest TPR gap and the largest FPR gap), with
    the per-slice rates they come from (the definitions fairlearn uses)."""
    predicted = (score >= THRESHOLD).astype(int)
    slices = slice_rates(np.asarray(y_true), predicted, groups)

    def gap(key: str) -> float:
        values = [float(rates[key]) for rates in slices.values()]  # type: ignore[literal-required]
        return round(max(values) - min(values), 6) if values else 0.0

    return {
        "demographic_parity_difference": gap("selection_rate"),
        "equalized_odds_difference": max(gap("true_positive_rate"), gap("false_positive_rate")),
        "slices": slices,
    }
