"""The evidence entry, its subject, and the canonical bytes its hash is computed over.

An entry is hashed as canonical JSON so that any implementation in any language can recompute the
chain byte for byte: RFC 8785 (JCS) through the `rfc8785` library for logs created with the
`rfc8785-sha256` scheme. Logs created earlier record no scheme and used Python's sorted
`json.dumps` (`sorted-json-sha256`); they stay verifiable under it. The hash of entry n covers
its sequence number, time, kind, subject, name, value, unit, source, artifact digests and the
hash of entry n-1 (`prev`), which is what makes deletion, reordering and editing detectable.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import rfc8785
from pydantic import BaseModel, ConfigDict, Field

from mlops.errors import BadInputError
from mlops.governance.chain import content_bytes, entry_hash
from mlops.governance.kinds import KINDS, Kind

GENESIS_HASH = "0" * 64
SCHEME_JCS = "rfc8785-sha256"  # what every new log records (audit_meta hash_scheme)
SCHEME_LEGACY = "sorted-json-sha256"  # logs created before the scheme was recorded
SCHEMES = (SCHEME_JCS, SCHEME_LEGACY)
SUBJECT_FIELDS = ("model", "version", "environment", "run", "commit")
MAX_VALUE_BYTES = 64 * 1024
MAX_TEXT = 256
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_DIGEST = re.compile(r"^[a-z0-9]+:[0-9a-f]{32,128}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,255}$")


class Subject(BaseModel):
    """What a measurement is about; every field is optional, filters match on the fields given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = Field(default=None, max_length=MAX_TEXT)
    version: str | None = Field(default=None, max_length=MAX_TEXT)
    environment: str | None = Field(default=None, max_length=MAX_TEXT)
    run: str | None = Field(default=None, max_length=MAX_TEXT)
    commit: str | None = Field(default=None, max_length=MAX_TEXT)

    @classmethod
    def parse(cls, text: str) -> Subject:
        """Read `model=credit-risk,version=3` (keys: model, version, environment, run, commit)."""
        fields: dict[str, str] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or key not in SUBJECT_FIELDS or not value:
                raise BadInputError(
                    f"--subject: {part!r} is not key=value; allowed keys: {', '.join(SUBJECT_FIELDS)}"
                    " (e.g. model=credit-risk,version=3)"
                )
            if key in fields:
                raise BadInputError(f"--subject: key {key!r} given twice")
            fields[key] = value
        return cls(**fields)

    def render(self) -> str:
        """The inverse of `parse`: `model=credit-risk,version=3`."""
        return ",".join(f"{k}={v}" for k, v in self.as_dict().items() if v is not None)

    def as_dict(self) -> dict[str, str | None]:
        """All five fields in a fixed order (None where not set)."""
        return {k: getattr(self, k) for k in SUBJECT_FIELDS}

    def matches(self, other: Subject) -> bool:
        """True when every field set on self equals the same field of `other`."""
        return all(v is None or getattr(other, k) == v for k, v in self.as_dict().items())


class Entry(BaseModel):
    """One stored evidence entry, as read back from the log (hash verified by `verify`, not here)."""

    model_config = ConfigDict(frozen=True)

    seq: int
    time: str
    kind: Kind
    subject: Subject
    name: str
    value: Any
    unit: str | None
    source: str
    artifacts: dict[str, str]
    prev_hash: str
    hash: str


def canonical_json(value: Any, scheme: str = SCHEME_JCS) -> str:
    """Canonical JSON text under a hash scheme: RFC 8785, or the legacy sorted `json.dumps`."""
    if scheme == SCHEME_LEGACY:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    try:
        return rfc8785.dumps(value).decode()
    except rfc8785.CanonicalizationError as error:
        raise ValueError(str(error)) from None


def now_text() -> str:
    """The current UTC time in the one fixed-width format stored in the log (sorts as text)."""
    return datetime.now(UTC).strftime(TIME_FORMAT)


