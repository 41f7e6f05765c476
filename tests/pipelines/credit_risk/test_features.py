"""Feature engineering: imputation learned on the training data, ratios, no sensitive attribute."""

import math

import numpy as np
import pandas as pd
import pytest

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


def test_denominators_are_clipped_and_negative_income_counts_as_zero() -> None:
    frame = inputs(data.generate(3, 5))
    frame["income"] = [0.0, -10.0, 48_000.0]
    frame["loan_term_months"] = [0, 24, 36]
    out = CreditFeatures().fit(frame).transform(frame)
    loan = frame["loan_amount"].tolist()
    assert out["loan_to_income"].tolist() == pytest.approx([loan[0], loan[1], loan[2] / 48_000])
    assert out["monthly_burden"].iloc[0] == pytest.approx(loan[0] / 1 / (1 / 12))
    assert out["log_income"].tolist() == pytest.approx([0.0, 0.0, math.log1p(48_000)])


def test_a_one_row_request_gets_the_features_its_row_gets_in_a_batch() -> None:
    frame = inputs(data.generate(20, 6)).set_axis(range(100, 120))
    frame.loc[[103, 110], "employment_years"] = np.nan
    features = CreditFeatures().fit(frame)
    batch = features.transform(frame)
    for label in (100, 103, 110):
        pd.testing.assert_frame_equal(features.transform(frame.loc[[label]]), batch.loc[[label]])
