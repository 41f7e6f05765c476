"""The HTML report renders in a real browser (headless Chromium) with its SVG charts.

Skips when no Chromium binary is installed (CI installs Debian's `chromium` package).
"""

import re
from pathlib import Path

from mlops.maturity.answers import load_answers
from mlops.maturity.assess import assess
from mlops.maturity.report import render_html
from mlops.maturity.roadmap import roadmap
from mlops.maturity.scheme import Scheme
from tests.browser import browser as _browser
from tests.browser import dump_dom as _dump_dom

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "maturity" / "answers-example.yaml"


def test_report_renders_with_radar_and_progression_charts(scheme: Scheme, tmp_path: Path) -> None:
    browser = _browser()
    result = assess(load_answers(EXAMPLE, scheme), scheme)
    page = tmp_path / "report.html"
    page.write_text(
        render_html(result, scheme, roadmap(result.latest, scheme), [], []), encoding="utf-8"
    )
    dom = _dump_dom(browser, page, tmp_path / "profile")
    assert re.search(r'<svg[^>]*id="radar-chart"', dom)
    assert re.search(r'<svg[^>]*id="progression-chart"', dom)
    assert re.findall(r'<polygon class="milestone" data-milestone="([^"]+)"', dom) == [
        "MS2",
        "MS4",
        "MS6",
    ]
    assert len(re.findall(r'<rect class="bar"', dom)) == 7 * 3
    assert "Roadmap (from MS6)" in dom
