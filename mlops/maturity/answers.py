"""The questionnaire answers: parsed from user YAML and checked against the scheme at the edge.

Format (what `mlops maturity template` writes):

    subject: Case study A
    milestones:
      - name: MS2
        date: 2023-03-01          # optional
        answers:
          people:
            data_scientists: 1    # a level 0..4, or null while not rated yet
            data_engineers: {level: 2, evidence: [minutes of 2023-02-10], comment: "..."}

Every message names the file, the key and what is allowed, so a typo never becomes a silently
ignored factor or a traceback.
"""

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.errors import BadInputError
from mlops.maturity.scheme import LEVELS, MAX_LEVEL, MIN_LEVEL, Scheme
from mlops.yamlio import load_yaml

FactorKey = tuple[str, str]
"""(dimension id, factor id)."""

_TOP_KEYS = ("subject", "milestones")
_MILESTONE_KEYS = ("name", "date", "answers")
_ANSWER_KEYS = ("level", "evidence", "comment")
_ALLOWED_LEVELS = f"an integer {MIN_LEVEL}..{MAX_LEVEL} or null (not rated yet)"


class Answer(BaseModel):
    """One factor's rating in one milestone, with what supports it."""

    model_config = ConfigDict(frozen=True)

    level: int | None = Field(default=None, ge=MIN_LEVEL, le=MAX_LEVEL)
    evidence: tuple[str, ...] = ()
    comment: str | None = None
    source: Literal["answer", "platform"] = "answer"


class Milestone(BaseModel):
    """The ratings at one point in time (D4.2 rates case studies at MS2, MS4 and MS6)."""

    model_config = ConfigDict(frozen=True)

    name: str
    date: str | None = None
    answers: dict[FactorKey, Answer]


class Answers(BaseModel):
    """A validated questionnaire: milestones in the order given (oldest first)."""

    model_config = ConfigDict(frozen=True)

    source: str
    subject: str | None = None
    milestones: tuple[Milestone, ...] = Field(min_length=1)

    def with_milestone(self, index: int, milestone: Milestone) -> "Answers":
        milestones = list(self.milestones)
        milestones[index] = milestone
        return self.model_copy(update={"milestones": tuple(milestones)})


def _fail(source: str, key: str, problem: str, allowed: str) -> BadInputError:
    return BadInputError(f"{source}: {key}: {problem}; allowed: {allowed}")


def _unknown_keys(data: dict[Any, Any], allowed: tuple[str, ...], source: str, key: str) -> None:
    for name in data:
        if name not in allowed:
            where = f"{key}.{name}" if key else str(name)
            raise _fail(source, where, "unknown key", ", ".join(allowed))


