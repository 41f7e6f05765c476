"""Data tests: the generator is deterministic, realistic enough, and matches the committed schema."""

from pathlib import Path

import numpy as np

from pipelines.credit_risk import data
from pipelines.credit_risk.schema import SCHEMA_PATH, dump, load_schema, reference_schema
from pipelines.credit_risk.validation import validate


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = data.write_csv(data.generate(500, 3), tmp_path / "a.csv")
    second = data.write_csv(data.generate(500, 3), tmp_path / "b.csv")
    other = data.write_csv(data.generate(500, 4), tmp_path / "c.csv")
    assert first == second
    assert first != other
    assert first.startswith("sha256:")


def test_columns_types_and_domain() -> None:
    frame = data.generate(5000, 11)
    assert tuple(frame.columns) == data.COLUMNS
    for name, (low, high) in data.DOMAIN.items():
        present = frame[name].dropna()
        assert present.between(low, high).all(), name
    assert set(frame[data.SENSITIVE]) == set(data.SEXES)
    assert set(frame[data.TARGET]) == {0, 1}
    assert 0.1 < frame[data.TARGET].mean() < 0.3
    # the only column with missing values is the optional one
    assert frame.columns[frame.isna().any()].tolist() == ["employment_years"]


def test_default_depends_on_affordability_not_on_sex() -> None:
    frame = data.generate(20000, 5)
    burden = frame["loan_amount"] / frame["income"]
    high, low = frame[burden > 0.5], frame[burden < 0.2]
    assert high[data.TARGET].mean() > 2 * low[data.TARGET].mean()
    # within the same affordability band the groups default at similar rates
    band = frame[burden.between(0.2, 0.35)]
    rates = band.groupby(data.SENSITIVE)[data.TARGET].mean()
    assert abs(rates["female"] - rates["male"]) < 0.03


def test_csv_round_trip_keeps_values(tmp_path: Path) -> None:
    frame = data.generate(300, 1)
    data.write_csv(frame, tmp_path / "d.csv")
    back = data.read_csv(tmp_path / "d.csv")
    assert np.allclose(back["income"], frame["income"])
    assert back["employment_years"].isna().sum() == frame["employment_years"].isna().sum()


def test_committed_schema_is_derived_from_the_reference_data(config) -> None:
    """The schema file is what `python -m pipelines.credit_risk.schema` writes, byte for byte."""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == dump(reference_schema(config.drift.bins))


def test_fresh_samples_pass_validation(config) -> None:
    schema = load_schema()
    for seed in (7, 99):
        report = validate(data.generate(3000, seed), schema, config.drift.max_psi)
        assert report.passed, report.summary()
        assert max(report.drift.values()) < config.drift.max_psi / 4
