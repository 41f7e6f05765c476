"""HTML and JSON reports: charts present, progression only with several milestones, text escaped."""

import re
from typing import Any

from mlops.maturity.answers import parse_answers
from mlops.maturity.assess import Assessment, assess
from mlops.maturity.evidence import Finding
from mlops.maturity.prefill import prefill
from mlops.maturity.report import as_json, render_html
from mlops.maturity.roadmap import roadmap
from mlops.maturity.scheme import Scheme


def _assessment(scheme: Scheme, milestones: list[dict[str, Any]], subject: str = "S") -> Assessment:
    return assess(
        parse_answers({"subject": subject, "milestones": milestones}, scheme, "a.yaml"), scheme
    )


def _html(scheme: Scheme, assessment: Assessment, notes: Any = ()) -> str:
    return render_html(assessment, scheme, roadmap(assessment.latest, scheme), list(notes), [])


def test_radar_has_one_polygon_per_milestone_and_bars_show_levels(
    scheme: Scheme, rate_all: Any
) -> None:
    early, late = rate_all(1), rate_all(3)
    late["tooling"]["third_party_integration"] = 2
    result = _assessment(
        scheme, [{"name": "MS2", "answers": early}, {"name": "MS4", "answers": late}]
    )
    html = _html(scheme, result)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" id="radar-chart"') == 1
    assert re.findall(r'class="milestone" data-milestone="([^"]+)"', html) == ["MS2", "MS4"]
    bars = re.findall(
        r'data-dimension="([a-z_]+)" data-milestone="([^"]+)" data-level="(\d)"', html
    )
    assert len(bars) == 7 * 2
    assert ("tooling", "MS4", "2") in bars
    assert ("people", "MS2", "1") in bars
    assert 'id="progression-chart"' in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_single_milestone_has_no_progression_chart(scheme: Scheme, rate_all: Any) -> None:
    html = _html(scheme, _assessment(scheme, [{"name": "now", "answers": rate_all(2)}]))
    assert 'id="radar-chart"' in html
    assert 'id="progression-chart"' not in html
    assert "Roadmap (from now)" in html


def test_user_text_is_escaped(scheme: Scheme, rate_all: Any) -> None:
    answers = rate_all(2)
    answers["people"]["data_scientists"] = {"level": 2, "comment": "<img src=x onerror=alert(1)>"}
    result = _assessment(
        scheme, [{"name": "<b>M</b>", "answers": answers}], subject="<script>x</script>"
    )
    html = _html(scheme, result)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<b>M</b>" not in html


def test_evidence_is_shown_with_its_source(scheme: Scheme, rate_all: Any) -> None:
    answers = rate_all(2)
    del answers["model_creation"]["experiment_tracking"]
    parsed = parse_answers({"milestones": [{"name": "now", "answers": answers}]}, scheme, "a")
    finding = Finding(
        "model_creation",
        "experiment_tracking",
        4,
        "MLflow configured",
        ("components/mlflow.py:3: x",),
    )
    filled, notes = prefill(parsed, [finding])
    result = assess(filled, scheme)
    html = _html(scheme, result, notes)
    assert "pre-filled from evidence" in html
    assert "components/mlflow.py:3: x" in html
    document = as_json(result, roadmap(result.latest, scheme), notes, ["a note"])
    assert document["evidence"][0]["action"] == "filled"
    assert document["evidence"][0]["evidence"] == ["components/mlflow.py:3: x"]
    assert document["evidence_notes"] == ["a note"]
    assert document["milestones"][0]["levels"]["model_creation"] == 2


def test_json_document_shape(scheme: Scheme, rate_all: Any) -> None:
    late = rate_all(4)
    late["people"]["data_engineers"] = 3
    result = _assessment(
        scheme, [{"name": "a", "answers": rate_all(1)}, {"name": "b", "answers": late}]
    )
    document = as_json(result, roadmap(result.latest, scheme), [], [])
    assert [m["name"] for m in document["milestones"]] == ["a", "b"]
    assert document["milestones"][1]["levels"]["people"] == 3
    people = next(p for p in document["progression"] if p["dimension"] == "people")
    assert (people["levels"], people["change"]) == ([1, 3], 2)
    assert [(r["dimension"], r["target"]) for r in document["roadmap"]] == [("people", 4)]
