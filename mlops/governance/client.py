"""The small client every producer of evidence uses: pipelines, gates, the serving runtime.

    from mlops.governance.client import Subject, audit_client_from_url

    audit = audit_client_from_url("sqlite:///audit.db")            # embedded, local file
    audit = audit_client_from_url("https://audit.example", token)  # the Audit API
    entry = audit.append(
        Subject(model="credit-risk", version="3", environment="prod"),
        "accuracy", 0.91, unit="ratio", source="train-pipeline",
        artifacts={"model": "sha256:9f86d0..."},
    )
    rows = audit.query(Subject(model="credit-risk"), name="accuracy", since="2025-01-01T00:00:00Z")

Interface (`AuditClient`), identical for both implementations:
- `append(subject, name, value, unit=None, source="", artifacts=None, *, kind="measurement")
  -> Entry`: returns once the entry is durably stored (acknowledged). `value` is any finite JSON
  value (a number for measurements; an object for gate verdicts); `artifacts` maps names to
  digests `<algorithm>:<hex>`; `kind` is one of measurement, verdict, oversight, certificate,
  document.
- `query(subject=None, name=None, since=None, until=None, *, kind=None) -> list[Entry]`: entries
  matching every filter given, oldest first. Subject filters match on the fields set;
  since/until are ISO 8601 strings (or datetimes), inclusive.
- `checkpoint() -> Checkpoint | None`: the log's newest signed checkpoint (what a promotion
  commit witnesses in the repository).
- `close()`.
Bad input raises `mlops.errors.BadInputError`; an unreachable or refusing service raises
`AuditUnavailableError` (so a pipeline can decide whether missing evidence blocks it).
`Subject` has `Subject.parse("model=credit-risk,version=3")` and `.render()`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx

from mlops.errors import BadInputError
from mlops.governance import keys
from mlops.governance.certificates import Certifier
from mlops.governance.checkpoint import Checkpoint
from mlops.governance.entry import Entry, Subject
from mlops.governance.kinds import Kind
from mlops.governance.log import EvidenceLog, NewEntry

__all__ = [
    "AuditClient",
    "AuditUnavailableError",
    "EmbeddedAuditClient",
    "Entry",
    "HttpAuditClient",
    "Subject",
    "audit_client_from_url",
]

TimeArg = str | datetime | None
RETRIES = 3


class AuditUnavailableError(Exception):
    """The Audit API could not be reached, refused the token, or failed (not a caller mistake)."""


@runtime_checkable
class AuditClient(Protocol):
    """What producers and readers of evidence call; see the module docstring."""

    def append(
        self,
        subject: Subject,
        name: str,
        value: Any,
        unit: str | None = None,
        source: str = "",
        artifacts: dict[str, str] | None = None,
        *,
        kind: Kind = "measurement",
    ) -> Entry: ...

    def query(
        self,
        subject: Subject | None = None,
        name: str | None = None,
        since: TimeArg = None,
        until: TimeArg = None,
        *,
        kind: str | None = None,
    ) -> list[Entry]: ...

    def checkpoint(self) -> Checkpoint | None: ...

    def close(self) -> None: ...


def _iso(moment: TimeArg) -> str | None:
    return moment.isoformat() if isinstance(moment, datetime) else moment


class EmbeddedAuditClient:
    """Writes straight into a local SQLite (or PostgreSQL) evidence log, no server needed."""

    def __init__(
        self, db: str, key_file: Path | None = None, certification_key: Path | None = None
    ) -> None:
        self.log = EvidenceLog.open(db, key_file)
        self.certifier = Certifier(self.log, keys.certification_key(certification_key))

    def append(
        self,
        subject: Subject,
        name: str,
        value: Any,
        unit: str | None = None,
        source: str = "",
        artifacts: dict[str, str] | None = None,
        *,
        kind: Kind = "measurement",
    ) -> Entry:
        if kind == "certificate":
            raise BadInputError("kind: certificate entries are written by the certifier only")
        item = NewEntry(subject, name, value, unit, source, artifacts, kind)
        return self.log.append_many([item], follow_up=self.certifier.follow_up)[0]

    def query(
        self,
        subject: Subject | None = None,
        name: str | None = None,
        since: TimeArg = None,
        until: TimeArg = None,
        *,
        kind: str | None = None,
    ) -> list[Entry]:
        return self.log.query(subject, name, _iso(since), _iso(until), kind=kind)

    def checkpoint(self) -> Checkpoint | None:
        return self.log.latest_checkpoint()

    def close(self) -> None:
        self.log.close()


class HttpAuditClient:
    """Talks to the Audit API with a bearer token (role auditee to append, auditor to query)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; an append carries an idempotency key, so a request whose answer was
        lost on the way is retried safely (the service returns what the first one stored)."""
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {}
        failure: httpx.TransportError | None = None
        for _ in range(RETRIES):
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
                break
            except httpx.TransportError as error:  # refused, reset or timed out: try again
                failure = error
            except httpx.HTTPError as error:
                raise AuditUnavailableError(f"{self._http.base_url}{path}: {error}") from None
        else:
            raise AuditUnavailableError(f"{self._http.base_url}{path}: {failure}") from None
        if response.status_code in (400, 413, 422):
            raise BadInputError(f"audit API refused the request: {_detail(response)}")
        if response.status_code >= 300:
            raise AuditUnavailableError(
                f"{self._http.base_url}{path}: HTTP {response.status_code}: {_detail(response)}"
            )
        return response.json()

    def append(
        self,
        subject: Subject,
        name: str,
        value: Any,
        unit: str | None = None,
        source: str = "",
        artifacts: dict[str, str] | None = None,
        *,
        kind: Kind = "measurement",
    ) -> Entry:
        body = {
            "subject": subject.model_dump(exclude_none=True),
            "name": name,
            "value": value,
            "unit": unit,
            "source": source,
            "artifacts": artifacts or {},
            "kind": kind,
        }
        return Entry.model_validate(self._call("POST", "/v1/entries", json=body))

    def query(
        self,
        subject: Subject | None = None,
        name: str | None = None,
        since: TimeArg = None,
        until: TimeArg = None,
        *,
        kind: str | None = None,
    ) -> list[Entry]:
        params: dict[str, str] = dict(subject.model_dump(exclude_none=True)) if subject else {}
        for key, value in (
            ("name", name),
            ("since", _iso(since)),
            ("until", _iso(until)),
            ("kind", kind),
        ):
            if value is not None:
                params[key] = value
        entries: list[Entry] = []
        after = 0
        while True:
            data = self._call("GET", "/v1/entries", params={**params, "after": str(after)})
            entries.extend(Entry.model_validate(item) for item in data["entries"])
            if data.get("next_after") is None:
                return entries
            after = int(data["next_after"])

    def checkpoint(self) -> Checkpoint | None:
        try:
            response = self._http.get("/v1/checkpoint")
        except httpx.HTTPError as error:
            raise AuditUnavailableError(f"{self._http.base_url}/v1/checkpoint: {error}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise AuditUnavailableError(
                f"{self._http.base_url}/v1/checkpoint: HTTP {response.status_code}: "
                f"{_detail(response)}"
            )
        return Checkpoint.model_validate(response.json())

    def close(self) -> None:
        self._http.close()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))[:500]
    except ValueError:
        return response.text[:500]


def audit_location(url: str) -> str:
    """`--audit` as a URL: a bare file path is the SQLite log at its absolute path."""
    return f"sqlite:///{Path(url).resolve()}" if url and "://" not in url else url


def _token_from_file() -> str | None:
    """The token in `MLOPS_AUDIT_TOKEN_FILE` (a Secret mounted as a file, not an environment
    variable); None when unset."""
    from mlops.config.environment import AUDIT_TOKEN_FILE
    from mlops.inputs import read_text

    path = AUDIT_TOKEN_FILE.get()
    if path is None:
        return None
    token = read_text(path, 4096, "audit token file").strip()
    if not token:
        raise BadInputError(
            f"{AUDIT_TOKEN_FILE.name}={path}: empty; allowed: a file holding the token"
        )
    return token


def audit_client_from_url(url: str, token: str | None = None) -> AuditClient:
    """A file path, `sqlite:///path` or `postgresql://...` -> embedded; `http(s)://...` -> the
    Audit API."""
    url = audit_location(url)
    if url.startswith(("http://", "https://")):
        return HttpAuditClient(url, token or _token_from_file())
    if url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        return EmbeddedAuditClient(url)
    raise BadInputError(
        f"{url}: unknown audit URL; allowed: a file path, sqlite:///PATH, postgresql://..., "
        "http(s)://HOST"
    )
