"""Masking of named fields in logged payloads, so personal data never reaches the request log.

Fields are matched by exact key name at any depth of the logged input, output and explanation
(tabular inputs are logged as one mapping per row, so a field is a feature column). `redact`
replaces the value with a constant; `hash` replaces it with a short sha256 so that equal values
can still be joined; low-entropy values (ages, postcodes) are guessable from such a hash, so
prefer `redact` for them.
"""

import hashlib
import json
from typing import Any, Literal

MaskMode = Literal["redact", "hash"]
REDACTED = "***"


class Masker:
    """Replaces the values of the named fields; a Masker with no fields returns its input."""

    def __init__(
        self, fields: list[str] | set[str] | tuple[str, ...] = (), mode: MaskMode = "redact"
    ):
        self.fields = frozenset(fields)
        self.mode = mode

    def __call__(self, value: Any) -> Any:
        if not self.fields:
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: self._replace(item) if key in self.fields else self._walk(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._walk(item) for item in value]
        return value

    def _replace(self, value: Any) -> str:
        if self.mode == "redact":
            return REDACTED
        text = json.dumps(value, sort_keys=True, default=str)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
