"""The scheme data must hold every factor and statement of D4.2 tables 4-10 with its origin."""

from mlops.maturity.scheme import Scheme

# (dimension id, table, factor origins in table order), transcribed from D4.2 tables 4-10.
EXPECTED = [
    ("people", 4, ["MS", "MS", "MS", "IML4E"]),
    ("data_preparation", 5, ["MS", "IML4E", "IML4E"]),
    ("model_creation", 6, ["MS", "MS", "MS", "IML4E"]),
    ("release_integration", 7, ["MS", "MS", "MS", "IML4E", "MS", "IML4E", "IML4E"]),
    ("visualization_monitoring_documentation", 8, ["IML4E", "IML4E", "IML4E"]),
    ("testing_validation", 9, ["IML4E", "IML4E", "IML4E", "IML4E"]),
    ("tooling", 10, ["IML4E", "IML4E"]),
]


def test_seven_dimensions_in_table_order_with_every_row_and_origin(scheme: Scheme) -> None:
    got = [(d.id, d.table, [f.origin for f in d.factors]) for d in scheme.dimensions]
    assert got == EXPECTED


def test_every_non_empty_cell_is_a_statement(scheme: Scheme) -> None:
    cells = sum(len(f.statements) for d in scheme.dimensions for f in d.factors)
    assert cells == 81
    assert all(set(f.statements) <= {0, 1, 2, 3, 4} for d in scheme.dimensions for f in d.factors)
    assert all(4 in f.statements for d in scheme.dimensions for f in d.factors)


def test_statements_sit_under_their_level_columns(scheme: Scheme) -> None:
    release = scheme.factor("release_integration", "release_management").statements
    assert release == {
        0: "Release handled by data scientist or data engineer alone",
        1: "Is handed off to software engineers",
        2: "Release managed by Software engineering team",
        3: "Release managed by continuous delivery (CI/CD) pipeline",
        4: "Release managed by continuous integration and CI/CD pipeline",
    }
    assert set(scheme.factor("people", "software_engineers").statements) == {2, 3, 4}
    assert set(scheme.factor("testing_validation", "data_validation").statements) == {1, 3, 4}
    assert set(scheme.factor("tooling", "lifecycle_tooling").statements) == {0, 2, 4}
    assert scheme.levels[0] == "No MLOps"
    assert scheme.levels[4] == "Full MLOps Automated Operations"


def test_statement_lookup_across_empty_cells(scheme: Scheme) -> None:
    factor = scheme.factor("model_creation", "experiment_tracking")  # statements at 1 and 4
    assert factor.statement_at_or_above(2) == (4, "Experiment results tracked")
    assert factor.statement_at_or_below(3) == (1, "Experiments aren't predictably tracked")
    assert factor.statement_at_or_below(0) is None
