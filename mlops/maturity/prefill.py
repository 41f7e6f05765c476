"""Apply evidence findings to the answers: fill what people left unrated, flag contradictions.

Evidence only raises a floor. A factor left unrated in the latest milestone takes the proven
level (with its evidence); a factor rated below what the repository proves keeps its rating (the
people answering may know better, e.g. the workflow is disabled) but the report flags it.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from mlops.maturity.answers import Answer, Answers
from mlops.maturity.evidence import Finding


class PrefillNote(BaseModel):
    """What happened to one factor that evidence was found for."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    dimension: str
    factor: str
    proven: int
    answered: int | None
    action: Literal["filled", "confirmed", "contradicted"]
    reason: str
    evidence: tuple[str, ...]


def prefill(answers: Answers, findings: list[Finding]) -> tuple[Answers, list[PrefillNote]]:
    """Apply findings to the latest milestone (evidence is about the repository as it is now)."""
    index = len(answers.milestones) - 1
    milestone = answers.milestones[index]
    updated = dict(milestone.answers)
    notes = []
    for finding in findings:
        current = updated.get(finding.key)
        answered = current.level if current else None
        if answered is None:
            updated[finding.key] = Answer(
                level=finding.level,
                evidence=finding.evidence,
                comment=finding.reason,
                source="platform",
            )
            action: Literal["filled", "confirmed", "contradicted"] = "filled"
        elif answered < finding.level:
            action = "contradicted"
        else:
            action = "confirmed"
        notes.append(
            PrefillNote(
                milestone=milestone.name,
                dimension=finding.dimension,
                factor=finding.factor,
                proven=finding.level,
                answered=answered,
                action=action,
                reason=finding.reason,
                evidence=finding.evidence,
            )
        )
    new = milestone.model_copy(update={"answers": updated})
    return answers.with_milestone(index, new), notes
