"""Equivalence of the exported model (Zwiesler 2.3): the predictor serving a release answers
what the registered, evaluated model computes, on the same applications.

Its result is the serving-int evidence `equivalence.max_abs_diff` that the prod gate reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx

from mlops.errors import CheckFailedError


@dataclass(frozen=True)
class Equivalence:
    rows: int
    max_abs_diff: float


def applications(rows: int, seed: int = 11) -> list[dict[str, Any]]:
    """Fresh synthetic applications in the model's input columns (missing values as null)."""
    from pipelines.credit_risk import data

    frame = data.generate(rows, seed)[list(data.INPUTS)]
    records = frame.to_dict(orient="records")
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in records
    ]


def _flatten(values: Any) -> list[float]:
    if isinstance(values, list | tuple):
        return [x for item in values for x in _flatten(item)]
    return [float(values)]


def compare(predict_url: str, storage_uri: str, rows: int = 200) -> Equivalence:
    """Largest absolute difference between the served predictions (KServe V1) and the
    registered model's own `predict` on the same rows."""
    import mlflow.pyfunc
    import pandas as pd

    instances = applications(rows)
    response = httpx.post(predict_url, json={"instances": instances}, timeout=60)
    if response.status_code != 200:
        raise CheckFailedError(f"equivalence: {predict_url} answered {response.status_code}")
    served = _flatten(response.json()["predictions"])
    model = mlflow.pyfunc.load_model(storage_uri)
    expected = _flatten(model.predict(pd.DataFrame(instances)).tolist())
    if len(served) != len(expected):
        raise CheckFailedError(
            f"equivalence: served {len(served)} values, the registered model {len(expected)}"
        )
    return Equivalence(rows, max(abs(a - b) for a, b in zip(served, expected, strict=True)))
