"""The demo's closing summary: what ran, what it produced, and where an auditor finds it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from mlops.demo.steps import Platform
from mlops.demo.stores import REGISTRY_ROOT


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
            "audit_trust_commit": platform.trust_commit,
            "audit_witness_commit": platform.witness_commit,
        },
        "promotions": platform.promotions,
        "rollout_steps": platform.rollout_steps,
        "tests": platform.tests,
        "gate_reports": platform.gate_reports,
        "evidence": platform.evidence,
        "monitoring": platform.monitoring,
        "verification": verification,
        "logs": str(ws.logs),
        "step_seconds": {k: round(v, 2) for k, v in timings.items()},
        "total_seconds": round(sum(timings.values()), 2),
        "stores": {
            "mlflow": f"MLflow tracking server over sqlite:///{ws.mlflow_db}, artifacts "
            f"proxied to {REGISTRY_ROOT} at {platform.artifact_store.url}, data in "
            f"{platform.artifact_store.data_dir}",
            "audit": f"Audit API (mlops audit serve) over sqlite:///{ws.audit_db}",
            **{
                f"serving-{env}": f"SeaweedFS at {store.url}, data in {store.data_dir}"
                for env, store in platform.stores.items()
            },
        },
    }


def write(summary: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")


def render(summary: dict[str, Any], console: Console) -> None:
    """One line per promotion and per path, whole (no table that would cut them), to copy."""
    console.print(f"[bold]mlops demo: credit-risk v{summary['version']} released to prod[/]")
    for promotion in summary["promotions"]:
        console.print(
            f"{promotion['env']}: gate {promotion['gate']} passed (verdict entry "
            f"{promotion['verdict_entry']}); {escape(promotion['branch'])} merged as "
            f"{promotion['merge'][:12]}"
        )
        copied = promotion.get("transfer")
        if copied:
            console.print(
                f"  model copied {escape(copied['source_uri'])} -> {escape(copied['target_uri'])} "
                f"({copied['digest']} verified; audit entry {promotion['transfer_entry']})"
            )
    for step in summary["rollout_steps"]:
        console.print(
            f"{step['env']}: rollout step {step['step']}, gate {step['gate']} passed (verdict "
            f"entry {step['verdict_entry']}); {escape(step['branch'])} merged as "
            f"{step['merge'][:12]}"
        )
    evidence = summary["evidence"]
    lines = [("gate report", report) for report in summary["gate_reports"]]
    lines += [
        ("audit report", evidence.get("audit_report", "")),
        ("model card", evidence.get("model_card", "")),
        ("certificate", evidence.get("certificate", "")),
        ("evidence log", f"{evidence.get('audit_db', '')} ({evidence.get('audit_entries', '?')} "
                         "entries, chain intact)"),
        ("scratch clone", summary["repository"]["clone"]),
        ("verify there", "mlops audit verify (keys and witnessed checkpoints from the clone)"),
        ("summary", str(Path(summary["workdir"]) / "summary.json")),
    ]  # fmt: skip
    for label, value in lines:
        console.print(f"{label}: {escape(value)}")
    for name, figures in summary["tests"].items():
        console.print(f"{name}: {escape(json.dumps(figures))}")
    _render_monitoring(summary.get("monitoring") or {}, console)
    verification = summary["verification"]
    console.print(
        f"verify --target local: {verification.get('passed', 0)} passed, "
        f"{verification.get('failed', 0)} failed"
    )
    console.print(
        f"done in {summary['total_seconds']:.0f} s. The soak time of the prod gate was waived "
        f"in the scratch clone (commit {summary['repository']['soak_waiver_commit'][:12]}); "
        "every other rule applied."
    )


def _render_monitoring(monitoring: dict[str, Any], console: Console) -> None:
    """The evidence collector's two runs: live figures, then the injected drift's effects."""
    first, drifted = monitoring.get("first"), monitoring.get("drift")
    if first:
        console.print(f"evidence collector: {escape(first['live']['detail'])}; "
                      f"{escape(json.dumps(first['measurements']))}; live verdict passed")  # fmt: skip
    if drifted:
        console.print(f"injected drift: {escape(', '.join(drifted['failed']))}; breached "
                      f"{escape(', '.join(drifted['breached']))}")  # fmt: skip
        console.print(f"certificate revoked: {escape(', '.join(drifted['revoked']))}")
        console.print(f"retraining request (recorded, no KFP here): "
                      f"{escape(drifted['retraining_request'])}")  # fmt: skip
