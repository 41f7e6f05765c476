"""Self-assessment (stage 4): a public quality record (model card) generated from evidence only.

Every figure in the record cites the entry it came from (sequence number and chain hash), and
the record names the signed checkpoint that covers them, so a customer can check each claim
against the log instead of trusting the producer's prose.
"""

from __future__ import annotations

import html
from typing import Any

from mlops.governance.certificates import CertificateStatus
from mlops.governance.checkpoint import Checkpoint
from mlops.governance.entry import Entry, now_text
from mlops.governance.quality import verdict_of


def quality_record(
    model: str,
    version: str,
    entries: list[Entry],
    certificates: list[CertificateStatus],
    checkpoint: Checkpoint | None,
) -> dict[str, Any]:
    """The record as data: latest measurement per (environment, name), latest verdict per gate."""
    measurements: dict[tuple[str, str], Entry] = {}
    verdicts: dict[str, Entry] = {}
    oversight = 0
    for e in entries:
        if e.kind == "measurement":
            measurements[(e.subject.environment or "", e.name)] = e
        elif (verdict := verdict_of(e)) is not None:
            verdicts[verdict.gate] = e
        elif e.kind == "oversight":
            oversight += 1
    return {
        "model": model,
        "version": version,
        "generated_at": now_text(),
        "checkpoint": checkpoint.model_dump() if checkpoint else None,
        "measurements": [
            {"environment": env or None, "name": name, "value": e.value, "unit": e.unit,
             "source": e.source, "time": e.time, "seq": e.seq, "hash": e.hash}
            for (env, name), e in sorted(measurements.items())
        ],
        "gates": [
            {"gate": gate, "passed": e.value.get("passed"), "time": e.time, "seq": e.seq,
             "hash": e.hash, "rules": e.value.get("rules", [])}
            for gate, e in sorted(verdicts.items())
        ],
        "certificates": [
            {"id": c.certificate.id, "scope": c.certificate.scope, "status": c.status,
             "issued_at": c.certificate.issued_at,
             "revoked_reason": c.revocation.reason if c.revocation else None}
            for c in certificates
        ],
        "human_oversight_records": oversight,
    }  # fmt: skip


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|<>!#"})


def _md(text: Any) -> str:
    """Evidence text as inert Markdown: HTML escaped (renderers pass HTML through), and the
    characters that make links, images, code, emphasis or table cells escaped; one line."""
    return html.escape(str(text), quote=False).translate(_MARKDOWN_SPECIAL).replace("\n", " ")


def model_card_markdown(record: dict[str, Any]) -> str:
    """The record as a Markdown model card (product sheet) for publication."""
    lines = [
        f"# Quality record: {_md(record['model'])} version {_md(record['version'])}",
        "",
        f"Generated {record['generated_at']} from the evidence log only; each figure cites its "
        "evidence entry (sequence number and SHA-256 chain hash).",
        "",
    ]
    checkpoint = record["checkpoint"]
    if checkpoint:
        lines += [
            f"Covered by signed checkpoint #{checkpoint['seq']} (key {_md(checkpoint['key_id'])}, "
            f"log {_md(checkpoint['log_id'])}).",
            "",
        ]
    lines += [
        "## Measurements",
        "",
        "| environment | measurement | value | unit | source | entry |",
    ]
    lines.append("|---|---|---|---|---|---|")
    lines += [
        f"| {_md(m['environment'] or '')} | {_md(m['name'])} | {_md(m['value'])} | "
        f"{_md(m['unit'] or '')} | {_md(m['source'])} | #{m['seq']} `{m['hash'][:16]}` |"
        for m in record["measurements"]
    ]
    lines += ["", "## Quality gates", "", "| gate | verdict | rules | entry |", "|---|---|---|---|"]
    for g in record["gates"]:
        rules = "; ".join(
            f"{r.get('measurement')} {r.get('op')} {r.get('required')} (actual {r.get('actual')})"
            for r in g["rules"]
        )
        verdict = "pass" if g["passed"] else "FAIL"
        lines.append(f"| {_md(g['gate'])} | {verdict} | {_md(rules)} | #{g['seq']} |")
    lines += ["", "## Certificates", ""]
    lines += [
        f"- {_md(c['scope'])}: **{c['status']}** (issued {c['issued_at']}, id `{c['id']}`)"
        + (f"; revoked: {_md(c['revoked_reason'])}" if c["revoked_reason"] else "")
        for c in record["certificates"]
    ] or ["- none"]
    lines += ["", f"Human-oversight records: {record['human_oversight_records']}.", ""]
    return "\n".join(lines)
