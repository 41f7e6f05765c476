"""The pipeline's steps as plain Python functions: callable locally, wrapped as KFP components.

Each step records its measurements through `ctx.evidence` the moment it produces them, so the
audit log holds the evidence even when a later step fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import mlflow.sklearn as mlflow_sklearn
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from mlops.errors import BadInputError, CheckFailedError
from pipelines.credit_risk import data, metrics, model
from pipelines.credit_risk.config import Candidate
from pipelines.credit_risk.context import RunContext
from pipelines.credit_risk.features import ENGINEERED, NUMERIC_FEATURES, CreditFeatures, inputs
from pipelines.credit_risk.gates import GateResult, evaluate_gates
from pipelines.credit_risk.schema import load_schema
from pipelines.credit_risk.validation import ValidationReport, validate


@dataclass(frozen=True)
class Ingested:
    frame: pd.DataFrame
    uri: str
    sha256: str
    source_rows: int
    path: Path


def ingest(ctx: RunContext, source: Path | None = None) -> Ingested:
    """Read the source data (generated deterministically when no file is given) and, in modes
    with `sample_rows`, draw a seeded sub-sample."""
    settings = ctx.settings
    if source is None:
        path = ctx.workdir / "data" / f"credit-risk-{settings.source_rows}-{settings.data_seed}.csv"
        digest = data.write_csv(data.generate(settings.source_rows, settings.data_seed), path)
        uri = path.resolve().as_uri()  # the file name carries the generator's rows and seed
    else:
        if not source.is_file():
            raise BadInputError(f"--data: {source}: file not found; allowed: a CSV file")
        path, digest, uri = source, data.file_digest(source), source.resolve().as_uri()
    try:
        frame = data.read_csv(path)
    except (ValueError, OSError) as error:
        raise BadInputError(f"--data: {path}: not a readable CSV file: {error}") from None
    source_rows = len(frame)
    if settings.sample_rows is not None and source_rows > settings.sample_rows:
        frame = frame.sample(n=settings.sample_rows, random_state=settings.seed).sort_index()
    frame = frame.reset_index(drop=True)
    evidence = ctx.evidence
    evidence.measure("ingest", "data.source_rows", source_rows, "rows", {"data": digest})
    evidence.measure("ingest", "data.rows", len(frame), "rows", {"data": digest})
    ctx.client.log_param(ctx.mlflow_run_id, "data_uri", uri)
    ctx.client.set_tag(ctx.mlflow_run_id, "mlops.data.sha256", digest)
    return Ingested(frame, uri, digest, source_rows, path)


def validate_data(ctx: RunContext, frame: pd.DataFrame) -> ValidationReport:
    """Check the data against the committed schema; stop the run with the reasons if it fails."""
    report = validate(frame, load_schema(), ctx.config.drift.max_psi)
    evidence = ctx.evidence
    for column, share in report.missing.items():
        evidence.measure("validate", f"data.missing.{column}", share, "ratio")
    for column, shift in report.drift.items():
        evidence.measure("validate", f"data.drift_psi.{column}", shift, "psi")
    evidence.measure("validate", "data.validation", report.as_dict(), kind="verdict")
    if not report.passed:
        raise CheckFailedError(f"data validation failed: {report.summary()}")
    return report


def engineer_features(ctx: RunContext, frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the model inputs, the sensitive attribute and the target; check that the engineered
    features are finite on this data."""
    prepared = frame.loc[:, list(data.COLUMNS)].copy()
    engineered = CreditFeatures().fit(prepared).transform(prepared)
    numeric = engineered.loc[:, list(NUMERIC_FEATURES)].to_numpy(dtype=float)
    non_finite = int((~np.isfinite(numeric)).sum())
    evidence = ctx.evidence
    evidence.measure("features", "features.count", engineered.shape[1], "features")
    evidence.measure("features", "features.engineered", len(ENGINEERED), "features")
    evidence.measure(
        "features",
        "features.imputed.employment_years",
        int(frame["employment_years"].isna().sum()),
        "rows",
    )
    evidence.measure("features", "features.non_finite", non_finite, "values")
    if non_finite:
        raise CheckFailedError(f"feature engineering: {non_finite} non-finite feature values")
    return prepared


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def _stratified_split(
    frame: pd.DataFrame, share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`frame` in two, the second `share` of the rows, both with the target's proportions."""
    # sklearn is untyped (its inferred result is a list or an array); given a frame, it gives frames
    first, second = cast(
        list[pd.DataFrame],
        train_test_split(frame, test_size=share, random_state=seed, stratify=frame[data.TARGET]),
    )
    return first.reset_index(drop=True), second.reset_index(drop=True)


def split(ctx: RunContext, frame: pd.DataFrame) -> Splits:
    """Stratified train/validation/test split with the run's seed."""
    shares, seed = ctx.settings.split, ctx.settings.seed
    rest, test = _stratified_split(frame, shares.test, seed)
    train, validation = _stratified_split(rest, shares.validation / (1 - shares.test), seed)
    parts = Splits(train, validation, test)
    for name in ("train", "validation", "test"):
        part = getattr(parts, name)
        ctx.evidence.measure("split", f"split.{name}.rows", len(part), "rows")
        ctx.evidence.measure(
            "split",
            f"split.{name}.default_rate",
            round(float(part[data.TARGET].mean()), 6),
            "ratio",
        )
    return parts


def _score(estimator: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    return estimator.predict_proba(inputs(frame))[:, 1]


def tune(ctx: RunContext, train: pd.DataFrame, validation: pd.DataFrame) -> Candidate:
    """Grid search over the mode's candidates, scored by validation ROC AUC."""
    best, best_auc = 0, -1.0
    search = ctx.settings.search
    for index, params in enumerate(search):
        fitted = model.candidate(params, ctx.settings.seed).fit(inputs(train), train[data.TARGET])
        scored = metrics.performance(validation[data.TARGET].to_numpy(), _score(fitted, validation))
        auc = scored["roc_auc"]
        ctx.evidence.measure("tune", f"tuning.trial.{index}.validation_roc_auc", auc, "ratio")
        if auc > best_auc:
            best, best_auc = index, auc
    ctx.evidence.measure("tune", "tuning.best_trial", best, "index")
    ctx.evidence.measure("tune", "tuning.best_validation_roc_auc", best_auc, "ratio")
    chosen = search[best]
    for key, value in chosen.model_dump().items():
        ctx.client.log_param(ctx.mlflow_run_id, key, value)
    return chosen


def train(
    ctx: RunContext, train: pd.DataFrame, validation: pd.DataFrame, params: Candidate
) -> Pipeline:
    """Fit the final model on train + validation with the chosen hyper-parameters."""
    both = pd.concat([train, validation], ignore_index=True)
    started = time.perf_counter()
    fitted = model.candidate(params, ctx.settings.seed).fit(inputs(both), both[data.TARGET])
    ctx.evidence.measure("train", "training.rows", len(both), "rows")
    ctx.evidence.measure("train", "training.seconds", round(time.perf_counter() - started, 3), "s")
    ctx.client.log_param(ctx.mlflow_run_id, "seed", ctx.settings.seed)
    return fitted


@dataclass(frozen=True)
class Evaluation:
    candidate: metrics.Performance
    baseline: metrics.Performance
    champion: metrics.Performance | None
    champion_version: str | None


def _champion(ctx: RunContext) -> tuple[Pipeline | None, str | None]:
    """The version holding the alias `champion`, loaded from its storage location (loading
    through a `models:/` URI would make MLflow write a metadata file into the artifact, which
    changes its digest)."""
    name = ctx.config.model_name
    try:
        version = ctx.client.get_model_version_by_alias(name, "champion")
    except MlflowException:
        return None, None
    location = version.tags.get("handover.storage_uri")
    if not location and version.model_id:
        location = ctx.client.get_logged_model(version.model_id).artifact_location
    if not location:
        raise CheckFailedError(
            f"registry: champion {name} v{version.version} names neither a handover storage_uri "
            "nor a logged model"
        )
    return mlflow_sklearn.load_model(location), str(version.version)


def evaluate(
    ctx: RunContext,
    fitted: Pipeline,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
) -> Evaluation:
    """Test-set performance of the candidate, the linear baseline and the current champion."""
    y = test[data.TARGET].to_numpy()
    evidence = ctx.evidence
    mine = metrics.performance(y, _score(fitted, test))
    evidence.measure("evaluate", "test.roc_auc", mine["roc_auc"], "ratio")
    evidence.measure("evaluate", "test.accuracy", mine["accuracy"], "ratio")
    evidence.measure("evaluate", "test.confusion_matrix", mine["confusion_matrix"], "count")
    both = pd.concat([train, validation], ignore_index=True)
    linear = model.baseline().fit(inputs(both), both[data.TARGET])
    base = metrics.performance(y, _score(linear, test))
    evidence.measure("evaluate", "baseline.roc_auc", base["roc_auc"], "ratio")
    evidence.measure("evaluate", "baseline.accuracy", base["accuracy"], "ratio")
    gain = round(mine["roc_auc"] - base["roc_auc"], 6)
    evidence.measure("evaluate", "baseline.gain.roc_auc", gain, "ratio")
    champion, version = _champion(ctx)
    evidence.measure("evaluate", "champion.version", version)
    theirs = None
    if champion is not None:
        theirs = metrics.performance(y, _score(champion, test))
        evidence.measure("evaluate", "champion.roc_auc", theirs["roc_auc"], "ratio")
        evidence.measure("evaluate", "champion.accuracy", theirs["accuracy"], "ratio")
        delta = round(mine["roc_auc"] - theirs["roc_auc"], 6)
        evidence.measure("evaluate", "champion.delta.roc_auc", delta, "ratio")
    return Evaluation(mine, base, theirs, version)


def fairness(ctx: RunContext, fitted: Pipeline, test: pd.DataFrame) -> metrics.Fairness:
    """Demographic parity and equalized odds differences across the sensitive attribute."""
    result = metrics.fairness(
        test[data.TARGET].to_numpy(), _score(fitted, test), test[data.SENSITIVE]
    )
    prefix = f"fairness.{data.SENSITIVE}"
    evidence = ctx.evidence
    evidence.measure("fairness", f"{prefix}.slices", result["slices"], "rates")
    evidence.measure(
        "fairness",
        f"{prefix}.demographic_parity_difference",
        result["demographic_parity_difference"],
        "ratio",
    )
    evidence.measure(
        "fairness",
        f"{prefix}.equalized_odds_difference",
        result["equalized_odds_difference"],
        "ratio",
    )
    return result


def gate(ctx: RunContext, evaluation: Evaluation, fair: metrics.Fairness) -> GateResult:
    """The analytics gates; their verdict goes to the audit log whether they pass or not."""
    result = evaluate_gates(ctx.settings.gates, evaluation, fair)
    ctx.evidence.measure("gate", "gates.analytics", result.as_dict(), kind="verdict")
    return result