def _level(value: Any, source: str, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(source, key, f"level {value!r} is not an integer", _ALLOWED_LEVELS)
    if value not in LEVELS:
        raise _fail(source, key, f"level {value} out of range", _ALLOWED_LEVELS)
    return value


def _evidence(value: Any, source: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise _fail(source, key, "evidence must be text", "a string or a list of strings")


def _answer(value: Any, source: str, key: str) -> Answer:
    if not isinstance(value, dict):
        return Answer(level=_level(value, source, key))
    _unknown_keys(value, _ANSWER_KEYS, source, key)
    comment = value.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise _fail(source, f"{key}.comment", "must be text", "a string")
    return Answer(
        level=_level(value.get("level"), source, f"{key}.level"),
        evidence=_evidence(value.get("evidence"), source, f"{key}.evidence"),
        comment=comment,
    )


def _answers(value: Any, scheme: Scheme, source: str, key: str) -> dict[FactorKey, Answer]:
    if value is None:
        return {}
    dimension_ids = ", ".join(d.id for d in scheme.dimensions)
    if not isinstance(value, dict):
        raise _fail(source, key, "must be a mapping of dimensions", dimension_ids)
    result: dict[FactorKey, Answer] = {}
    for dimension_id, factors in value.items():
        dimension = scheme.dimension(str(dimension_id))
        if dimension is None:
            raise _fail(source, f"{key}.{dimension_id}", "unknown dimension", dimension_ids)
        factor_ids = ", ".join(f.id for f in dimension.factors)
        if factors is None:
            continue
        if not isinstance(factors, dict):
            raise _fail(source, f"{key}.{dimension_id}", "must be a mapping of factors", factor_ids)
        for factor_id, answer in factors.items():
            factor_key = f"{key}.{dimension_id}.{factor_id}"
            if dimension.factor(str(factor_id)) is None:
                raise _fail(source, factor_key, "unknown factor", factor_ids)
            result[(dimension.id, str(factor_id))] = _answer(answer, source, factor_key)
    return result


def _date(value: Any, source: str, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _fail(source, key, f"{value!r} is not a date", "YYYY-MM-DD")


def _milestone(value: Any, scheme: Scheme, source: str, key: str) -> Milestone:
    if not isinstance(value, dict):
        raise _fail(source, key, "must be a mapping", ", ".join(_MILESTONE_KEYS))
    _unknown_keys(value, _MILESTONE_KEYS, source, key)
    name = value.get("name")
    if not isinstance(name, str | int) or isinstance(name, bool) or not str(name).strip():
        raise _fail(source, f"{key}.name", "missing or empty", "a non-empty name such as MS2")
    return Milestone(
        name=str(name).strip(),
        date=_date(value.get("date"), source, f"{key}.date"),
        answers=_answers(value.get("answers"), scheme, source, f"{key}.answers"),
    )


def parse_answers(data: Any, scheme: Scheme, source: str) -> Answers:
    """Validate parsed YAML against the scheme; raise BadInputError on the first problem."""
    if not isinstance(data, dict):
        raise _fail(source, "(top level)", "must be a mapping", ", ".join(_TOP_KEYS))
    _unknown_keys(data, _TOP_KEYS, source, "")
    subject = data.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise _fail(source, "subject", "must be text", "a string")
    raw = data.get("milestones")
    if not isinstance(raw, list) or not raw:
        raise _fail(source, "milestones", "missing or empty", "a list of milestones")
    milestones = tuple(
        _milestone(item, scheme, source, f"milestones[{index}]") for index, item in enumerate(raw)
    )
    names = [m.name for m in milestones]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _fail(source, "milestones", f"duplicate names {duplicates}", "unique names")
    return Answers(source=source, subject=subject, milestones=milestones)


def load_answers(path: Path, scheme: Scheme) -> Answers:
    """Read and validate an answers file."""
    return parse_answers(load_yaml(path), scheme, str(path))


def unrated(answers: Answers, scheme: Scheme) -> list[tuple[int, FactorKey]]:
    """(milestone index, factor) for every factor without a level."""
    missing = []
    for index, milestone in enumerate(answers.milestones):
        for dimension in scheme.dimensions:
            for factor in dimension.factors:
                answer = milestone.answers.get((dimension.id, factor.id))
                if answer is None or answer.level is None:
                    missing.append((index, (dimension.id, factor.id)))
    return missing


def require_complete(answers: Answers, scheme: Scheme) -> None:
    """A dimension's level is a minimum, so every factor of every milestone must be rated."""
    missing = unrated(answers, scheme)
    if not missing:
        return
    index, _ = missing[0]
    first = [f"{d}.{f}" for i, (d, f) in missing if i == index]
    shown = ", ".join(first[:8]) + (f" and {len(first) - 8} more" if len(first) > 8 else "")
    raise _fail(
        answers.source,
        f"milestones[{index}].answers",
        f"{len(first)} factor(s) not rated: {shown}",
        f"{_ALLOWED_LEVELS.split(' or ', maxsplit=1)[0]} for each (--from-platform pre-fills what the "
        "repository proves)",
    )
