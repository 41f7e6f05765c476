"""The assessment: each dimension's level is the minimum of its factors' levels (D4.2 4.3.3).

The minimum is deliberate: a dimension is only as mature as its weakest factor, so the factors
that hold it down (the limiting ones) are what the roadmap works on.
"""

from pydantic import BaseModel, ConfigDict

from mlops.maturity.answers import Answers, Milestone, require_complete
from mlops.maturity.scheme import Scheme


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class FactorResult(_Frozen):
    """A rated factor and the statement its rating claims (the highest one at or below it)."""

    dimension: str
    factor: str
    name: str
    origin: str
    level: int
    statement_level: int | None
    statement: str | None
    limiting: bool
    source: str
    evidence: tuple[str, ...]
    comment: str | None


class DimensionResult(_Frozen):
    id: str
    name: str
    level: int
    limiting: tuple[str, ...]
    factors: tuple[FactorResult, ...]


class MilestoneResult(_Frozen):
    name: str
    date: str | None
    dimensions: tuple[DimensionResult, ...]

    def level(self, dimension_id: str) -> int:
        return next(d.level for d in self.dimensions if d.id == dimension_id)

    @property
    def weakest_level(self) -> int:
        return min(d.level for d in self.dimensions)


class Progression(_Frozen):
    """One dimension's level at each milestone, oldest first, and the change first to last."""

    dimension: str
    name: str
    levels: tuple[int, ...]
    change: int


class Assessment(_Frozen):
    subject: str | None
    source: str
    milestones: tuple[MilestoneResult, ...]
    progression: tuple[Progression, ...]

    @property
    def latest(self) -> MilestoneResult:
        return self.milestones[-1]


def assess_milestone(milestone: Milestone, scheme: Scheme) -> MilestoneResult:
    """Levels of one fully rated milestone."""
    dimensions = []
    for dimension in scheme.dimensions:
        rated = [(f, milestone.answers[(dimension.id, f.id)]) for f in dimension.factors]
        levels = [answer.level for _, answer in rated]
        if any(level is None for level in levels):
            raise ValueError(f"milestone {milestone.name}: {dimension.id} is not fully rated")
        level = min(level for level in levels if level is not None)
        factors = []
        for factor, answer in rated:
            assert answer.level is not None
            claimed = factor.statement_at_or_below(answer.level)
            factors.append(
                FactorResult(
                    dimension=dimension.id,
                    factor=factor.id,
                    name=factor.name,
                    origin=factor.origin,
                    level=answer.level,
                    statement_level=claimed[0] if claimed else None,
                    statement=claimed[1] if claimed else None,
                    limiting=answer.level == level,
                    source=answer.source,
                    evidence=answer.evidence,
                    comment=answer.comment,
                )
            )
        dimensions.append(
            DimensionResult(
                id=dimension.id,
                name=dimension.name,
                level=level,
                limiting=tuple(f.factor for f in factors if f.limiting),
                factors=tuple(factors),
            )
        )
    return MilestoneResult(name=milestone.name, date=milestone.date, dimensions=tuple(dimensions))


def assess(answers: Answers, scheme: Scheme) -> Assessment:
    """Assess every milestone; BadInputError when any factor is left unrated."""
    require_complete(answers, scheme)
    results = tuple(assess_milestone(m, scheme) for m in answers.milestones)
    progression = []
    for dimension in scheme.dimensions:
        levels = tuple(result.level(dimension.id) for result in results)
        progression.append(
            Progression(
                dimension=dimension.id,
                name=dimension.name,
                levels=levels,
                change=levels[-1] - levels[0],
            )
        )
    return Assessment(
        subject=answers.subject,
        source=answers.source,
        milestones=results,
        progression=tuple(progression),
    )
