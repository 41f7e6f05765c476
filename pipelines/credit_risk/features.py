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
        income = frame["income"].astype(float)
        loan = frame["loan_amount"].astype(float)
        term = frame["loan_term_months"].astype(float)
        employment = frame["employment_years"].astype(float)
        out = pd.DataFrame(index=frame.index)
        for name in data.NUMERIC:
            out[name] = frame[name].astype(float)
        out["employment_years"] = employment.fillna(self.employment_median_)
        out["loan_to_income"] = loan / income.clip(lower=1.0)
        out["monthly_burden"] = (loan / term.clip(lower=1.0)) / (income.clip(lower=1.0) / 12)
        out["log_income"] = np.log1p(income.clip(lower=0.0))
        out["employment_missing"] = employment.isna().astype(float)
        for name in CATEGORICAL_FEATURES:
            out[name] = frame[name].astype(str)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([*NUMERIC_FEATURES, *CATEGORICAL_FEATURES], dtype=object)


def inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns (the serving contract), in order."""
    return frame.loc[:, list(data.INPUTS)]
