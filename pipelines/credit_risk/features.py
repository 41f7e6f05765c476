"""Feature engineering, as a scikit-learn transformer so the registered model carries it: serving
sends the raw application and gets the same features training saw."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from pipelines.credit_risk import data

ENGINEERED = ("loan_to_income", "monthly_burden", "log_income", "employment_missing")
NUMERIC_FEATURES = (*data.NUMERIC, *ENGINEERED)
CATEGORICAL_FEATURES = data.CATEGORICAL


class CreditFeatures(TransformerMixin, BaseEstimator):
    """Raw application columns (`data.INPUTS`) -> model features.

    Adds affordability ratios and a missing-employment flag, and imputes missing
    `employment_years` with the median learned in `fit` (so validation and test rows are imputed
    with the training median, never their own). The sensitive attribute is never used.
    """

    def fit(self, frame: pd.DataFrame, target: object = None) -> CreditFeatures:
        self.employment_median_ = float(frame["employment_years"].median())
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        # numpy arrays and one frame built at the end: pandas' per-column inserts and Series
        # arithmetic cost more than the trees themselves on a one-row request
        numeric = {name: frame[name].to_numpy(dtype=float) for name in data.NUMERIC}
        income, loan = numeric["income"], numeric["loan_amount"]
        term, employment = numeric["loan_term_months"], numeric["employment_years"]
        missing = np.isnan(employment)
        columns: dict[str, object] = dict(numeric)
        columns["employment_years"] = np.where(missing, self.employment_median_, employment)
        columns["loan_to_income"] = loan / np.maximum(income, 1.0)
        columns["monthly_burden"] = (loan / np.maximum(term, 1.0)) / (np.maximum(income, 1.0) / 12)
        columns["log_income"] = np.log1p(np.maximum(income, 0.0))
        columns["employment_missing"] = missing.astype(float)
        for name in CATEGORICAL_FEATURES:
            columns[name] = frame[name].astype(str)
        return pd.DataFrame(columns, index=frame.index)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([*NUMERIC_FEATURES, *CATEGORICAL_FEATURES], dtype=object)


def inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns (the serving contract), in order."""
    return frame.loc[:, list(data.INPUTS)]
