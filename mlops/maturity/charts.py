"""Inline SVG charts for the HTML report, drawn here so the report works offline with no script.

Two charts: a radar of the dimensions (one polygon per milestone) and, when there are several
milestones, grouped bars of each dimension's level per milestone.
"""

import math
from html import escape

from mlops.maturity.assess import Assessment
from mlops.maturity.scheme import MAX_LEVEL

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777")
_FONT = 'font-family="system-ui, sans-serif"'


def _wrap(text: str, width: int = 18) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _label(x: float, y: float, text: str, anchor: str, size: int = 12, below: bool = False) -> str:
    """Wrapped text centred on (x, y), or hanging below y when `below`."""
    lines = _wrap(text)
    top = y if below else y - (len(lines) - 1) * size * 0.6
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{top + i * size * 1.2:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text text-anchor="{anchor}" font-size="{size}" {_FONT} fill="#1f2937">{spans}</text>'


def _legend(names: list[str], x: float, y: float) -> str:
    items = []
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        items.append(
            f'<rect x="{x:.1f}" y="{y + i * 20:.1f}" width="14" height="14" fill="{color}"/>'
            f'<text x="{x + 20:.1f}" y="{y + i * 20 + 11:.1f}" font-size="12" {_FONT}>'
            f"{escape(name)}</text>"
        )
    return f'<g class="legend">{"".join(items)}</g>'


def radar_svg(assessment: Assessment) -> str:
    """Radar of the dimension levels (0 at the centre, 4 at the rim), one polygon per milestone."""
    dims = assessment.progression
    count = len(dims)
    cx, cy, radius = 330.0, 250.0, 160.0
    legend_rows = len(assessment.milestones)
    height = max(500, 60 + legend_rows * 20)

    def point(index: int, level: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        r = radius * level / MAX_LEVEL
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="radar-chart" class="chart radar" '
        f'viewBox="0 0 800 {height}" width="800" height="{height}" role="img" '
        f'aria-label="Maturity level per dimension">',
        "<title>Maturity level per dimension</title>",
    ]
    for level in range(1, MAX_LEVEL + 1):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(count)))
        parts.append(f'<polygon class="ring" points="{ring}" fill="none" stroke="#d1d5db"/>')
        lx, ly = point(0, level)
        parts.append(
            f'<text x="{lx + 4:.1f}" y="{ly + 4:.1f}" font-size="10" {_FONT} fill="#6b7280">'
            f"{level}</text>"
        )
    for i, dim in enumerate(dims):
        x, y = point(i, MAX_LEVEL)
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#9ca3af"/>')
        lx, ly = point(i, MAX_LEVEL + 0.5)
        anchor = "middle" if abs(lx - cx) < 20 else ("start" if lx > cx else "end")
        parts.append(_label(lx, ly, dim.name, anchor))
    for m, milestone in enumerate(assessment.milestones):
        color = PALETTE[m % len(PALETTE)]
        latest = m == len(assessment.milestones) - 1
        pts = [point(i, milestone.level(dim.dimension)) for i, dim in enumerate(dims)]
        poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(
            f'<polygon class="milestone" data-milestone="{escape(milestone.name)}" '
            f'points="{poly}" fill="{color}" fill-opacity="{0.25 if latest else 0.08}" '
            f'stroke="{color}" stroke-width="{3 if latest else 1.5}"/>'
        )
        for (x, y), dim in zip(pts, dims, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(milestone.name)}: {escape(dim.name)} = "
                f"{milestone.level(dim.dimension)}</title></circle>"
            )
    parts.append(_legend([m.name for m in assessment.milestones], 660, 30))
    parts.append("</svg>")
    return "".join(parts)


def progression_svg(assessment: Assessment) -> str:
    """Grouped bars: for each dimension, its level at each milestone (oldest first)."""
    dims = assessment.progression
    names = [m.name for m in assessment.milestones]
    left, top, plot_h, group_w = 50.0, 20.0, 220.0, 100.0
    bar_w = min(24.0, (group_w - 20) / len(names))
    width = left + group_w * len(dims) + 20
    height = top + plot_h + 70 + 20 * len(names)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="progression-chart" class="chart bars" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label="Level per dimension over the milestones">',
        "<title>Level per dimension over the milestones</title>",
    ]
    for level in range(MAX_LEVEL + 1):
        y = top + plot_h - plot_h * level / MAX_LEVEL
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11" {_FONT}>'
            f"{level}</text>"
        )
    for d, dim in enumerate(dims):
        x0 = left + d * group_w + (group_w - bar_w * len(names)) / 2
        for m, level in enumerate(dim.levels):
            h = plot_h * level / MAX_LEVEL
            x = x0 + m * bar_w
            y = top + plot_h - h
            parts.append(
                f'<rect class="bar" data-dimension="{dim.dimension}" '
                f'data-milestone="{escape(names[m])}" data-level="{level}" x="{x:.1f}" '
                f'y="{y:.1f}" width="{bar_w - 2:.1f}" height="{max(h, 1.0):.1f}" '
                f'fill="{PALETTE[m % len(PALETTE)]}"><title>{escape(names[m])}: '
                f"{escape(dim.name)} = {level}</title></rect>"
            )
        centre = left + d * group_w + group_w / 2
        parts.append(_label(centre, top + plot_h + 18, dim.name, "middle", 11, below=True))
    parts.append(_legend(names, left, top + plot_h + 70))
    parts.append("</svg>")
    return "".join(parts)
