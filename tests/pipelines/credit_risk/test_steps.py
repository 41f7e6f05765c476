"""Each step function on its own: what it returns and what it records in the audit log."""

from pathlib import Path

import numpy as np
import pytest

from mlops.errors import BadInputError, CheckFailedError
from mlops.governance.client import Subject
from pipelines.credit_risk import data, steps
from pipelines.credit_risk.config import Candidate


def _names(ctx) -> list[str]:
    return [m.name for m in ctx.evidence.recorded]


def _logged(ctx) -> list[tuple[str, str]]:
    """(name, source) of what reached the audit log, in order."""
    entries = ctx.evidence.audit.query(Subject(run="unit"))
    return [(e.name, e.source) for e in entries]


@pytest.fixture
def prepared(make_ctx):
    ctx = make_ctx()
    return steps.engineer_features(ctx, data.generate(1500, 7))


def test_ingest_generates_and_subsamples(make_ctx) -> None:
    ctx = make_ctx("int")
    ingested = steps.ingest(ctx)
    assert ingested.source_rows == ctx.settings.source_rows
    assert len(ingested.frame) == ctx.settings.sample_rows
    assert ingested.uri == ingested.path.resolve().as_uri()
    assert ingested.sha256 == data.file_digest(ingested.path)
    assert _logged(ctx) == [
        ("data.source_rows", "credit-risk-training/ingest"),
        ("data.rows", "credit-risk-training/ingest"),
    ]
    entry = ctx.evidence.audit.query(Subject(run="unit"), name="data.rows")[0]
    assert entry.artifacts == {"data": ingested.sha256}
    assert ctx.client.tags["mlops.data.sha256"] == ingested.sha256


def test_ingest_reads_a_given_file_and_refuses_a_missing_one(make_ctx, tmp_path: Path) -> None:
    ctx = make_ctx("prod")
    path = tmp_path / "given.csv"
    data.write_csv(data.generate(400, 2), path)
    ingested = steps.ingest(ctx, path)
    assert len(ingested.frame) == 400  # prod: no sub-sampling
    assert ingested.uri == path.resolve().as_uri()
    with pytest.raises(BadInputError, match=r"--data: .*missing\.csv: file not found"):
        steps.ingest(ctx, tmp_path / "missing.csv")


def test_validate_records_statistics_then_the_verdict(make_ctx) -> None:
    ctx = make_ctx()
    report = steps.validate_data(ctx, data.generate(1500, 7))
    assert report.passed
    names = _names(ctx)
    assert names[: len(data.COLUMNS)] == [f"data.missing.{c}" for c in data.COLUMNS]
    assert names[-1] == "data.validation"
    assert ctx.evidence.recorded[-1].value["passed"] is True


def test_validate_stops_with_column_and_rule_and_records_the_failure(make_ctx) -> None:
    ctx = make_ctx()
    frame = data.generate(1500, 7)
    frame.loc[:2, "income"] = np.nan
    with pytest.raises(CheckFailedError, match="column 'income': rule not_null"):
        steps.validate_data(ctx, frame)
    verdict = ctx.evidence.audit.query(Subject(run="unit"), name="data.validation")[0]
    assert verdict.kind == "verdict"
    assert verdict.value["passed"] is False
    assert verdict.value["findings"] == [
        {"column": "income", "rule": "not_null", "detail": "3 missing values in a required column"}
    ]


def test_features_keep_inputs_sensitive_and_target(make_ctx, prepared) -> None:
    assert tuple(prepared.columns) == data.COLUMNS


def test_split_is_stratified_deterministic_and_disjoint(make_ctx, prepared) -> None:
    first, second = steps.split(make_ctx(), prepared), steps.split(make_ctx(), prepared)
    assert first.test.equals(second.test)
    sizes = [len(first.train), len(first.validation), len(first.test)]
    assert sum(sizes) == len(prepared)
    assert sizes == [825, 300, 375]
    rate = prepared[data.TARGET].mean()
    for part in (first.train, first.validation, first.test):
        assert abs(part[data.TARGET].mean() - rate) < 0.01


def test_tune_picks_the_best_validation_auc(make_ctx, prepared) -> None:
    ctx = make_ctx()
    parts = steps.split(ctx, prepared)
    chosen = steps.tune(ctx, parts.train, parts.validation)
    scores = {m.name: m.value for m in ctx.evidence.recorded if m.name.startswith("tuning.trial.")}
    assert len(scores) == len(ctx.settings.search)
    best = max(range(len(scores)), key=lambda i: scores[f"tuning.trial.{i}.validation_roc_auc"])
    assert chosen == ctx.settings.search[best]
    assert ctx.client.params["learning_rate"] == chosen.learning_rate


def test_train_evaluate_fairness_gate(make_ctx, prepared) -> None:
    ctx = make_ctx()
    parts = steps.split(ctx, prepared)
    params = Candidate(learning_rate=0.1, max_iter=20, max_depth=3, min_samples_leaf=20)
    fitted = steps.train(ctx, parts.train, parts.validation, params)
    assert fitted.predict_proba(parts.test[list(data.INPUTS)]).shape == (len(parts.test), 2)
    evaluation = steps.evaluate(ctx, fitted, parts.train, parts.validation, parts.test)
    assert evaluation.champion is None and evaluation.champion_version is None
    assert 0.5 < evaluation.candidate["roc_auc"] <= 1.0
    fair = steps.fairness(ctx, fitted, parts.test)
    assert set(fair["slices"]) == set(data.SEXES)
    verdict = steps.gate(ctx, evaluation, fair)
    assert _names(ctx)[-1] == "gates.analytics"
    assert ctx.evidence.recorded[-1].kind == "verdict"
    assert ctx.evidence.recorded[-1].value == verdict.as_dict()
    assert "champion.roc_auc" not in _names(ctx)
    assert _names(ctx)[_names(ctx).index("test.roc_auc") :][:7] == [
        "test.roc_auc",
        "test.accuracy",
        "test.confusion_matrix",
        "baseline.roc_auc",
        "baseline.accuracy",
        "baseline.gain.roc_auc",
        "champion.version",
    ]
