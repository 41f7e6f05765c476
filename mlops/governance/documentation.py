"""Documentation (stage 1): evidence selected by subject and time, exported as JSON or CSV.

Exports carry each entry's chain hash and the newest signed checkpoint, so an excerpt handed to
a third party can still be checked against the log it came from.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from mlops.governance.checkpoint import Checkpoint
from mlops.governance.entry import SUBJECT_FIELDS, Entry, now_text

CSV_COLUMNS = (
    "seq", "time", "kind", *SUBJECT_FIELDS, "name", "value", "unit", "source", "artifacts",
    "prev_hash", "hash",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(entries: list[Entry], checkpoint: Checkpoint | None, log_id: str) -> str:
    """A JSON document: the entries, the log id and the checkpoint that covers them."""
    document: dict[str, Any] = {
        "log_id": log_id,
        "exported_at": now_text(),
        "checkpoint": checkpoint.model_dump() if checkpoint else None,
        "entries": [entry.model_dump(mode="json") for entry in entries],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str | None) -> str:
    """Free text in a spreadsheet cell; a leading formula character is neutralised with a quote."""
    if text is None:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(entries: list[Entry]) -> str:
    """One row per entry; value and artifacts as canonical JSON text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        subject = [_cell(v) for v in e.subject.as_dict().values()]
        writer.writerow(
            [e.seq, e.time, e.kind, *subject, e.name,
             json.dumps(e.value, sort_keys=True, ensure_ascii=False), _cell(e.unit),
             _cell(e.source), json.dumps(e.artifacts, sort_keys=True), e.prev_hash, e.hash]
        )  # fmt: skip
    return buffer.getvalue()
