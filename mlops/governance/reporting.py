"""Reporting (stage 2): one self-contained HTML page, what an auditor asks first, first.

Order: per model and environment the current release and its lineage (training run, code
commit, data and model digests), each gate verdict with the evidence it cited; certificate
status; chain and anchor status; then charts, only for measurements with a history.

Charts are inline SVG drawn here, with no script, no CDN and a Content-Security-Policy that
forbids loading anything, so the report opens offline and can be archived as evidence itself.
Every text from the log is HTML-escaped: evidence is data from auditees, never markup.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape
from typing import Any

from mlops.gates.evidence_names import ARTIFACT_DATA, ARTIFACT_MODEL, PROMOTION_FINALIZED
from mlops.governance.certificates import CertificateStatus
from mlops.governance.entry import Entry, now_text
from mlops.governance.quality import verdict_of
from mlops.governance.verify import VerifyResult

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


def _charts(entries: list[Entry]) -> list[tuple[str, list[str]]]:
    """Charts only for measurements with a history (two or more points), grouped by model."""
    grouped: dict[tuple[str, str], dict[str, list[tuple[int, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for e in entries:
        number = _number(e.value)
        if e.kind == "measurement" and number is not None:
            label = f"v{e.subject.version or '?'} {e.subject.environment or ''}".strip()
            grouped[(e.subject.model or "(no model)", e.name)][label].append((e.seq, number))
    by_model: dict[str, list[str]] = defaultdict(list)
    for (model, name), series in sorted(grouped.items()):
        if max(len(points) for points in series.values()) >= 2:
            by_model[model].append(chart(f"{model} · {name}", series))
    return sorted(by_model.items())


def _table(header: list[str], rows: list[list[str]], empty: str = "none") -> str:
    if not rows:
        return f"<p>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


@dataclass
class Release:
    """What runs in one environment, and where it came from (from the evidence alone)."""

    model: str
    environment: str
    version: str
    released: Entry | None
    run: str = ""
    commit: str = ""
    data: str = ""
    model_digest: str = ""


def releases(entries: list[Entry]) -> list[Release]:
    """The current release per (model, environment): the newest `promotion.finalized`; a model
    version never released shows under environment "(not released)". Lineage: the training
    run, code commit and data/model digests recorded for that version."""
    current: dict[tuple[str, str], Release] = {}
    for e in entries:
        s = e.subject
        if e.name == PROMOTION_FINALIZED and s.model and s.version and s.environment:
            current[(s.model, s.environment)] = Release(s.model, s.environment, s.version, e)
    released = {(r.model, r.version) for r in current.values()}
    for e in entries:
        s = e.subject
        if s.model and s.version and (s.model, s.version) not in released:
            current[(s.model, "(not released)")] = Release(
                s.model, "(not released)", s.version, None
            )
    for release in current.values():
        for e in entries:
            s = e.subject
            if (s.model, s.version) != (release.model, release.version):
                continue
            release.run = release.run or (s.run or "")
            release.commit = release.commit or (s.commit or "")
            release.data = release.data or e.artifacts.get(ARTIFACT_DATA, "")
            release.model_digest = release.model_digest or e.artifacts.get(ARTIFACT_MODEL, "")
    return [current[key] for key in sorted(current)]


def _mono(text: str) -> str:
    return f'<span class="mono">{escape(text)}</span>' if text else "-"


def _verdicts(entries: list[Entry], release: Release) -> str:
    """Each gate's newest verdict for the release's version, every rule with the evidence it cited."""
    newest: dict[str, Entry] = {}
    for e in entries:
        verdict = verdict_of(e)
        if verdict is not None and (e.subject.model, e.subject.version) == (
            release.model,
            release.version,
        ):
            newest[verdict.gate] = e
    rows = []
    for gate, e in sorted(newest.items()):
        verdict = verdict_of(e)
        assert verdict is not None
        mark = '<span class="ok">pass</span>' if verdict.passed else '<span class="bad">fail</span>'
        cited = ", ".join(
            f"#{key.removeprefix('evidence:')}"
            for key in sorted(e.artifacts)
            if key.startswith("evidence:")
        )
        rules = "<br>".join(
            f"{escape(r.measurement)} {escape(r.op)} {escape(str(r.required))}: actual "
            f"{escape(str(r.actual))} {'pass' if r.passed else 'FAIL'}"
            + (f" (entry #{r.evidence_seq})" if r.evidence_seq else "")
            for r in verdict.rules
        )
        rows.append(
            [escape(gate), mark, rules or "-", escape(cited or "-"), f"#{e.seq}", escape(e.time)]
        )
    return _table(["gate", "verdict", "rules (actual vs required)", "evidence cited", "entry", "time"],
                  rows, "no gate verdicts recorded")  # fmt: skip


def _certificate_rows(certificates: list[CertificateStatus]) -> list[list[str]]:
    rows = []
    for c in certificates:
        status = c.status
        shown = (
            f'<span class="ok">{status}</span>' if status == "active"
            else f'<span class="bad">{status}</span>'
            + (f": {escape(c.revocation.reason)}" if c.revocation else "")
        )  # fmt: skip
        rows.append([escape(c.certificate.model), escape(c.certificate.version),
                     escape(c.certificate.scope), shown, escape(c.certificate.issued_at),
                     escape(c.certificate.expires_at), escape(c.retest_due_at),
                     _mono(c.certificate.key_id), _mono(c.certificate.id)])  # fmt: skip
    return rows


def _chain(verification: VerifyResult) -> str:
    if verification.ok:
        head = (f'<p class="ok">Evidence chain intact: {verification.entries} entries, head '
                f'#{verification.head_seq} {_mono(verification.head_hash)}, '
                f"{verification.checkpoints} signed checkpoints, {verification.anchors} anchors "
                f"checked (scheme {escape(verification.scheme or '?')}).</p>")  # fmt: skip
    else:
        head = (f'<p class="bad">Evidence chain NOT intact: first problem at entry '
                f"{verification.first_bad_seq}: {escape(verification.problems[0].message)}</p>")  # fmt: skip
    return head + (
        "<p>Anchors: checkpoints witnessed in the platform repository are checked by "
        "<code>mlops audit verify</code> in that repository; this page shows the service's own "
        "check.</p>"
    )


def render_html(
    entries: list[Entry],
    verification: VerifyResult,
    certificates: list[CertificateStatus],
    title: str = "Continuous audit report",
) -> str:
    """The page an auditor opens first: per model and environment the current release and its
    lineage, each gate verdict with the evidence it cited, certificate status, chain and anchor
    status; then charts, only for measurements with a history, grouped by model."""
    sections = []
    for release in releases(entries):
        when = (
            f"released {escape(release.released.time)} (entry #{release.released.seq})"
            if release.released
            else "not released"
        )
        commit = (
            release.released.value.get("commit", "")
            if release.released and isinstance(release.released.value, dict)
            else ""
        )
        lineage = _table(
            ["version", "release commit", "training run", "code commit", "data digest", "model digest"],
            [[escape(release.version), _mono(commit), _mono(release.run), _mono(release.commit),
              _mono(release.data), _mono(release.model_digest)]],
        )  # fmt: skip
        sections.append(
            f'<section class="release"><h3>{escape(release.model)} in {escape(release.environment)}: '
            f"version {escape(release.version)}</h3><p>{when}</p>{lineage}"
            f"<h4>Gate verdicts</h4>{_verdicts(entries, release)}</section>"
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
        "no measurements",
    )  # fmt: skip
    charts = (
        "".join(
            f"<h3>{escape(model)}</h3>" + "".join(f"<div>{svg}</div>" for svg in svgs)
            for model, svgs in _charts(entries)
        )
        or "<p>No measurement has a history yet.</p>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>Generated {escape(now_text())} from {len(entries)} entries.</p>"
        f'<h2 id="releases">Releases, lineage and gate verdicts</h2>'
        + ("".join(sections) or "<p>No model evidence.</p>")
        + '<h2 id="certificates">Certificates</h2>'
        + _table(
            [
                "model",
                "version",
                "scope",
                "status",
                "issued",
                "expires",
                "re-test due",
                "signed by",
                "id",
            ],
            _certificate_rows(certificates),
            "no certificates",
        )
        + f'<h2 id="chain">Evidence chain and anchors</h2>{_chain(verification)}'
        + f'<h2 id="history">Measurements with a history</h2>{charts}'
        + f'<h2 id="latest">Latest figures</h2>{figures}'
        + "</body></html>\n"
    )
