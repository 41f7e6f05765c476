"""Feature drift of served inputs against the training reference: Population Stability Index
and the two-sample Kolmogorov-Smirnov test, per feature. This is the one drift implementation:
the training pipeline's data validation (`pipelines/credit_risk/validation.py`, against the
committed schema's reference bins), `mlops drift` and `mlops evidence collect` all bin and
compute PSI here, so the same data gives the same PSI on every path.

PSI bins a numeric feature at the reference's inner quantile edges (deciles by default, rounded
to 6 decimals, duplicates dropped) into (-inf, e1], (e1, e2], ..., (ek, inf): right-closed, so
a point mass at an edge (zero delinquencies, a 60-month term) has a bin of its own and a move
past the last edge is seen. A categorical feature is binned by category. Proportions are floored
at 1e-4 so an empty bin gives a large but finite PSI. Common reading: < 0.1 stable, 0.1-0.2
moderate, > 0.2 significant shift. KS applies to numeric features only, when reference rows
(not only their bins) are at hand. A feature breaches when PSI exceeds `psi_threshold`, or when
the KS test rejects at `ks_alpha` AND the KS statistic is at least `ks_min_statistic` (with the
tens of thousands of rows a request log holds, a p-value alone flags shifts too small to matter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from scipy import stats

from mlops.errors import BadInputError
from mlops.inputs import parse_json, read_text

FLOOR = 1e-4
MAX_SCHEMA_BYTES = 4 * 1024 * 1024


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


def _round(value: float) -> float:
    return round(float(value), 6)


def bin_edges(values: Any, bins: int) -> list[float]:
    """Inner edges of the reference quantile bins, rounded (as the committed schema stores
    them) and with duplicates dropped (discrete columns)."""
    present = pd.Series(values).dropna().to_numpy(dtype=float)
    if not len(present):
        return []
    quantiles = np.quantile(present, np.linspace(0, 1, bins + 1))
    return sorted({_round(q) for q in quantiles[1:-1]})


def bin_fractions(values: Any, edges: list[float]) -> list[float]:
    """Share of non-missing values per bin (-inf, e1], (e1, e2], ..., (ek, inf)."""
    present = pd.Series(values).dropna().to_numpy(dtype=float)
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=len(edges) + 1)
    return [float(c) / max(len(present), 1) for c in counts]


def frequencies(values: Any) -> dict[str, float]:
    """Share of each category among the non-missing values, by category name."""
    shares = pd.Series(values).dropna().astype(str).value_counts(normalize=True)
    return {str(k): float(v) for k, v in sorted(shares.items())}


def psi(expected: list[float], actual: list[float], floor: float = FLOOR) -> float:
    """Population stability index between two distributions over the same bins."""
    ref = np.maximum(np.asarray(expected, dtype=float), floor)
    cur = np.maximum(np.asarray(actual, dtype=float), floor)
    if ref.shape != cur.shape:
        raise ValueError(f"psi: {len(ref)} reference bins, {len(cur)} current bins")
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def numeric_psi(reference: Any, current: Any, bins: int = 10) -> float:
    edges = bin_edges(reference, bins)
    return psi(bin_fractions(reference, edges), bin_fractions(current, edges))


def categorical_psi(reference: Any, current: Any) -> float:
    return categorical_psi_against(frequencies(reference), current)


def categorical_psi_against(reference: dict[str, float], current: Any) -> float:
    """PSI of `current` against reference category shares; a category only one side has
    counts as an empty bin on the other."""
    now = frequencies(current)
    categories = sorted(set(reference) | set(now))
    return psi([reference.get(k, 0.0) for k in categories], [now.get(k, 0.0) for k in categories])


def numeric_psi_against(edges: list[float], fractions: list[float], current: Any) -> float:
    """PSI of `current` against reference bins (edges and shares, as the schema stores them)."""
    return psi(fractions, bin_fractions(current, edges))


class FeatureReference(BaseModel):
    """A feature's training distribution without its rows (what the committed schema keeps):
    numeric bins and their shares, or category shares."""

    rows: int = 0
    bin_edges: list[float] = Field(default_factory=list)
    bin_fractions: list[float] = Field(default_factory=list)
    frequencies: dict[str, float] = Field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        return not self.frequencies


def _verdict(name: str, kind: str, reference_count: int, current_count: int, value: float,
             ks: Any, thresholds: DriftThresholds) -> FeatureDrift:  # fmt: skip
    reasons: list[str] = []
    ks_stat = ks_p = None
    if ks is not None:
        ks_stat, ks_p = float(ks.statistic), float(ks.pvalue)
        if ks_p < thresholds.ks_alpha and ks_stat >= thresholds.ks_min_statistic:
            reasons.append(f"KS {ks_stat:.3f} (p={ks_p:.2g}) >= {thresholds.ks_min_statistic}")
    if value > thresholds.psi_threshold:
        reasons.insert(0, f"PSI {value:.3f} > {thresholds.psi_threshold}")
    return FeatureDrift(
        feature=name, kind=kind, reference_count=reference_count, current_count=current_count,
        psi=round(value, 6), ks_statistic=None if ks_stat is None else round(ks_stat, 6),
        ks_pvalue=ks_p, breached=bool(reasons), reasons=reasons,
    )  # fmt: skip


def feature_drift(
    name: str, reference: pd.Series, current: pd.Series, thresholds: DriftThresholds
) -> FeatureDrift:
    """Drift of one feature against its reference rows: PSI, and KS for a numeric one."""
    reference, current = reference.dropna(), current.dropna()
    numeric = pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(current)
    if numeric:
        ref = reference.to_numpy(dtype=float)
        cur = current.to_numpy(dtype=float)
        value, ks = numeric_psi(ref, cur, thresholds.bins), stats.ks_2samp(ref, cur)
    else:
        value, ks = categorical_psi(reference, current), None
    kind = "numeric" if numeric else "categorical"
    return _verdict(name, kind, len(reference), len(current), value, ks, thresholds)


def feature_drift_against(
    name: str, reference: FeatureReference, current: pd.Series, thresholds: DriftThresholds
) -> FeatureDrift:
    """Drift of one feature against its reference bins (no rows, so no KS test)."""
    current = current.dropna()
    if reference.numeric:
        numbers = pd.to_numeric(current, errors="coerce").dropna()
        value = numeric_psi_against(reference.bin_edges, reference.bin_fractions, numbers)
    else:
        value = categorical_psi_against(reference.frequencies, current)
    kind = "numeric" if reference.numeric else "categorical"
    return _verdict(name, kind, reference.rows, len(current), value, None, thresholds)


def load_reference(path: Path) -> dict[str, FeatureReference]:
    """Reference bins from a data schema file (`pipelines/credit_risk/schema.json`: columns
    with `reference.bin_edges`/`bin_fractions` or `reference.frequencies`)."""
    document = parse_json(read_text(path, MAX_SCHEMA_BYTES, "schema"), str(path))
    try:
        rows = int(document["rows"])
        return {
            str(column["name"]): FeatureReference(
                rows=rows,
                bin_edges=column["reference"].get("bin_edges", []),
                bin_fractions=column["reference"].get("bin_fractions", []),
                frequencies=column["reference"].get("frequencies", {}),
            )
            for column in document["columns"]
        }
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BadInputError(
            f"{path}: not a data schema with reference bins ({type(error).__name__}: {error}); "
            "allowed: columns[].reference.bin_edges/bin_fractions or frequencies"
        ) from None


def compare(
    reference: pd.DataFrame | dict[str, FeatureReference],
    current: pd.DataFrame,
    *,
    model: str,
    version: str,
    reference_name: str,
    current_name: str,
    thresholds: DriftThresholds | None = None,
    features: list[str] | None = None,
) -> DriftReport:
    """Drift of every feature the reference (rows, or bins from a schema) and the current
    inputs share (or of `features`)."""
    thresholds = thresholds or DriftThresholds()
    known = list(reference.columns if isinstance(reference, pd.DataFrame) else reference)
    names = features or [c for c in known if c in current.columns]
    missing = [n for n in names if n not in known or n not in current.columns]
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
    if isinstance(reference, pd.DataFrame):
        rows = len(reference)
        found = [feature_drift(n, reference[n], current[n], thresholds) for n in names]
    else:
        rows = max((r.rows for r in reference.values()), default=0)
        found = [feature_drift_against(n, reference[n], current[n], thresholds) for n in names]
    return DriftReport(
        model=model, version=version, reference=reference_name, current=current_name,
        reference_rows=rows, current_rows=len(current), thresholds=thresholds, features=found,
    )  # fmt: skip


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
