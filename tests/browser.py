"""Headless Chromium for tests that check a page as a browser renders it (the maturity report,
the audit report). Skips when no Chromium binary is installed (`./scripts/setup` installs
Debian's `chromium`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 90


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        f"no Chromium binary on PATH (looked for {', '.join(BROWSERS)}); install `chromium`"
    )


def dump_dom(browser: str, page: Path, profile: Path) -> str:
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
