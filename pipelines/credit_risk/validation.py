"""Data validation against the committed schema: types, ranges, missing values, categories and
distribution shift. Every finding names the column and the rule it broke."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlops.monitoring.drift import categorical_psi_against, numeric_psi_against
from pipelines.credit_risk.schema import Column, Schema


@dataclass(frozen=True)
class Finding:
    column: str
    rule: str
    detail: str

    def message(self) -> str:
        return f"column {self.column!r}: rule {self.rule}: {self.detail}"


@dataclass
class ValidationReport:
    """Findings (empty when the data passed) and the statistics measured on the way."""

    rows: int
    findings: list[Finding] = field(default_factory=list)
    missing: dict[str, float] = field(default_factory=dict)
    drift: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        return "; ".join(f.message() for f in self.findings)

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "rows": self.rows,
            "findings": [f.__dict__ for f in self.findings],
            "missing": self.missing,
            "drift_psi": self.drift,
        }


def _examples(values: pd.Series, limit: int = 3) -> str:
    return ", ".join(repr(v) for v in values.head(limit).tolist())


def _numeric(column: Column, values: pd.Series, report: ValidationReport) -> pd.Series | None:
    """The column as floats, or None (with a `type` finding) when it is not numeric."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values[numbers.isna() & values.notna()]
    if len(bad):
        report.findings.append(
            Finding(column.name, "type", f"expected {column.type}, got {_examples(bad)}")
        )
        return None
    numbers = numbers.astype(float)
    present = numbers.dropna()
    fractional = present[present != np.floor(present)]
    if column.type == "int" and len(fractional):
        report.findings.append(
            Finding(column.name, "type", f"expected int, got {_examples(fractional)}")
        )
        return None
    return numbers


def _check_column(column: Column, values: pd.Series, max_psi: float, report: ValidationReport):
    missing = int(values.isna().sum())
    share = missing / max(len(values), 1)
    report.missing[column.name] = round(share, 6)
    if column.required and missing:
        report.findings.append(
            Finding(column.name, "not_null", f"{missing} missing values in a required column")
        )
    elif share > column.max_missing:
        report.findings.append(
            Finding(
                column.name,
                "missing_fraction",
                f"{share:.4f} missing; allowed at most {column.max_missing}",
            )
        )
    if column.type == "category":
        present = values.dropna().astype(str)
        unknown = present[~present.isin(column.values)]
        if len(unknown):
            report.findings.append(
                Finding(
                    column.name,
                    "categories",
                    f"{len(unknown)} values outside {column.values}, e.g. {_examples(unknown)}",
                )
            )
            return
        shift = categorical_psi_against(column.reference.frequencies, values)
    else:
        numbers = _numeric(column, values, report)
        if numbers is None:
            return
        outside = numbers[(numbers < column.min) | (numbers > column.max)]
        if len(outside):
            report.findings.append(
                Finding(
                    column.name,
                    "range",
                    f"{len(outside)} values outside [{column.min:g}, {column.max:g}], "
                    f"e.g. {_examples(outside)}",
                )
            )
            return
        ref = column.reference
        shift = numeric_psi_against(ref.bin_edges, ref.bin_fractions, numbers)
    report.drift[column.name] = round(shift, 6)
    if shift > max_psi:
        report.findings.append(
            Finding(
                column.name, "drift", f"PSI {shift:.4f} against the reference; allowed {max_psi}"
            )
        )


def validate(frame: pd.DataFrame, schema: Schema, max_psi: float) -> ValidationReport:
    """Check `frame` against `schema`; the report lists every finding, in column order."""
    report = ValidationReport(rows=len(frame))
    for column in schema.columns:
        if column.name not in frame.columns:
            report.findings.append(Finding(column.name, "present", "column is missing"))
            continue
        _check_column(column, frame[column.name], max_psi, report)
    return report
