"""The roadmap names the next level's statements for the weakest dimensions only."""

from typing import Any

from mlops.maturity.answers import parse_answers
from mlops.maturity.assess import assess
from mlops.maturity.roadmap import roadmap
from mlops.maturity.scheme import Scheme


def _latest(scheme: Scheme, answers: dict[str, Any]) -> Any:
    return assess(
        parse_answers({"milestones": [{"name": "now", "answers": answers}]}, scheme, "a"), scheme
    ).latest


def test_weakest_dimensions_get_next_level_statements(scheme: Scheme, rate_all: Any) -> None:
    answers = rate_all(3)
    answers["release_integration"]["release_management"] = 2
    answers["testing_validation"]["compliance"] = 2
    answers["people"]["data_engineers"] = 2
    items = roadmap(_latest(scheme, answers), scheme)
    assert [(i.dimension, i.current, i.target) for i in items] == [
        ("people", 2, 3),
        ("release_integration", 2, 3),
        ("testing_validation", 2, 3),
    ]
    release = items[1].steps
    assert [(s.factor, s.statement_level, s.statement) for s in release] == [
        ("release_management", 3, "Release managed by continuous delivery (CI/CD) pipeline")
    ]
    # Empty level-3 cell: the step works towards the level-4 statement.
    people = items[0].steps
    assert [(s.factor, s.statement_level) for s in people] == [("data_engineers", 4)]
    assert people[0].statement.startswith(
        "Data engineers: Working with data scientists and software"
    )


def test_no_roadmap_at_full_maturity(scheme: Scheme, rate_all: Any) -> None:
    assert roadmap(_latest(scheme, rate_all(4)), scheme) == ()


def test_only_limiting_factors_are_steps(scheme: Scheme, rate_all: Any) -> None:
    answers = rate_all(4)
    answers["tooling"] = {"lifecycle_tooling": 0, "third_party_integration": 1}
    items = roadmap(_latest(scheme, answers), scheme)
    assert len(items) == 1
    assert [(s.factor, s.statement_level) for s in items[0].steps] == [("lifecycle_tooling", 2)]
