"""Fresh synthetic loan applications in the credit-risk model's input columns: what the demo
sends to the predictor (equivalence test, load test) and what `mlops verify` asks it about."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlops.serving.equivalence import instances


def frame(rows: int, seed: int = 11) -> pd.DataFrame:
    from pipelines.credit_risk import data

    return data.generate(rows, seed)[list(data.INPUTS)]


def applications(rows: int, seed: int = 11) -> list[dict[str, Any]]:
    """KServe V1 instances (missing values as null)."""
    return instances(frame(rows, seed))
