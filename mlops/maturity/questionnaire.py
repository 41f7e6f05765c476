"""The questionnaire `mlops maturity template` writes: every factor, its statements, a blank level.

The statements are comments beside each blank so the file can be filled in without the seed at
hand; pre-filled factors (from evidence) carry their level, reason and evidence as data, so the
assessment keeps citing them.
"""

import json

from mlops.maturity.evidence import Finding
from mlops.maturity.scheme import Scheme


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text)


def render_questionnaire(
    scheme: Scheme, findings: list[Finding] | None = None, milestone: str = "current"
) -> str:
    """YAML text of a one-milestone questionnaire that `parse_answers` accepts as it is."""
    proven = {f.key: f for f in findings or []}
    lines = [
        f"# {scheme.title}",
        f"# Source: {scheme.source}.",
        "# Rate every factor with a level 0..4: the level whose statement describes you best.",
        "# A level without a statement sits between its neighbours. A dimension's level is the",
        "# minimum of its factors' levels. Levels:",
        *(f"#   {level}: {name}" for level, name in scheme.levels.items()),
        "# To track progress, copy the milestone block with a new name (oldest first).",
        "# An answer is a level, or {level: N, evidence: [...], comment: ...}.",
        "# Statements of origin MS are from Microsoft's MLOps maturity model (Microsoft 2022);",
        "# statements of origin IML4E are from the IML4E project (CC BY 4.0).",
        "subject: null  # the organisation, team or case study assessed",
        "milestones:",
        f"  - name: {_q(milestone)}",
        "    date: null  # YYYY-MM-DD",
        "    answers:",
    ]
    for dimension in scheme.dimensions:
        lines += [f"      # {dimension.name} (table {dimension.table})", f"      {dimension.id}:"]
        for factor in dimension.factors:
            lines.append(f"        # {factor.name} [{factor.origin}]")
            lines += [f"        #   {level}: {text}" for level, text in factor.statements.items()]
            finding = proven.get((dimension.id, factor.id))
            if finding is None:
                lines.append(f"        {factor.id}: null")
                continue
            lines += [
                f"        {factor.id}:",
                f"          level: {finding.level}",
                f"          comment: {_q('proven by the repository: ' + finding.reason)}",
                "          evidence:",
                *(f"            - {_q(item)}" for item in finding.evidence),
            ]
    return "\n".join(lines) + "\n"