def time_text(moment: datetime | str) -> str:
    """Normalise a datetime or ISO 8601 string to the stored format, for time-range queries."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            raise BadInputError(
                f"time {moment!r}: not ISO 8601; allowed: e.g. 2025-01-31T12:00:00Z"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def _check_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise BadInputError(f"value: {value} is not a finite number; allowed: JSON values")
    if isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_finite(item)


def value_text(value: Any, scheme: str = SCHEME_JCS) -> str:
    """Canonical JSON of a measured value, refusing non-JSON, non-finite or oversized values."""
    _check_finite(value)
    try:
        text = canonical_json(value, scheme)
    except (TypeError, ValueError) as error:
        raise BadInputError(f"value: not representable as JSON: {error}") from None
    if len(text.encode()) > MAX_VALUE_BYTES:
        raise BadInputError(f"value: larger than {MAX_VALUE_BYTES} bytes as JSON")
    return text


def _check_utf8(field: str, text: str | None) -> None:
    """Text must be valid Unicode (no lone surrogates): canonical JSON is UTF-8."""
    if text is not None and not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise BadInputError(
                f"{field}: contains a lone surrogate; allowed: valid Unicode text"
            ) from None


def check_subject(subject: Subject) -> None:
    """Every subject field is valid Unicode (see `_check_utf8`)."""
    texts = m, v, e, r, c = (
        subject.model,
        subject.version,
        subject.environment,
        subject.run,
        subject.commit,
    )
    if f"{m or ''}{v or ''}{e or ''}{r or ''}{c or ''}".isascii():  # the usual case, at once
        return
    for field, text in zip(SUBJECT_FIELDS, texts, strict=True):
        _check_utf8(f"subject.{field}", text)


def check_fields(kind: str, name: str, unit: str | None, source: str) -> None:
    """Validate the text fields of an append."""
    if kind not in KINDS:
        raise BadInputError(f"kind: {kind!r} is unknown; allowed: {', '.join(KINDS)}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadInputError(
            f"name: {name!r} is not a measurement name; allowed: 1-256 chars of A-Z a-z 0-9 _.:/@+-"
        )
    if unit is not None and (not isinstance(unit, str) or len(unit) > MAX_TEXT):
        raise BadInputError(f"unit: must be a string of at most {MAX_TEXT} characters")
    if not isinstance(source, str) or len(source) > MAX_TEXT:
        raise BadInputError(f"source: must be a string of at most {MAX_TEXT} characters")
    for field, text in (("unit", unit), ("source", source)):
        _check_utf8(field, text)


def check_artifacts(artifacts: dict[str, str] | None) -> dict[str, str]:
    """Validate the artifact digests of an append; returns the mapping (never None)."""
    artifacts = dict(artifacts or {})
    if len(artifacts) > 256:
        raise BadInputError("artifacts: more than 256 digests")
    for key, digest in artifacts.items():
        if not isinstance(key, str) or not 0 < len(key) <= MAX_TEXT:
            raise BadInputError(f"artifacts: key {key!r} must be a 1-{MAX_TEXT} character string")
        _check_utf8("artifacts", key)
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise BadInputError(
                f"artifacts: {key}: {digest!r} is not a digest; allowed: <algorithm>:<hex>, "
                "e.g. sha256:9f86d0..."
            )
    return artifacts


def recompute_hash(entry: Entry, scheme: str = SCHEME_JCS) -> str:
    """The hash an entry must have, recomputed from its fields (for offline checks of exports)."""
    subject = tuple(entry.subject.as_dict().values())
    return entry_hash(
        content_bytes(
            entry.seq, entry.time, entry.kind, subject, entry.name,
            canonical_json(entry.value, scheme), entry.unit, entry.source,
            canonical_json(entry.artifacts, scheme), entry.prev_hash,
        )
    )  # fmt: skip
