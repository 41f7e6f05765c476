"""Feature drift of served inputs against the training reference: Population Stability Index
and the two-sample Kolmogorov-Smirnov test, per feature.

PSI bins a numeric feature at the reference's deciles (open-ended outer bins) and a categorical
one by category; proportions are floored at 1e-4 so an empty bin gives a large but finite PSI.
Common reading: < 0.1 stable, 0.1-0.2 moderate, > 0.2 significant shift. KS applies to numeric
features only. A feature breaches when PSI exceeds `psi_threshold`, or when the KS test rejects
at `ks_alpha` AND the KS statistic is at least `ks_min_statistic` (with the tens of thousands
of rows a request log holds, a p-value alone flags shifts too small to matter).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from scipy import stats

from mlops.errors import BadInputError

FLOOR = 1e-4


class DriftThresholds(BaseModel):
    psi_threshold: float = Field(default=0.2, gt=0)
    ks_alpha: float = Field(default=0.01, gt=0, lt=1)
    ks_min_statistic: float = Field(default=0.1, ge=0, le=1)
    bins: int = Field(default=10, ge=2, le=100)
    min_samples: int = Field(default=50, ge=1)


class FeatureDrift(BaseModel):
    feature: str
    kind: str  # numeric or categorical
    reference_count: int
    current_count: int
    psi: float
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    breached: bool
    reasons: list[str] = []


class DriftReport(BaseModel):
    model: str
    version: str
    reference: str
    current: str
    reference_rows: int
    current_rows: int
    thresholds: DriftThresholds
    features: list[FeatureDrift]

    @property
    def breached(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.breached]


def _psi(reference: np.ndarray, current: np.ndarray) -> float:
    ref = np.maximum(reference, FLOOR)
    cur = np.maximum(current, FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def numeric_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1))[1:-1])
    ref_counts = np.bincount(
        np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1
    )
    cur_counts = np.bincount(
        np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1
    )
    return _psi(ref_counts / len(reference), cur_counts / len(current))


def categorical_psi(reference: pd.Series, current: pd.Series) -> float:
    categories = sorted(set(reference.astype(str)) | set(current.astype(str)))
    ref = reference.astype(str).value_counts(normalize=True).reindex(categories, fill_value=0)
    cur = current.astype(str).value_counts(normalize=True).reindex(categories, fill_value=0)
    return _psi(ref.to_numpy(), cur.to_numpy())


def feature_drift(
    name: str, reference: pd.Series, current: pd.Series, thresholds: DriftThresholds
) -> FeatureDrift:
    reference, current = reference.dropna(), current.dropna()
    numeric = pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(current)
    reasons: list[str] = []
    ks_stat = ks_p = None
    if numeric:
        ref = reference.to_numpy(dtype=float)
        cur = current.to_numpy(dtype=float)
        psi = numeric_psi(ref, cur, thresholds.bins)
        test: Any = stats.ks_2samp(ref, cur)  # scipy builds its result class at run time
        ks_stat, ks_p = float(test.statistic), float(test.pvalue)
        if ks_p < thresholds.ks_alpha and ks_stat >= thresholds.ks_min_statistic:
            reasons.append(f"KS {ks_stat:.3f} (p={ks_p:.2g}) >= {thresholds.ks_min_statistic}")
    else:
        psi = categorical_psi(reference, current)
    if psi > thresholds.psi_threshold:
        reasons.insert(0, f"PSI {psi:.3f} > {thresholds.psi_threshold}")
    return FeatureDrift(
        feature=name,
        kind="numeric" if numeric else "categorical",
        reference_count=len(reference),
        current_count=len(current),
        psi=round(psi, 6),
        ks_statistic=None if ks_stat is None else round(ks_stat, 6),
        ks_pvalue=ks_p,
        breached=bool(reasons),
        reasons=reasons,
    )


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    model: str,
    version: str,
    reference_name: str,
    current_name: str,
    thresholds: DriftThresholds | None = None,
    features: list[str] | None = None,
) -> DriftReport:
    """Drift of every feature the reference and the current inputs share (or of `features`)."""
    thresholds = thresholds or DriftThresholds()
    names = features or [c for c in reference.columns if c in current.columns]
    missing = [n for n in names if n not in reference.columns or n not in current.columns]
    if missing:
        raise BadInputError(
            f"features not in both reference and logged inputs: {', '.join(missing)}"
        )
    if not names:
        raise BadInputError(f"{reference_name} and {current_name} share no feature columns")
    if len(current) < thresholds.min_samples:
        raise BadInputError(
            f"{current_name}: {len(current)} logged rows; at least {thresholds.min_samples} needed"
        )
    return DriftReport(
        model=model,
        version=version,
        reference=reference_name,
        current=current_name,
        reference_rows=len(reference),
        current_rows=len(current),
        thresholds=thresholds,
        features=[feature_drift(n, reference[n], current[n], thresholds) for n in names],
    )


def logged_inputs(records: list[dict[str, Any]], model: str | None = None,
                  version: str | None = None) -> pd.DataFrame:  # fmt: skip
    """The input rows of successful request-log records (each record holds a list of rows)."""
    rows: list[dict[str, Any]] = []
    for record in records:
        if record.get("status", "ok") != "ok" or not isinstance(record.get("input"), list):
            continue
        if model is not None and record.get("model") != model:
            continue
        if version is not None and str(record.get("version")) != version:
            continue
        rows.extend(row for row in record["input"] if isinstance(row, dict))
    return pd.DataFrame.from_records(rows)
