"""Answers validation: every bad input names the file, the key and what is allowed."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops.errors import BadInputError
from mlops.maturity.answers import load_answers, require_complete
from mlops.maturity.questionnaire import render_questionnaire
from mlops.maturity.scheme import Scheme

Write = Callable[..., Path]


def _doc(answers: Any, **milestone: Any) -> dict[str, Any]:
    return {"subject": "t", "milestones": [{"name": "MS2", **milestone, "answers": answers}]}


def _error(scheme: Scheme, path: Path) -> str:
    with pytest.raises(BadInputError) as info:
        load_answers(path, scheme)
    return str(info.value)


def test_unknown_factor_names_file_key_and_allowed_factors(
    scheme: Scheme, write_answers: Write
) -> None:
    path = write_answers(_doc({"people": {"data_scientist": 2}}))
    message = _error(scheme, path)
    assert message.startswith(
        f"{path}: milestones[0].answers.people.data_scientist: unknown factor"
    )
    assert "allowed: data_scientists, data_engineers, software_engineers" in message


def test_unknown_dimension_lists_dimensions(scheme: Scheme, write_answers: Write) -> None:
    message = _error(scheme, write_answers(_doc({"peoples": {}})))
    assert "milestones[0].answers.peoples: unknown dimension" in message
    assert "allowed: people, data_preparation, model_creation" in message


@pytest.mark.parametrize("level", [5, -1, 17])
def test_level_out_of_range(scheme: Scheme, write_answers: Write, level: int) -> None:
    message = _error(scheme, write_answers(_doc({"people": {"data_engineers": level}})))
    assert f"people.data_engineers: level {level} out of range" in message
    assert "allowed: an integer 0..4" in message


@pytest.mark.parametrize("value", ["two", True, 2.5, [2]])
def test_level_not_an_integer(scheme: Scheme, write_answers: Write, value: Any) -> None:
    message = _error(scheme, write_answers(_doc({"people": {"data_engineers": value}})))
    assert "people.data_engineers: level" in message
    assert "is not an integer; allowed: an integer 0..4" in message


def test_level_out_of_range_inside_answer_mapping(scheme: Scheme, write_answers: Write) -> None:
    doc = _doc({"tooling": {"lifecycle_tooling": {"level": 9, "evidence": "x"}}})
    assert "tooling.lifecycle_tooling.level: level 9 out of range" in _error(
        scheme, write_answers(doc)
    )


def test_unknown_key_in_answer_mapping(scheme: Scheme, write_answers: Write) -> None:
    doc = _doc({"tooling": {"lifecycle_tooling": {"levl": 2}}})
    message = _error(scheme, write_answers(doc))
    assert (
        "tooling.lifecycle_tooling.levl: unknown key; allowed: level, evidence, comment" in message
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("milestones: [\n", "invalid YAML"),
        ("- just\n- a list\n", "(top level): must be a mapping"),
        ("subject: x\n", "milestones: missing or empty"),
        ("subject: x\nmilestone: []\n", "milestone: unknown key; allowed: subject, milestones"),
        ("milestones:\n  - answers: {}\n", "milestones[0].name: missing or empty"),
        ("milestones:\n  - name: a\n  - name: a\n", "milestones: duplicate names ['a']"),
        ("milestones:\n  - name: a\n    date: soon\n", "milestones[0].date: 'soon' is not a date"),
        (
            "milestones:\n  - name: a\n    answers: [1]\n",
            "answers: must be a mapping of dimensions",
        ),
        ("a: &x 1\nb: *x\n", "anchors"),
    ],
)
def test_malformed_files(scheme: Scheme, write_answers: Write, text: str, expected: str) -> None:
    path = write_answers(text)
    message = _error(scheme, path)
    assert message.startswith(str(path))
    assert expected in message


def test_missing_file(scheme: Scheme, tmp_path: Path) -> None:
    assert "file not found" in _error(scheme, tmp_path / "nope.yaml")


def test_unrated_factors_are_named(scheme: Scheme, write_answers: Write, rate_all: Any) -> None:
    answers = rate_all(2)
    del answers["tooling"]["third_party_integration"]
    answers["people"]["data_engineers"] = None
    loaded = load_answers(write_answers(_doc(answers)), scheme)
    with pytest.raises(BadInputError) as info:
        require_complete(loaded, scheme)
    message = str(info.value)
    assert "milestones[0].answers: 2 factor(s) not rated" in message
    assert "people.data_engineers" in message
    assert "tooling.third_party_integration" in message


def test_answer_mapping_keeps_evidence_and_date(
    scheme: Scheme, write_answers: Write, rate_all: Any
) -> None:
    answers = rate_all(1)
    answers["model_creation"]["experiment_tracking"] = {
        "level": 4,
        "evidence": "MLflow server",
        "comment": "since Q2",
    }
    doc = _doc(answers, date="2023-06-30")
    loaded = load_answers(write_answers(doc), scheme)
    milestone = loaded.milestones[0]
    assert milestone.date == "2023-06-30"
    answer = milestone.answers[("model_creation", "experiment_tracking")]
    assert (answer.level, answer.evidence, answer.comment) == (4, ("MLflow server",), "since Q2")
    require_complete(loaded, scheme)


def test_template_parses_and_lists_every_factor_unrated(
    scheme: Scheme, write_answers: Write
) -> None:
    text = render_questionnaire(scheme)
    loaded = load_answers(write_answers(text), scheme)
    assert [m.name for m in loaded.milestones] == ["current"]
    assert len(loaded.milestones[0].answers) == 27
    assert all(a.level is None for a in loaded.milestones[0].answers.values())
    for dimension in scheme.dimensions:
        for factor in dimension.factors:
            for statement in factor.statements.values():
                assert statement in text
