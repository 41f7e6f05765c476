"""Drift: a shifted feature is flagged, an unshifted one is not; PSI and KS as defined."""

import numpy as np
import pandas as pd
import pytest

from mlops.errors import BadInputError
from mlops.monitoring.drift import (
    DriftThresholds,
    categorical_psi,
    compare,
    logged_inputs,
    numeric_psi,
)


def _frames(shift=15.0, rows=2000):
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"income": rng.normal(50, 10, rows), "age": rng.normal(40, 12, rows),
                              "region": rng.choice(["n", "s", "e"], rows)})  # fmt: skip
    current = pd.DataFrame({"income": rng.normal(50 + shift, 10, 800),
                            "age": rng.normal(40, 12, 800),
                            "region": rng.choice(["n", "s", "e"], 800)})  # fmt: skip
    return reference, current


def test_shifted_feature_is_flagged_and_unshifted_ones_are_not():
    reference, current = _frames()
    report = compare(reference, current, model="credit", version="3",
                     reference_name="train.csv", current_name="log")  # fmt: skip
    by_name = {f.feature: f for f in report.features}
    assert by_name["income"].breached
    assert by_name["income"].psi > 0.2 and by_name["income"].ks_pvalue < 1e-10
    assert any("PSI" in r for r in by_name["income"].reasons)
    assert not by_name["age"].breached and by_name["age"].psi < 0.1
    assert not by_name["region"].breached and by_name["region"].kind == "categorical"
    assert by_name["region"].ks_statistic is None
    assert [f.feature for f in report.breached] == ["income"]


def test_identical_samples_have_zero_psi_and_empty_bins_stay_finite():
    values = np.linspace(0, 1, 1000)
    assert numeric_psi(values, values) == pytest.approx(0.0, abs=1e-12)
    far = numeric_psi(values, values + 10)
    assert np.isfinite(far) and far > 5
    assert categorical_psi(pd.Series(["a"] * 50 + ["b"] * 50), pd.Series(["c"] * 100)) > 5


def test_small_shift_on_many_rows_needs_a_material_ks_statistic():
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 50_000)})
    current = pd.DataFrame({"x": rng.normal(0.05, 1, 50_000)})
    (item,) = compare(reference, current, model="m", version="1", reference_name="r",
                      current_name="c").features  # fmt: skip
    assert item.ks_pvalue < 0.01 and item.ks_statistic < 0.1
    assert not item.breached


def test_logged_inputs_keep_successful_rows_of_the_model_and_version():
    records = [
        {"model": "credit", "version": "3", "status": "ok", "input": [{"x": 1}, {"x": 2}]},
        {"model": "credit", "version": "4", "status": "ok", "input": [{"x": 3}]},
        {"model": "credit", "version": "3", "status": "error", "input": [{"x": 4}]},
        {"model": "other", "version": "3", "status": "ok", "input": [{"x": 5}]},
    ]
    assert logged_inputs(records, "credit", "3")["x"].tolist() == [1, 2]
    assert logged_inputs(records, "credit")["x"].tolist() == [1, 2, 3]


def test_too_few_rows_or_no_shared_features_is_bad_input():
    reference, current = _frames()
    with pytest.raises(BadInputError, match="at least 50 needed"):
        compare(reference, current.head(10), model="m", version="1", reference_name="r",
                current_name="log")  # fmt: skip
    with pytest.raises(BadInputError, match="not in both"):
        compare(reference, current, model="m", version="1", reference_name="r",
                current_name="log", features=["missing"], thresholds=DriftThresholds())  # fmt: skip
