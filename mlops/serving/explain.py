"""Optional per-request explanations for the request log (Zwiesler 2.4: where regulators
require one). `linear` gives per-feature contributions (coefficient x transformed value) of a
linear scikit-learn model, or of the last step of a Pipeline, for the predicted class."""

from typing import Any, Protocol

import numpy as np
import pandas as pd

from mlops.errors import BadInputError


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


EXPLAINERS = ("none", "linear")


def explainer_for(kind: str, raw_model: Any) -> Explainer | None:
    if kind == "none":
        return None
    if kind == "linear":
        return LinearExplainer(raw_model)
    raise BadInputError(f"explain: unknown '{kind}'; allowed: {', '.join(EXPLAINERS)}")
