"""Typed model of the IML4E maturity scheme (scheme.yaml): dimensions, factors, level statements.

The scheme is data so that it can be reviewed against the seed tables line by line; this module
only checks its shape (levels 0..4, unique ids) and offers the look-ups the assessment needs.
"""

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlops.yamlio import parse_yaml

MIN_LEVEL = 0
MAX_LEVEL = 4
LEVELS = tuple(range(MIN_LEVEL, MAX_LEVEL + 1))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Factor(_Strict):
    """One table row: a rated aspect of a dimension, with the statements its levels make."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    origin: Literal["MS", "IML4E"]
    statements: dict[int, str]

    @field_validator("statements")
    @classmethod
    def _levels_in_range(cls, value: dict[int, str]) -> dict[int, str]:
        bad = sorted(set(value) - set(LEVELS))
        if bad:
            raise ValueError(f"levels {bad} out of range {MIN_LEVEL}..{MAX_LEVEL}")
        if not value:
            raise ValueError("a factor needs at least one level statement")
        return dict(sorted(value.items()))

    def statement_at_or_above(self, level: int) -> tuple[int, str] | None:
        """The first statement at `level` or higher: what reaching `level` works towards."""
        for at, text in self.statements.items():
            if at >= level:
                return at, text
        return None

    def statement_at_or_below(self, level: int) -> tuple[int, str] | None:
        """The highest statement at `level` or lower: what a rating of `level` already claims."""
        found = None
        for at, text in self.statements.items():
            if at <= level:
                found = (at, text)
        return found


class Dimension(_Strict):
    """One table of section 4.3.2: an assessment perspective made of factors."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    table: int
    factors: tuple[Factor, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_factors(self) -> "Dimension":
        ids = [factor.id for factor in self.factors]
        if len(ids) != len(set(ids)):
            raise ValueError(f"dimension {self.id}: duplicate factor ids")
        return self

    def factor(self, factor_id: str) -> Factor | None:
        return next((f for f in self.factors if f.id == factor_id), None)


class Scheme(_Strict):
    """The whole scheme: level names and the seven dimensions."""

    title: str
    source: str
    levels: dict[int, str]
    dimensions: tuple[Dimension, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Scheme":
        if tuple(sorted(self.levels)) != LEVELS:
            raise ValueError(f"levels must be exactly {list(LEVELS)}")
        ids = [dimension.id for dimension in self.dimensions]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate dimension ids")
        return self

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def factor(self, dimension_id: str, factor_id: str) -> Factor:
        """A factor by ids; only for ids already validated against the scheme."""
        dimension = self.dimension(dimension_id)
        factor = dimension.factor(factor_id) if dimension else None
        if factor is None:
            raise KeyError(f"{dimension_id}.{factor_id}")
        return factor


@cache
def load_scheme() -> Scheme:
    """The packaged scheme, parsed and validated once per process."""
    text = resources.files("mlops.maturity").joinpath("scheme.yaml").read_text(encoding="utf-8")
    return Scheme.model_validate(parse_yaml(text, "mlops/maturity/scheme.yaml"))
