"""Equivalence of the exported model (Zwiesler 2.3): the predictor serving a release answers
what the registered, evaluated model computes, on the same rows.

The reference is the release's own artifact, loaded only after its digest matches the
descriptor's. The result is the serving-int evidence `equivalence.max_abs_diff` that the prod
gate reads, recorded with that digest so the gate can tie it to the evaluated model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd

from mlops.errors import CheckFailedError
from mlops.serving.artifact import LoadedModel
from mlops.serving.rows import predictions, records

TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Equivalence:
    rows: int
    max_abs_diff: float
    model_digest: str


def instances(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as KServe V1 instances; a missing value travels as null (JSON has no NaN)."""
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in records(frame)
    ]


def _flatten(values: Any) -> list[float]:
    if isinstance(values, dict):
        return [x for item in values.values() for x in _flatten(item)]
    if isinstance(values, list | tuple):
        return [x for item in values for x in _flatten(item)]
    return [float(values)]


def compare(predict_url: str, model: LoadedModel, frame: pd.DataFrame) -> Equivalence:
    """Largest absolute difference between what the predictor at `predict_url` (KServe V1)
    answers and what the release's model computes itself, over every value of every row."""
    try:
        response = httpx.post(predict_url, json={"instances": instances(frame)}, timeout=TIMEOUT_S)
    except httpx.HTTPError as error:
        raise CheckFailedError(f"equivalence: {predict_url}: {error}") from None
    if response.status_code != 200:
        raise CheckFailedError(f"equivalence: {predict_url} answered {response.status_code}")
    served = _flatten(response.json()["predictions"])
    expected = _flatten(predictions(model.pyfunc.predict(model.conform(frame))))
    if len(served) != len(expected) or not served:
        raise CheckFailedError(
            f"equivalence: served {len(served)} values, the release's model {len(expected)}"
        )
    differences = (abs(a - b) for a, b in zip(served, expected, strict=True))
    return Equivalence(len(frame), max(differences), model.digest)
