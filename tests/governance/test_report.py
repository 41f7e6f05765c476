"""The audit report leads with what an auditor asks (release and lineage, gate verdicts with
the evidence they cited, certificates, chain and anchors) and charts only measurements with a
history; checked as headless Chromium renders the page."""

from __future__ import annotations

import re
from pathlib import Path

from mlops.gates.evidence_names import PROMOTION_FINALIZED
from mlops.governance.certificates import Certifier
from mlops.governance.entry import Subject
from mlops.governance.keys import write_private_key
from mlops.governance.log import EvidenceLog
from mlops.governance.quality import evaluate, record_verdict
from mlops.governance.reporting import render_html
from tests.browser import browser, dump_dom

TRAINED = Subject(model="credit-risk", version="3", run="run-42", commit="c0ffee")
IN_PROD = Subject(model="credit-risk", version="3", environment="prod")
DATA = "sha256:" + "da" * 32


class _Client:
    def __init__(self, log: EvidenceLog) -> None:
        self.log = log

    def append(self, *args, **kwargs):
        return self.log.append(*args, **kwargs)


def _page(tmp_path: Path) -> str:
    log = EvidenceLog(str(tmp_path / "audit.db"), write_private_key(tmp_path / "k.pem"))
    log.append(TRAINED, "data.rows", 1000, None, "pipeline", {"data": DATA})
    measured = log.append(TRAINED, "test.roc_auc", 0.91, None, "pipeline")
    verdict, used = evaluate("registry-to-serving-prod", [("test.roc_auc", ">=", 0.85)], [measured])
    record_verdict(_Client(log), Subject(model="credit-risk", version="3"), verdict, used)
    for latency in (120, 140, 110):  # a history: charted
        log.append(IN_PROD, "loadtest.p95_latency_ms", latency, "ms", "loadtest")
    log.append(IN_PROD, PROMOTION_FINALIZED, {"commit": "abc123", "alias": "serving-prod"})
    certifier = Certifier(log, write_private_key(tmp_path / "body.pem"))
    certifier.issue("credit-risk", "3", "eu-ai-act", ["registry-to-serving-prod"])
    html = render_html(log.query(), log.verify(), certifier.registry())
    log.close()
    return html


def test_the_report_leads_with_release_lineage_verdicts_and_certificates(tmp_path: Path):
    page = tmp_path / "report.html"
    page.write_text(_page(tmp_path), encoding="utf-8")
    dom = dump_dom(browser(), page, tmp_path / "profile")
    headings = re.findall(r'<h2 id="([a-z]+)"', dom)
    assert headings == ["releases", "certificates", "chain", "history", "latest"]
    release = dom[dom.index('id="releases"') : dom.index('id="certificates"')]
    assert "credit-risk in prod: version 3" in release
    for lineage in ("abc123", "run-42", "c0ffee", DATA):
        assert lineage in release
    assert "registry-to-serving-prod" in release and "actual 0.91" in release
    assert re.search(r"#2\b", release)  # the verdict cites the measurement's entry
    certificates = dom[dom.index('id="certificates"') : dom.index('id="chain"')]
    assert ">active<" in certificates
    assert "Evidence chain intact" in dom[dom.index('id="chain"') : dom.index('id="history"')]
    history = dom[dom.index('id="history"') : dom.index('id="latest"')]
    assert history.count("<svg") == 1 and "loadtest.p95_latency_ms" in history
    assert "test.roc_auc" not in history  # one point: no chart
