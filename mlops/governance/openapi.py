"""The published OpenAPI document of the Audit API, rendered deterministically for review in Git."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from mlops.governance.api import create_app
from mlops.governance.log import EvidenceLog


def render_openapi() -> str:
    """The OpenAPI JSON text (sorted keys) of the API, built over a throw-away empty log."""
    with tempfile.TemporaryDirectory() as tmp, EvidenceLog(str(Path(tmp) / "openapi.db")) as log:
        document = create_app(log, {}).openapi()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
