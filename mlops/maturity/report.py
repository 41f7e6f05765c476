"""Reports of an assessment: the JSON document and the self-contained HTML page."""

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from mlops.maturity.assess import Assessment
from mlops.maturity.charts import progression_svg, radar_svg
from mlops.maturity.prefill import PrefillNote
from mlops.maturity.roadmap import RoadmapItem
from mlops.maturity.scheme import Scheme

_ENV = Environment(
    loader=PackageLoader("mlops.maturity", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def as_json(
    assessment: Assessment,
    roadmap: tuple[RoadmapItem, ...],
    prefill_notes: list[PrefillNote],
    evidence_notes: list[str],
) -> dict[str, Any]:
    """The machine-readable report (`--json`)."""
    return {
        "subject": assessment.subject,
        "source": assessment.source,
        "milestones": [
            {
                "name": m.name,
                "date": m.date,
                "levels": {d.id: d.level for d in m.dimensions},
                "dimensions": [d.model_dump(mode="json") for d in m.dimensions],
            }
            for m in assessment.milestones
        ],
        "progression": [p.model_dump(mode="json") for p in assessment.progression],
        "roadmap": [item.model_dump(mode="json") for item in roadmap],
        "evidence": [note.model_dump(mode="json") for note in prefill_notes],
        "evidence_notes": evidence_notes,
    }


def _details(assessment: Assessment, scheme: Scheme) -> list[dict[str, Any]]:
    latest = assessment.latest
    details = []
    for dimension in latest.dimensions:
        factors = []
        for index, factor in enumerate(dimension.factors):
            levels = [
                next(d for d in m.dimensions if d.id == dimension.id).factors[index].level
                for m in assessment.milestones
            ]
            factors.append({"latest": factor, "levels": levels})
        table = next(d.table for d in scheme.dimensions if d.id == dimension.id)
        details.append(
            {
                "id": dimension.id,
                "name": dimension.name,
                "table": table,
                "level": dimension.level,
                "factors": factors,
            }
        )
    return details


def render_html(
    assessment: Assessment,
    scheme: Scheme,
    roadmap: tuple[RoadmapItem, ...],
    prefill_notes: list[PrefillNote],
    evidence_notes: list[str],
) -> str:
    """One HTML page with inline SVG charts: no script, no network, readable offline."""
    several = len(assessment.milestones) > 1
    return _ENV.get_template("report.html.j2").render(
        subject=assessment.subject,
        source=assessment.source,
        scheme=scheme,
        milestones=assessment.milestones,
        latest=assessment.latest,
        progression=assessment.progression,
        radar=Markup(radar_svg(assessment)),  # noqa: S704 - built by charts.py, text escaped there
        progression_chart=Markup(progression_svg(assessment)) if several else None,  # noqa: S704
        roadmap=roadmap,
        prefill_notes=prefill_notes,
        evidence_notes=evidence_notes,
        details=_details(assessment, scheme),
    )
