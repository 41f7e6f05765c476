"""Reporting (stage 2): one self-contained HTML page with key figures over time.

Charts are inline SVG drawn here, with no script, no CDN and a Content-Security-Policy that
forbids loading anything, so the report opens offline and can be archived as evidence itself.
Every text from the log is HTML-escaped: evidence is data from auditees, never markup.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from mlops.governance.certificates import CertificateStatus
from mlops.governance.entry import Entry, now_text
from mlops.governance.log import VerifyResult
from mlops.governance.quality import verdict_of

WIDTH, HEIGHT, PAD = 640, 220, 44
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#7f7f7f")
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;
text-align:left;font-size:.9em}th{background:#f3f3f3}.ok{color:#2a7d2a}.bad{color:#b00020}
svg{background:#fafafa;border:1px solid #ddd}.mono{font-family:monospace;font-size:.8em}
"""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def chart(title: str, series: dict[str, list[tuple[int, float]]]) -> str:
    """An SVG line chart: x is the evidence sequence (time order), one line per series."""
    points = [p for line in series.values() for p in line]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - abs(y0) * 0.1 - 1e-9, y1 + abs(y1) * 0.1 + 1e-9

    def px(x: float) -> float:
        return PAD + (x - x0) / (x1 - x0) * (WIDTH - 2 * PAD)

    def py(y: float) -> float:
        return HEIGHT - PAD + (y - y0) / (y1 - y0) * (2 * PAD - HEIGHT)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{PAD}" y="18" font-size="13">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
        f'<text x="4" y="{py(y1) + 4:.1f}" font-size="10">{y1:.4g}</text>',
        f'<text x="4" y="{py(y0) + 4:.1f}" font-size="10">{y0:.4g}</text>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 14}" font-size="10">#{x0}</text>',
        f'<text x="{WIDTH - PAD - 30}" y="{HEIGHT - PAD + 14}" font-size="10">#{x1}</text>',
    ]
    for index, (label, line) in enumerate(sorted(series.items())):
        color = COLORS[index % len(COLORS)]
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line)
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}"/>'
        )
        parts.extend(
            f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}">'
            f"<title>{escape(label)} #{x}: {y:.6g}</title></circle>"
            for x, y in line
        )
        parts.append(
            f'<text x="{WIDTH - PAD + 4 - 120}" y="{PAD + 14 * index}" font-size="11" '
            f'fill="{color}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _charts(entries: list[Entry]) -> list[str]:
    grouped: dict[tuple[str, str], dict[str, list[tuple[int, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for e in entries:
        number = _number(e.value)
        if e.kind == "measurement" and number is not None:
            label = f"v{e.subject.version or '?'} {e.subject.environment or ''}".strip()
            grouped[(e.subject.model or "(no model)", e.name)][label].append((e.seq, number))
    return [chart(f"{model} · {name}", series) for (model, name), series in sorted(grouped.items())]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(
    entries: list[Entry],
    verification: VerifyResult,
    certificates: list[CertificateStatus],
    title: str = "Continuous audit report",
) -> str:
    """The report: chain status, charts of numeric measurements, latest figures, verdicts, certificates."""
    status = (
        f'<p class="ok">Evidence chain intact: {verification.entries} entries, head '
        f'#{verification.head_seq} <span class="mono">{escape(verification.head_hash)}</span></p>'
        if verification.ok
        else f'<p class="bad">Evidence chain NOT intact: first problem at entry '
        f"{verification.first_bad_seq}: {escape(verification.problems[0].message)}</p>"
    )
    latest: dict[tuple[str, ...], Entry] = {}
    for e in entries:
        if e.kind == "measurement":
            s = e.subject
            latest[(s.model or "", s.version or "", s.environment or "", e.name)] = e
    figures = _table(
        ["model", "version", "environment", "measurement", "value", "unit", "source", "entry"],
        [
            [*(escape(k) for k in key), escape(str(e.value)), escape(e.unit or ""),
             escape(e.source), f"#{e.seq}"]
            for key, e in sorted(latest.items())
        ],
    )  # fmt: skip
    verdict_rows = []
    for e in entries:
        verdict = verdict_of(e)
        if verdict is not None:
            mark = (
                '<span class="ok">pass</span>'
                if verdict.passed
                else '<span class="bad">fail</span>'
            )
            rules = "; ".join(
                f"{r.measurement} {r.op} {r.required} (actual {r.actual})" for r in verdict.rules
            )
            verdict_rows.append(
                [escape(e.time), escape(e.subject.render()), escape(verdict.gate), mark,
                 escape(rules), f"{len(e.artifacts)} digests", f"#{e.seq}"]
            )  # fmt: skip
    cert_rows = [
        [escape(c.certificate.model), escape(c.certificate.version), escape(c.certificate.scope),
         escape(c.certificate.issued_at),
         '<span class="ok">active</span>' if c.revocation is None
         else f'<span class="bad">revoked</span>: {escape(c.revocation.reason)}',
         f'<span class="mono">{escape(c.certificate.id)}</span>']
        for c in certificates
    ]  # fmt: skip
    charts = (
        "".join(f"<div>{svg}</div>" for svg in _charts(entries)) or "<p>No numeric evidence.</p>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>Generated {escape(now_text())} from {len(entries)} entries.</p>"
        f"{status}<h2>Key figures over time</h2>{charts}"
        f"<h2>Latest figures</h2>{figures}"
        "<h2>Gate verdicts (quality control)</h2>"
        + _table(["time", "subject", "gate", "verdict", "rules", "inputs", "entry"], verdict_rows)
        + "<h2>Certificates</h2>"
        + _table(["model", "version", "scope", "issued", "status", "id"], cert_rows)
        + "</body></html>\n"
    )
