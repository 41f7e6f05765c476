"""Every validation rule fires on the bad data it is meant for and names the column and rule."""

import numpy as np
import pandas as pd
import pytest

from mlops.monitoring.drift import psi
from pipelines.credit_risk import data
from pipelines.credit_risk.schema import load_schema
from pipelines.credit_risk.validation import validate


@pytest.fixture
def frame() -> pd.DataFrame:
    return data.generate(2000, 8)


def _check(frame: pd.DataFrame, config) -> list[tuple[str, str]]:
    report = validate(frame, load_schema(), config.drift.max_psi)
    return [(f.column, f.rule) for f in report.findings]


def test_clean_data_passes(frame, config) -> None:
    assert _check(frame, config) == []


def test_nulls_in_a_required_column(frame, config) -> None:
    frame.loc[:9, "income"] = np.nan
    report = validate(frame, load_schema(), config.drift.max_psi)
    assert [(f.column, f.rule) for f in report.findings] == [("income", "not_null")]
    assert "column 'income': rule not_null: 10 missing values" in report.summary()
    assert report.missing["income"] == 0.005


def test_values_out_of_range(frame, config) -> None:
    frame.loc[0, "age"] = 150
    frame.loc[1, "loan_amount"] = -5.0
    report = validate(frame, load_schema(), config.drift.max_psi)
    assert [(f.column, f.rule) for f in report.findings] == [
        ("age", "range"),
        ("loan_amount", "range"),
    ]
    assert "outside [18, 100], e.g. 150" in report.findings[0].detail


def test_optional_column_may_miss_up_to_its_allowance(frame, config) -> None:
    frame.loc[: len(frame) // 2, "employment_years"] = np.nan
    assert _check(frame, config) == [("employment_years", "missing_fraction")]


def test_wrong_types(frame, config) -> None:
    frame["open_accounts"] = frame["open_accounts"].astype(float)
    frame.loc[0, "open_accounts"] = 2.5
    frame["credit_history_months"] = frame["credit_history_months"].astype(object)
    frame.loc[0, "credit_history_months"] = "ten years"
    assert _check(frame, config) == [
        ("credit_history_months", "type"),
        ("open_accounts", "type"),
    ]


def test_unknown_category_and_missing_column(frame, config) -> None:
    frame.loc[0, "purpose"] = "yacht"
    frame = frame.drop(columns=["home_ownership"])
    assert _check(frame, config) == [("home_ownership", "present"), ("purpose", "categories")]


def test_distribution_shift(frame, config) -> None:
    frame["income"] = frame["income"] * 3
    frame[data.SENSITIVE] = "male"
    report = validate(frame, load_schema(), config.drift.max_psi)
    assert [(f.column, f.rule) for f in report.findings] == [
        ("income", "drift"),
        (data.SENSITIVE, "drift"),
    ]
    assert report.drift["income"] > config.drift.max_psi


def test_psi_is_zero_for_equal_and_grows_with_shift() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert 0 < psi([0.5, 0.5], [0.6, 0.4]) < psi([0.5, 0.5], [0.9, 0.1])
