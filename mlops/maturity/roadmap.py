"""The roadmap: what the weakest dimensions need to reach their next level.

Only the limiting factors hold a dimension down, so the next step is to lift each of them one
level. Where the table has no statement at that level (an empty cell), the next statement above
is the one to work towards, and the step says which level it belongs to.
"""

from pydantic import BaseModel, ConfigDict

from mlops.maturity.assess import MilestoneResult
from mlops.maturity.scheme import MAX_LEVEL, Scheme


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Step(_Frozen):
    factor: str
    name: str
    origin: str
    current: int
    statement_level: int
    statement: str


class RoadmapItem(_Frozen):
    dimension: str
    name: str
    current: int
    target: int
    steps: tuple[Step, ...]


def roadmap(milestone: MilestoneResult, scheme: Scheme) -> tuple[RoadmapItem, ...]:
    """Next-level statements for the dimensions at the lowest level (none when all are at 4)."""
    weakest = milestone.weakest_level
    if weakest >= MAX_LEVEL:
        return ()
    items = []
    for result in milestone.dimensions:
        if result.level != weakest:
            continue
        target = result.level + 1
        steps = []
        for factor_id in result.limiting:
            factor = scheme.factor(result.id, factor_id)
            goal = factor.statement_at_or_above(target)
            if goal is None:
                continue
            steps.append(
                Step(
                    factor=factor.id,
                    name=factor.name,
                    origin=factor.origin,
                    current=result.level,
                    statement_level=goal[0],
                    statement=goal[1],
                )
            )
        items.append(
            RoadmapItem(
                dimension=result.id,
                name=result.name,
                current=result.level,
                target=target,
                steps=tuple(steps),
            )
        )
    return tuple(items)
