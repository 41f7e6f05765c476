"""The data schema and reference statistics, derived once from the reference sample and committed.

Ranges come from domain knowledge (`data.DOMAIN`); types, missing-value allowances, category sets
and the distribution (decile bins, category frequencies) come from the reference data, binned by
`mlops.monitoring.drift` (the one drift implementation serving's monitoring uses too). Regenerate
after a deliberate change with `python -m pipelines.credit_risk.schema` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from mlops.monitoring.drift import bin_edges, bin_fractions, frequencies
from pipelines.credit_risk import data

SCHEMA_PATH = Path(__file__).with_name("schema.json")
ColumnType = Literal["int", "float", "category"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(_Frozen):
    """What the reference sample looked like: the baseline for distribution shift."""

    missing: float
    mean: float | None = None
    std: float | None = None
    observed_min: float | None = None
    observed_max: float | None = None
    bin_edges: list[float] = Field(default_factory=list)
    bin_fractions: list[float] = Field(default_factory=list)
    frequencies: dict[str, float] = Field(default_factory=dict)


class Column(_Frozen):
    name: str
    type: ColumnType
    required: bool
    max_missing: float
    min: float | None = None
    max: float | None = None
    values: list[str] = Field(default_factory=list)
    reference: Reference


class Schema(_Frozen):
    source: str
    rows: int
    columns: list[Column]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _r(value: float) -> float:
    return round(float(value), 6)


def derive_schema(reference: pd.DataFrame, bins: int, source: str) -> Schema:
    """The schema of `reference`: one `Column` per column of `data.COLUMNS`."""
    columns = []
    for name in data.COLUMNS:
        values = reference[name]
        missing = _r(values.isna().mean())
        required = missing == 0.0
        max_missing = 0.0 if required else _r(min(1.0, 2 * missing + 0.01))
        if name in (*data.CATEGORICAL, data.SENSITIVE):
            shares = {k: _r(v) for k, v in frequencies(values).items()}
            columns.append(
                Column(
                    name=name,
                    type="category",
                    required=required,
                    max_missing=max_missing,
                    values=sorted(shares),
                    reference=Reference(missing=missing, frequencies=shares),
                )
            )
            continue
        low, high = data.DOMAIN[name]
        edges = bin_edges(values, bins)
        columns.append(
            Column(
                name=name,
                type="int" if name in data.INTEGER else "float",
                required=required,
                max_missing=max_missing,
                min=low,
                max=high,
                reference=Reference(
                    missing=missing,
                    mean=_r(values.mean()),
                    std=_r(values.std()),
                    observed_min=_r(values.min()),
                    observed_max=_r(values.max()),
                    bin_edges=edges,
                    bin_fractions=[_r(f) for f in bin_fractions(values, edges)],
                ),
            )
        )
    return Schema(source=source, rows=len(reference), columns=columns)


def reference_schema(bins: int) -> Schema:
    """The schema derived from `data.reference()`; the committed file must equal it."""
    source = f"generated:credit-risk?rows={data.REFERENCE_ROWS}&seed={data.REFERENCE_SEED}"
    return derive_schema(data.reference(), bins, source)


def dump(schema: Schema) -> str:
    return json.dumps(schema.model_dump(), indent=2, sort_keys=False) + "\n"


def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    return Schema.model_validate_json(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    from pipelines.credit_risk.config import load_config

    SCHEMA_PATH.write_text(dump(reference_schema(load_config().drift.bins)), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
