"""Optional per-request explanations for the request log (Zwiesler 2.4: where regulators
require one).

- `linear`: per-feature contributions (coefficient x transformed value) of a linear scikit-learn
  model, or of the last step of a Pipeline, for the predicted class.
- `reference`: for any model, per input feature, how much the score moves when that feature
  alone is set back to the training reference (median of a numeric column, most frequent value
  of a categorical one), `score(x) - score(x with feature j := reference_j)`; the score is the
  positive-class probability (the predicted class's for more than two). The reference travels in
  the artifact (MLmodel metadata `explanation_reference`, written at training), so the digest
  covers it. It costs one batched prediction of (features + 1) rows per request row, and names
  the model's own input columns, so masking a field masks its attribution too.
- `auto`: `linear` for a linear model, `reference` when the artifact carries one, else none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from mlops.errors import BadInputError

log = logging.getLogger(__name__)

REFERENCE_KEY = "explanation_reference"  # in the MLmodel file's `metadata`
EXPLAINERS = ("none", "linear", "reference", "auto")


class Explainer(Protocol):
    def __call__(self, frame: pd.DataFrame) -> list[dict[str, float]]: ...


class LinearExplainer:
    """Contributions `coef_j * x_j` per row, plus the intercept under `_intercept`."""

    def __init__(self, raw_model: Any) -> None:
        steps = getattr(raw_model, "steps", None)
        self.transform = raw_model[:-1] if steps else None
        self.estimator = steps[-1][1] if steps else raw_model
        if not hasattr(self.estimator, "coef_"):
            raise BadInputError(
                f"explain: linear needs a linear model (coef_); got {type(self.estimator).__name__}"
            )

    def __call__(self, frame: pd.DataFrame) -> list[dict[str, float]]:
        values = self.transform.transform(frame) if self.transform is not None else frame
        matrix = np.asarray(values, dtype=float)
        names = [str(c) for c in getattr(values, "columns", frame.columns)]
        if len(names) != matrix.shape[1]:
            names = [f"x{i}" for i in range(matrix.shape[1])]
        coef = np.atleast_2d(self.estimator.coef_)
        intercept = np.atleast_1d(getattr(self.estimator, "intercept_", np.zeros(coef.shape[0])))
        if coef.shape[0] == 1:
            rows = matrix * coef[0]
            bias = np.full(len(matrix), float(intercept[0]))
        else:
            chosen = np.argmax(matrix @ coef.T + intercept, axis=1)
            rows = matrix * coef[chosen]
            bias = intercept[chosen].astype(float)
        return [
            {**dict(zip(names, map(float, row), strict=True)), "_intercept": float(b)}
            for row, b in zip(rows, bias, strict=True)
        ]


def reference_values(frame: pd.DataFrame) -> dict[str, Any]:
    """The training reference of each column: the median of a numeric one, the most frequent
    value of any other (JSON-able, for the MLmodel metadata)."""
    values: dict[str, Any] = {}
    for column in frame.columns:
        series = frame[column].dropna()
        if series.empty:
            continue
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            median = float(series.median())
            values[str(column)] = round(median) if pd.api.types.is_integer_dtype(series) else median
        else:
            mode = series.mode().iloc[0]
            values[str(column)] = mode.item() if isinstance(mode, np.generic) else mode
    return values


class ReferenceExplainer:
    """Per input feature: score(x) minus the score with that feature at its reference value,
    plus the row's own score under `_score`."""

    def __init__(self, score: Any, reference: Mapping[str, Any]) -> None:
        self.score = score  # frame -> 2-D class probabilities (or 1-D scores)
        self.reference = dict(reference)

    def __call__(self, frame: pd.DataFrame) -> list[dict[str, float]]:
        features = [column for column in frame.columns if column in self.reference]
        k, n = len(features), len(frame)
        # rows i*(k+1) .. i*(k+1)+k: row i as is, then with feature j at its reference; built
        # column by column (per-row pandas edits cost more than the model's own prediction)
        batch = frame.iloc[np.repeat(np.arange(n), k + 1)].reset_index(drop=True)
        for j, column in enumerate(features, start=1):
            values = batch[column].to_numpy(copy=True)
            if values.dtype.kind in "iub" and not isinstance(self.reference[column], int | bool):
                values = values.astype(float)
            values[np.arange(n) * (k + 1) + j] = self.reference[column]
            batch[column] = values
        scores = np.asarray(self.score(batch.astype(frame.dtypes.to_dict())), dtype=float)
        if scores.ndim == 2:
            first = scores[:: k + 1]
            picked = (
                np.full(n, scores.shape[1] - 1)
                if scores.shape[1] == 2
                else np.argmax(first, axis=1)
            )
            scores = scores[np.arange(len(scores)), np.repeat(picked, k + 1)]
        grid = scores.reshape(n, k + 1)
        shifts = grid[:, :1] - grid[:, 1:]
        return [
            {**dict(zip(features, map(float, row), strict=True)), "_score": float(own)}
            for row, own in zip(shifts, grid[:, 0], strict=True)
        ]


def _scorer(pyfunc: Any) -> Any:
    raw = pyfunc.get_raw_model() if hasattr(pyfunc, "get_raw_model") else None
    if raw is not None and hasattr(raw, "predict_proba"):
        return raw.predict_proba
    return pyfunc.predict


def _is_linear(raw: Any) -> bool:
    steps = getattr(raw, "steps", None)
    return hasattr(steps[-1][1] if steps else raw, "coef_")


def explainer_for(kind: str, pyfunc: Any) -> Explainer | None:
    """The explainer `kind` names for a loaded MLflow pyfunc model; bad input when the model
    cannot have it (`auto` falls back to none, saying so in the log)."""
    if kind not in EXPLAINERS:
        raise BadInputError(f"explain: unknown '{kind}'; allowed: {', '.join(EXPLAINERS)}")
    if kind == "none":
        return None
    try:
        raw = pyfunc.get_raw_model()
    except Exception:  # flavours without a raw model (MLflow raises several kinds)
        raw = None
    reference = (getattr(pyfunc.metadata, "metadata", None) or {}).get(REFERENCE_KEY)
    if kind == "linear" or (kind == "auto" and raw is not None and _is_linear(raw)):
        return LinearExplainer(raw)
    if reference:
        return ReferenceExplainer(_scorer(pyfunc), reference)
    if kind == "reference":
        raise BadInputError(
            f"explain: reference needs the training reference in the artifact (MLmodel "
            f"metadata '{REFERENCE_KEY}'); this model has none; allowed: linear, auto, none"
        )
    log.warning("explain: auto: the model is not linear and has no training reference: none")
    return None
