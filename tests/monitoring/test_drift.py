"""Drift: a shifted feature is flagged, an unshifted one is not; PSI and KS as defined."""

import numpy as np
import pandas as pd
import pytest

from mlops.errors import BadInputError
from mlops.monitoring.drift import (
    DriftThresholds,
    categorical_psi,
    compare,
    load_reference,
    logged_inputs,
    numeric_psi,
    psi,
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


def _applications(rows: int, seed: int) -> pd.DataFrame:
    from pipelines.credit_risk import data

    return data.generate(rows, seed)


def test_training_validation_and_serving_monitoring_give_the_same_psi():
    """The pipeline's validation (committed schema bins) and the monitoring job (reference
    rows, or the schema file) compute one PSI per column on the same data."""
    from pipelines.credit_risk import data
    from pipelines.credit_risk.schema import SCHEMA_PATH, load_schema
    from pipelines.credit_risk.validation import validate

    current = _applications(3000, 21)
    current["income"] = current["income"] * 1.4
    current["loan_term_months"] = current["loan_term_months"].where(
        current["loan_term_months"] < 60, 72
    )
    validated = validate(current, load_schema(), max_psi=0.2).drift
    features = [c for c in data.COLUMNS if c != data.TARGET]
    from_rows = compare(data.reference(), current[features], model="m", version="1",
                        reference_name="reference", current_name="log")  # fmt: skip
    from_schema = compare(load_reference(SCHEMA_PATH), current[features], model="m",
                          version="1", reference_name="schema", current_name="log")  # fmt: skip
    for report in (from_rows, from_schema):
        by_name = {f.feature: f.psi for f in report.features}
        assert set(by_name) == set(features)
        for feature in features:
            # the schema stores shares rounded to 6 decimals: equal to that precision
            assert by_name[feature] == pytest.approx(validated[feature], abs=1e-4), feature
    assert validated["income"] > 0.2 and validated["age"] < 0.05


def _old_serving_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """The serving monitor's binning before the two were made one: left-closed bins, so a
    point mass at the last edge shared its bin with everything above it."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1))[1:-1])
    ref = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    cur = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    return psi(list(ref / len(reference)), list(cur / len(current)))


def test_a_shift_past_the_last_edge_the_old_serving_binning_missed_is_seen():
    """Every 60-month loan becomes a 72-month one: the old serving monitor put 60 and 72 in
    one bin [60, inf) and saw nothing; the one implementation sees a significant shift."""
    reference = _applications(4000, 3)["loan_term_months"]
    current = _applications(2000, 4)["loan_term_months"]
    current = current.where(current < 60, 72)
    assert (reference == 60).mean() > 0.1
    old = _old_serving_psi(reference.to_numpy(float), current.to_numpy(float))
    assert old < 0.01
    new = numeric_psi(reference.to_numpy(float), current.to_numpy(float))
    assert new > 0.2
    report = compare(pd.DataFrame({"loan_term_months": reference}),
                     pd.DataFrame({"loan_term_months": current}), model="m", version="1",
                     reference_name="r", current_name="c")  # fmt: skip
    assert [f.feature for f in report.breached] == ["loan_term_months"]


def test_a_schema_that_is_not_one_is_bad_input(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text('{"rows": 3, "columns": [{"name": "x"}]}')
    with pytest.raises(BadInputError, match=r"schema\.json: not a data schema with reference bins"):
        load_reference(path)
