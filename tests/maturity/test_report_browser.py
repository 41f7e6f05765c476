"""The HTML report renders in a real browser (headless Chromium) with its SVG charts.

Skips when no Chromium binary is installed (CI installs Debian's `chromium` package).
"""

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from mlops.maturity.answers import load_answers
from mlops.maturity.assess import assess
from mlops.maturity.report import render_html
from mlops.maturity.roadmap import roadmap
from mlops.maturity.scheme import Scheme

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "maturity" / "answers-example.yaml"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 90


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        f"no Chromium binary on PATH (looked for {', '.join(BROWSERS)}); install `chromium`"
    )


def _dump_dom(browser: str, page: Path, profile: Path) -> str:
    """Render `page` headless and return the DOM after scripts and layout (none are needed)."""
    process = subprocess.Popen(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the browser's own process group, by its pid
        process.communicate()
        pytest.fail(f"chromium did not finish rendering within {TIMEOUT_S} s")
    assert process.returncode == 0, err[-2000:]
    return out


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
