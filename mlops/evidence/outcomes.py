"""Delayed ground truth joined to logged predictions by request id: live model quality.

A labels file (CSV or JSON Lines) has one row per outcome: `request_id` (the request log's `id`,
or the caller's own `client_id`), `label` (0 or 1), optionally `row` (the instance's position in
a request of several rows; default 0) and the sensitive attribute the fairness gates slice by
(`sex` by default; taken from the logged input when the file has no such column). The measures
are the training pipeline's own (`pipelines.credit_risk.metrics`), so live and evaluated
quality are comparable: ROC AUC and the demographic parity and equalized odds differences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops.errors import BadInputError

LABEL_COLUMNS = ("request_id", "label")
SOURCE = "evidence-outcomes"
GROUP = "sex"  # the sensitive attribute the fairness gates slice by


@dataclass
class LiveQuality:
    """One model version's joined outcomes and what they measure."""

    model: str
    version: str
    outcomes: int
    roc_auc: float | None
    fairness: dict[str, float] = field(default_factory=dict)


def score_of(output: Any) -> float:
    """The probability of the positive class from a logged output (`predict_proba` rows are
    [p0, p1]; a scalar is the score itself)."""
    if isinstance(output, list | tuple):
        return float(output[-1])
    if isinstance(output, dict):
        for key in ("probability", "score", "1"):
            if key in output:
                return float(output[key])
        raise ValueError(f"no score in {sorted(output)}")
    return float(output)


def _labels(path: Path) -> pd.DataFrame:
    from mlops.serving.batch import read_table

    frame = read_table(path)
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise BadInputError(
            f"{path}: no column {', '.join(missing)}; allowed: request_id, label, "
            "optionally row and the sensitive attribute"
        )
    if frame.empty:
        raise BadInputError(f"{path}: no outcomes")
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = frame["label"][~labels.isin([0, 1])]
    if len(bad):
        raise BadInputError(
            f"{path}: label {bad.iloc[0]!r} in row {int(bad.index[0]) + 1}; allowed: 0 or 1"
        )
    frame["label"] = labels.astype(int)
    frame["request_id"] = frame["request_id"].astype(str)
    if "row" in frame.columns:
        rows = pd.to_numeric(frame["row"], errors="coerce")
        if rows.isna().any() or (rows < 0).any() or (rows != rows.round()).any():
            raise BadInputError(f"{path}: row: allowed: a whole number >= 0")
        frame["row"] = rows.astype(int)
    else:
        frame["row"] = 0
    return frame


def join(path: Path, records: list[dict[str, Any]], group: str) -> pd.DataFrame:
    """One row per labelled instance: model, version, score, label and group. Every label must
    find its logged prediction (an unknown id is bad input: the wrong log, or a typo)."""
    labels = _labels(path)
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("status", "ok") != "ok":
            continue
        for key in ("id", "client_id"):
            if record.get(key):
                by_id.setdefault(str(record[key]), record)
    ids: list[str] = labels["request_id"].tolist()
    positions: list[int] = labels["row"].tolist()
    outcomes: list[int] = labels["label"].tolist()
    groups: list[Any] = labels[group].tolist() if group in labels.columns else [None] * len(ids)
    rows: list[dict[str, Any]] = []
    unknown: list[str] = []
    for position, (request_id, row, label, given) in enumerate(
        zip(ids, positions, outcomes, groups, strict=True)
    ):
        record = by_id.get(request_id)
        outputs = record.get("output") if record else None
        if record is None or not isinstance(outputs, list) or row >= len(outputs):
            unknown.append(f"{request_id}#{row}")
            continue
        try:
            score = score_of(outputs[row])
        except (TypeError, ValueError) as error:
            raise BadInputError(
                f"{path}: row {position + 1}: request {request_id}: logged output is not a "
                f"score ({error})"
            ) from None
        inputs = record.get("input")
        logged = inputs[row] if isinstance(inputs, list) and row < len(inputs) else {}
        group_value = given
        if group_value is None or (isinstance(group_value, float) and math.isnan(group_value)):
            group_value = logged.get(group) if isinstance(logged, dict) else None
        rows.append({"model": str(record.get("model")), "version": str(record.get("version")),
                     "score": score, "label": int(label), "group": group_value})  # fmt: skip
    if unknown:
        raise BadInputError(
            f"{path}: {len(unknown)} of {len(labels)} outcomes match no logged prediction "
            f"(request id#row), e.g. {', '.join(unknown[:3])}; allowed: ids of the request log"
        )
    return pd.DataFrame(rows)


def quality(joined: pd.DataFrame, group: str) -> list[LiveQuality]:
    """ROC AUC (when both classes occur) and the fairness gaps (when the group is known)."""
    from sklearn.metrics import roc_auc_score

    from pipelines.credit_risk.metrics import fairness

    found = []
    for (model, version), part in joined.groupby(["model", "version"], sort=True):
        y, score = part["label"].to_numpy(), part["score"].to_numpy(dtype=float)
        auc = round(float(roc_auc_score(y, score)), 6) if len(np.unique(y)) == 2 else None
        gaps: dict[str, float] = {}
        groups = part["group"]
        if groups.notna().all() and groups.astype(str).nunique() >= 2:
            measured = fairness(y, score, groups.astype(str))
            gaps = {
                f"fairness.{group}.demographic_parity_difference":
                    measured["demographic_parity_difference"],
                f"fairness.{group}.equalized_odds_difference":
                    measured["equalized_odds_difference"],
            }  # fmt: skip
        found.append(LiveQuality(str(model), str(version), len(part), auc, gaps))
    return found


def record_quality(audit: Any, environment: str, measured: list[LiveQuality],
                   labels: Path) -> list[int]:  # fmt: skip
    """Append `live.outcomes`, `live.roc_auc` and `live.fairness.*` per model version (source
    `evidence-outcomes`, the labels file's digest as artifact); returns the sequence numbers."""
    from mlops.governance.client import Subject
    from mlops.serving.digest import file_sha256

    artifacts = {"labels": "sha256:" + file_sha256(labels)}
    seqs = []
    for item in measured:
        subject = Subject(model=item.model, version=item.version, environment=environment)
        values: list[tuple[str, float, str]] = [("live.outcomes", item.outcomes, "count")]
        if item.roc_auc is not None:
            values.append(("live.roc_auc", item.roc_auc, "ratio"))
        values += [(f"live.{name}", value, "ratio") for name, value in item.fairness.items()]
        for name, value, unit in values:
            entry = audit.append(subject, name, value, unit=unit, source=SOURCE,
                                 artifacts=artifacts)  # fmt: skip
            seqs.append(entry.seq)
    return seqs
