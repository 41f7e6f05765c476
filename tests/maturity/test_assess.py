"""The minimum rule, limiting factors and progression over milestones."""

from typing import Any

import pytest

from mlops.errors import BadInputError
from mlops.maturity.answers import parse_answers
from mlops.maturity.assess import assess
from mlops.maturity.scheme import Scheme

# D4.2 figure 13: the People ratings of one case study at MS2, MS4 and MS6, and the resulting
# dimension level (its bottom row): 1, 2, 3.
FIGURE_13 = {
    "data_scientists": (1, 2, 3),
    "data_engineers": (2, 2, 4),
    "software_engineers": (3, 3, 3),
    "operations_business_communication": (1, 3, 3),
}


def _milestones(rate_all: Any, names: tuple[str, ...], fill: int = 4) -> list[dict[str, Any]]:
    milestones = []
    for index, name in enumerate(names):
        answers = rate_all(fill)
        answers["people"] = {factor: levels[index] for factor, levels in FIGURE_13.items()}
        milestones.append({"name": name, "answers": answers})
    return milestones


def test_dimension_level_is_the_minimum_of_its_factors(scheme: Scheme, rate_all: Any) -> None:
    doc = {"milestones": _milestones(rate_all, ("MS2", "MS4", "MS6"))}
    result = assess(parse_answers(doc, scheme, "a.yaml"), scheme)
    assert [m.level("people") for m in result.milestones] == [1, 2, 3]
    ms2 = result.milestones[0]
    people = next(d for d in ms2.dimensions if d.id == "people")
    assert people.limiting == ("data_scientists", "operations_business_communication")
    assert ms2.level("tooling") == 4


def test_one_low_factor_caps_its_dimension_only(scheme: Scheme, rate_all: Any) -> None:
    answers = rate_all(3)
    answers["release_integration"]["application_tests"] = 0
    result = assess(
        parse_answers({"milestones": [{"name": "now", "answers": answers}]}, scheme, "a"), scheme
    )
    levels = {d.id: d.level for d in result.latest.dimensions}
    assert levels["release_integration"] == 0
    assert {level for dim, level in levels.items() if dim != "release_integration"} == {3}
    assert result.latest.weakest_level == 0


def test_progression_over_milestones_in_given_order(scheme: Scheme, rate_all: Any) -> None:
    milestones = _milestones(rate_all, ("MS2", "MS4", "MS6"), fill=2)
    milestones[2]["answers"]["tooling"] = {"lifecycle_tooling": 1, "third_party_integration": 4}
    result = assess(parse_answers({"milestones": milestones}, scheme, "a"), scheme)
    by_dim = {p.dimension: p for p in result.progression}
    assert by_dim["people"].levels == (1, 2, 3)
    assert by_dim["people"].change == 2
    assert by_dim["model_creation"].levels == (2, 2, 2)
    assert by_dim["tooling"].levels == (2, 2, 1)
    assert by_dim["tooling"].change == -1
    assert [m.name for m in result.milestones] == ["MS2", "MS4", "MS6"]
    assert result.latest.name == "MS6"


def test_statement_claimed_by_a_rating_between_statements(scheme: Scheme, rate_all: Any) -> None:
    answers = rate_all(2)  # data_scientists has statements at 1, 3, 4 only
    result = assess(
        parse_answers({"milestones": [{"name": "x", "answers": answers}]}, scheme, "a"), scheme
    )
    people = next(d for d in result.latest.dimensions if d.id == "people")
    scientists = next(f for f in people.factors if f.factor == "data_scientists")
    assert (scientists.level, scientists.statement_level) == (2, 1)
    assert scientists.statement.startswith("Data scientists: siloed")


def test_an_unrated_factor_in_any_milestone_is_bad_input(scheme: Scheme, rate_all: Any) -> None:
    complete = rate_all(1)
    partial = rate_all(1)
    partial["people"]["data_engineers"] = None
    doc = {"milestones": [{"name": "a", "answers": complete}, {"name": "b", "answers": partial}]}
    with pytest.raises(
        BadInputError,
        match=r"milestones\[1\]\.answers: 1 factor\(s\) not rated: people\.data_engineers",
    ):
        assess(parse_answers(doc, scheme, "a.yaml"), scheme)
