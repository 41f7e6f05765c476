"""The demo's closing summary: what ran, what it produced, and where an auditor finds it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlops.demo.steps import Platform


def build(
    platform: Platform, timings: dict[str, float], verification: dict[str, Any]
) -> dict[str, Any]:
    ws = platform.workspace
    return {
        "workdir": str(ws.root),
        "model": "credit-risk",
        "version": platform.version,
        "training": platform.training,
        "repository": {
            "clone": str(ws.repo),
            "cloned_commit": platform.clone_commit,
            "soak_waiver_commit": platform.waiver_commit,
        },
        "promotions": platform.promotions,
        "tests": platform.tests,
        "gate_reports": platform.gate_reports,
        "evidence": platform.evidence,
        "verification": verification,
        "logs": str(ws.logs),
        "step_seconds": {k: round(v, 2) for k, v in timings.items()},
        "total_seconds": round(sum(timings.values()), 2),
        "stores": {
            "mlflow": f"MLflow tracking server over sqlite:///{ws.mlflow_db}, artifacts "
            f"{ws.artifacts.as_uri()}",
            "audit": f"Audit API (mlops audit serve) over sqlite:///{ws.audit_db}",
        },
    }


def write(summary: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")


def render(summary: dict[str, Any], console: Console) -> None:
    table = Table(title=f"mlops demo: credit-risk v{summary['version']} released to prod",
                  show_header=True, header_style="bold")  # fmt: skip
    table.add_column("what")
    table.add_column("where")
    for promotion in summary["promotions"]:
        table.add_row(
            f"{promotion['env']}: gate {promotion['gate']} passed "
            f"(verdict entry {promotion['verdict_entry']})",
            escape(f"{promotion['branch']} merged as {promotion['merge'][:12]}"),
        )
    for report in summary["gate_reports"]:
        table.add_row("gate report", escape(report))
    evidence = summary["evidence"]
    table.add_row("audit report (HTML)", escape(evidence.get("audit_report", "")))
    table.add_row("model card (quality record)", escape(evidence.get("model_card", "")))
    table.add_row("certificate", escape(evidence.get("certificate", "")))
    table.add_row("evidence log", escape(f"{evidence.get('audit_db', '')} "
                                         f"({evidence.get('audit_entries', '?')} entries, chain intact)"))  # fmt: skip
    for env, figures in summary["tests"].items():
        table.add_row(escape(env), escape(json.dumps(figures)))
    verification = summary["verification"]
    table.add_row(
        "verify --target local",
        f"{verification.get('passed', 0)} passed, {verification.get('failed', 0)} failed",
    )
    table.add_row("scratch clone", escape(summary["repository"]["clone"]))
    table.add_row("summary JSON", escape(str(Path(summary["workdir"]) / "summary.json")))
    console.print(table)
    console.print(
        f"done in {summary['total_seconds']:.0f} s. The soak time of the prod gate was waived "
        f"in the scratch clone (commit {summary['repository']['soak_waiver_commit'][:12]}); "
        "every other rule applied."
    )
