"""The gate report: the same checks as JSON (digested and cited by the verdict) and markdown
(what a reviewer reads in the pull request)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops.gates.context import Target
from mlops.governance.entry import TIME_FORMAT

if TYPE_CHECKING:
    from mlops.gates.rules import Check
    from mlops.gates.spec import Gate


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]
    json_bytes: bytes

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.json_bytes).hexdigest()

    @property
    def gate_digest(self) -> str:
        return str(self.data["gate_file_digest"])


def build_report(
    gate: Gate,
    gate_path: Path,
    gate_digest: str,
    target: Target,
    checks: list[Check],
    now: datetime,
) -> Report:
    data = {
        "gate": gate.gate,
        "gate_file": gate_path.name,
        "gate_file_digest": gate_digest,
        "subject": target.subject.model_dump(exclude_none=True),
        "passed": all(check.passed for check in checks),
        "evaluated_at": now.strftime(TIME_FORMAT),
        "checks": [check.model_dump(mode="json") for check in checks],
    }
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return Report(data, text.encode("utf-8"))


def _cell(value: Any) -> str:
    text = "—" if value is None else json.dumps(value) if not isinstance(value, str) else value
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report, verdict_seq: int | None) -> str:
    """Human report: one table row per check, failures explained below it."""
    data = report.data
    subject = ", ".join(f"{k}={v}" for k, v in data["subject"].items())
    status = "PASSED" if data["passed"] else "FAILED"
    lines = [
        f"# Gate `{data['gate']}`: {status}",
        "",
        f"- Subject: {subject}",
        f"- Gate file: `policies/gates/{data['gate_file']}` ({data['gate_file_digest']})",
        f"- Evaluated at: {data['evaluated_at']}",
        f"- JSON report digest: `{report.digest}`",
        f"- Verdict: audit entry {verdict_seq}"
        if verdict_seq is not None
        else "- Verdict: not recorded",
        "",
        "| Rule | Check | Actual | Required | Evidence | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    for check in data["checks"]:
        lines.append(
            f"| {check['rule']} | {_cell(check['name'])} | {_cell(check['actual'])} | "
            f"{_cell(check['op'])} {_cell(check['required'])} | {_cell(check['evidence'])} | "
            f"{'pass' if check['passed'] else '**FAIL**'} |"
        )
    failed = [c for c in data["checks"] if not c["passed"]]
    if failed:
        lines += ["", "## Why it failed", ""]
        lines += [
            f"- `{c['rule']}` {c['name']}: {c['detail'] or 'requirement not met'}" for c in failed
        ]
    return "\n".join(lines) + "\n"


def report_stem(data: dict[str, Any]) -> str:
    subject = data["subject"]
    if "model" in subject:
        return f"{data['gate']}-{subject['model']}-v{subject['version']}"
    return f"{data['gate']}-{subject['commit'][:12]}"


def write(report: Report, verdict_seq: int | None, out_dir: Path) -> tuple[Path, Path]:
    """Write `<stem>.json` (exactly the digested bytes) and `<stem>.md`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(report.data)
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_bytes(report.json_bytes)
    md_path.write_text(markdown(report, verdict_seq), encoding="utf-8")
    return json_path, md_path
