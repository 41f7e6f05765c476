"""Deterministic synthetic credit-risk data: the same seed and row count give the same bytes.

Defaults depend on affordability (loan against income), credit history and delinquencies, not on
`sex`; `sex` correlates with income (as in real portfolios), so a model can still treat the
groups differently, which is what the fairness step measures.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

TARGET = "default"
SENSITIVE = "sex"
NUMERIC = (
    "age",
    "income",
    "employment_years",
    "loan_amount",
    "loan_term_months",
    "credit_history_months",
    "open_accounts",
    "delinquencies_2y",
)
CATEGORICAL = ("home_ownership", "purpose")
INPUTS = (*NUMERIC, *CATEGORICAL)
COLUMNS = (*INPUTS, SENSITIVE, TARGET)
INTEGER = (
    "age",
    "loan_term_months",
    "credit_history_months",
    "open_accounts",
    "delinquencies_2y",
    TARGET,
)
# Domain knowledge the schema's ranges come from (not the observed extremes of one sample).
DOMAIN: dict[str, tuple[float, float]] = {
    "age": (18, 100),
    "income": (0, 5_000_000),
    "employment_years": (0, 80),
    "loan_amount": (100, 1_000_000),
    "loan_term_months": (6, 120),
    "credit_history_months": (0, 1_000),
    "open_accounts": (0, 100),
    "delinquencies_2y": (0, 50),
    TARGET: (0, 1),
}
HOME = ("rent", "own", "mortgage")
PURPOSE = ("car", "debt_consolidation", "education", "home_improvement", "business", "other")
SEXES = ("female", "male")
REFERENCE_SEED = 2023
REFERENCE_ROWS = 20_000


def generate(rows: int, seed: int) -> pd.DataFrame:
    """`rows` applicants drawn with `numpy.random.default_rng(seed)`; columns in `COLUMNS` order."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(SEXES, size=rows, p=[0.48, 0.52])
    age = np.clip(rng.normal(41, 12, rows).round(), 18, 80).astype(int)
    pay_gap = np.where(sex == "female", -0.12, 0.0)
    income = np.exp(rng.normal(10.7 + pay_gap + 0.006 * (age - 40), 0.45, rows)).round(2)
    employment = np.clip(rng.gamma(2.0, 3.5, rows), 0, age - 16).round(1)
    employment[rng.random(rows) < 0.03] = np.nan
    loan = np.clip(np.exp(rng.normal(9.4, 0.7, rows)), 500, 250_000).round(2)
    term = rng.choice([12, 24, 36, 48, 60], size=rows)
    history = np.clip(((age - 18) * 12 * rng.uniform(0.2, 1.0, rows)).round(), 0, 900).astype(int)
    accounts = rng.poisson(4, rows)
    delinquencies = rng.poisson(0.3, rows)
    home = rng.choice(HOME, size=rows, p=[0.4, 0.2, 0.4])
    purpose = rng.choice(PURPOSE, size=rows, p=[0.2, 0.3, 0.1, 0.15, 0.1, 0.15])
    burden = loan / income
    logit = (
        -2.6
        + 1.4 * burden
        + 1.3 * (burden > 0.45)
        + 0.0015 * (age - 45) ** 2
        + 0.9 * (delinquencies >= 2)
        - 0.004 * history
        - 0.05 * np.nan_to_num(employment, nan=2.0)
        + 0.8 * ((home == "rent") & (burden > 0.3))
        + 0.4 * (purpose == "business")
        + 0.006 * (term - 36)
        + rng.normal(0, 0.4, rows)
    )
    default = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "employment_years": employment,
            "loan_amount": loan,
            "loan_term_months": term,
            "credit_history_months": history,
            "open_accounts": accounts,
            "delinquencies_2y": delinquencies,
            "home_ownership": home,
            "purpose": purpose,
            SENSITIVE: sex,
            TARGET: default,
        },
        columns=list(COLUMNS),
    )


def reference() -> pd.DataFrame:
    """The reference sample the committed schema and statistics were derived from."""
    return generate(REFERENCE_ROWS, REFERENCE_SEED)


def write_csv(frame: pd.DataFrame, path: Path) -> str:
    """Write `frame` as CSV (stable formatting) and return the file's `sha256:<hex>`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return file_digest(path)


def read_csv(path: Path) -> pd.DataFrame:
    """Read a data file as written by `write_csv` (categoricals as strings)."""
    return pd.read_csv(path, dtype={c: "string" for c in (*CATEGORICAL, SENSITIVE)})


def file_digest(path: Path) -> str:
    """`sha256:<hex>` of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"
