"""Feature engineering: imputation learned on the training data, ratios, no sensitive attribute."""

import numpy as np

from pipelines.credit_risk import data
from pipelines.credit_risk.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    CreditFeatures,
    inputs,
)


def test_imputes_with_the_median_seen_in_fit() -> None:
    train, other = data.generate(1000, 1), data.generate(200, 2)
    other.loc[:4, "employment_years"] = np.nan
    features = CreditFeatures().fit(inputs(train))
    out = features.transform(inputs(other))
    median = train["employment_years"].median()
    assert (out.loc[:4, "employment_years"] == median).all()
    assert (out.loc[:4, "employment_missing"] == 1.0).all()
    assert (
        out["employment_missing"].tolist()
        == other["employment_years"].isna().astype(float).tolist()
    )


def test_ratios_and_columns() -> None:
    frame = data.generate(50, 3)
    out = CreditFeatures().fit(inputs(frame)).transform(inputs(frame))
    assert list(out.columns) == [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES]
    assert np.allclose(out["loan_to_income"], frame["loan_amount"] / frame["income"])
    assert np.allclose(
        out["monthly_burden"],
        (frame["loan_amount"] / frame["loan_term_months"]) / (frame["income"] / 12),
    )
    assert np.isfinite(out[list(NUMERIC_FEATURES)].to_numpy()).all()
    assert data.SENSITIVE not in out.columns and data.TARGET not in out.columns


def test_model_inputs_exclude_sensitive_attribute_and_target() -> None:
    frame = data.generate(10, 4)
    assert tuple(inputs(frame).columns) == data.INPUTS
    assert data.SENSITIVE not in data.INPUTS
