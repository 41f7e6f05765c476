"""The Audit API: the HTTP face of the evidence log (FastAPI; OpenAPI at /openapi.json).

Append-only by construction: there is no route that updates or deletes evidence. Every route but
/healthz, /v1/public-key, /v1/checkpoint and the certificate registry reads needs a bearer token whose role
allows it (401 without a known token, 403 with the wrong role); bodies are capped before they
are parsed (413). Deployment contract (images/Dockerfile, target governance): port 8080,
MLOPS_AUDIT, MLOPS_AUDIT_TOKENS_FILE, MLOPS_AUDIT_SIGNING_KEY_FILE, and optionally
MLOPS_AUDIT_CERTIFICATION_KEY_FILE (the certification body's own key, a separate Secret),
MLOPS_AUDIT_PUBLIC_MODELS and MLOPS_AUDIT_PUBLIC_SECTIONS (the public quality record). No request
gets a 5xx answer, and the OpenAPI document lists every answer a route gives.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter

from mlops.config.environment import AUDIT_PUBLIC_MODELS, AUDIT_PUBLIC_SECTIONS
from mlops.errors import BadInputError, CheckFailedError
from mlops.governance import keys
from mlops.governance.auth import Role, token_digest
from mlops.governance.certificates import RETEST_DAYS, VALID_DAYS, Certifier
from mlops.governance.documentation import to_csv, to_json
from mlops.governance.entry import Entry, Subject
from mlops.governance.kinds import Kind
from mlops.governance.log import EvidenceLog, NewEntry
from mlops.governance.reporting import render_html
from mlops.governance.selfassessment import model_card_markdown, quality_record

MAX_BODY_BYTES = 256 * 1024
MAX_BATCH = 1000
PAGE = 1000

READERS = (Role.AUDITOR, Role.CERTIFICATION_BODY)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_.:-]{1,128}$",
        description="Retrying with the same key returns what the first request stored.",
    ),
]
_bearer = HTTPBearer(auto_error=False)
_ENTRIES = TypeAdapter(list[Entry])


class EntryIn(BaseModel):
    """One piece of evidence as submitted; the log adds seq, time and hashes."""

    model_config = ConfigDict(extra="forbid")

    subject: Subject
    name: str = Field(min_length=1, max_length=256)
    value: JsonValue
    unit: str | None = Field(default=None, max_length=256)
    source: str = Field(default="", max_length=256)
    artifacts: dict[str, str] = Field(default_factory=dict)
    kind: Literal["measurement", "verdict", "oversight", "document"] = "measurement"


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_BATCH)


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=256)
    version: str = Field(min_length=1, max_length=256)
    scope: str = Field(min_length=1, max_length=256)
    gates: list[str] = Field(min_length=1, max_length=100)
    valid_days: int = Field(default=VALID_DAYS, ge=1, le=1095)
    retest_days: int = Field(default=RETEST_DAYS, ge=1, le=1095)


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class ErrorOut(BaseModel):
    """Every refusal: what is wrong and what is allowed."""

    detail: str


def _answers(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "bad input", 401: "missing or unknown bearer token", 403: "role not allowed",
            404: "not found", 409: "conflicts with the log's state (nothing written)",
            413: "body too large"}  # fmt: skip
    json_error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    return {
        code: {"model": ErrorOut, "description": text[code], "content": json_error}
        for code in codes
    }


def _content(*media: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answer documented in each media type a route can give."""
    return {200: {"content": {m: {"schema": {}} for m in media}}}


EVERY_ROUTE = _answers(400, 413)  # any request: bad input, or a body over the limit
PROTECTED = _answers(401, 403)
SEQ_MAX = 2**63 - 1  # the largest sequence number the databases store


class PublicRecords(BaseModel):
    """What the public quality record shows without a token (IML4E self-assessment): the
    models listed, and of them the sections listed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: frozenset[str] = frozenset()
    sections: frozenset[Literal["model_card", "certificates", "gates"]] = frozenset(
        {"model_card", "certificates", "gates"}
    )

    @classmethod
    def from_env(cls) -> "PublicRecords":
        models = AUDIT_PUBLIC_MODELS.get("")
        sections = AUDIT_PUBLIC_SECTIONS.get()
        try:
            return cls.model_validate(
                {
                    "models": frozenset(m.strip() for m in models.split(",") if m.strip()),
                    **({"sections": frozenset(x.strip() for x in sections.split(",") if x.strip())}
                       if sections else {}),
                }
            )  # fmt: skip
        except ValueError as error:
            raise BadInputError(
                f"{AUDIT_PUBLIC_SECTIONS.name}: {sections!r}; allowed: model_card, certificates, gates "
                f"({error.__class__.__name__})"
            ) from None


class BodyLimit:
    """ASGI middleware: refuse bodies over the limit (413) before anything parses them."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = declared is not None and (not declared.isdigit() or int(declared) > self.limit)
        chunks, size, more = [], 0, True
        while more and not too_big:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            too_big = size > self.limit
        if too_big:
            response = JSONResponse(
                {"detail": f"body larger than {self.limit} bytes"}, status_code=413
            )
            await response(scope, receive, send)
            return
        body, replayed = b"".join(chunks), False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def create_app(  # noqa: PLR0915 - one nested function per route, closing over the log
    log: EvidenceLog,
    tokens: dict[str, frozenset[Role]],
    max_body: int = MAX_BODY_BYTES,
    certification_key: Ed25519PrivateKey | None = None,
    public: PublicRecords | None = None,
) -> FastAPI:
    """The Audit API over one open log; `certification_key`: the certification body's own key
    (issue and revoke answer 400 without it); `public`: what the public quality record shows."""
    public = public or PublicRecords()
    certifier = Certifier(log, certification_key)
    if log.signing_key is not None:
        certifier.sweep()
    app = FastAPI(
        title="mlops Audit API",
        version="1",
        description="Continuous audit (IML4E 4.4): append-only, hash-chained evidence; "
        "gate verdicts; reports; quality records; signed certificates.",
        responses=EVERY_ROUTE,
    )
    app.add_middleware(BodyLimit, limit=max_body)

    def require(*allowed: Role) -> Callable[..., Awaitable[frozenset[Role]]]:
        async def check(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> frozenset[Role]:
            roles = tokens.get(token_digest(credentials.credentials)) if credentials else None
            if roles is None:
                raise HTTPException(
                    401, "missing or unknown bearer token", {"WWW-Authenticate": "Bearer"}
                )
            if not roles.intersection(allowed):
                raise HTTPException(403, f"needs role {' or '.join(r.value for r in allowed)}")
            return roles

        return check

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> Response:
        """FastAPI's 422 body, with non-ASCII escaped: the default echoes the input as UTF-8,
        and a lone surrogate in it made the answer itself fail (a 500)."""
        body = json.dumps({"detail": jsonable_encoder(error.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(BadInputError)
    async def bad_input(_: Request, error: BadInputError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    @app.exception_handler(CheckFailedError)
    async def check_failed(_: Request, error: CheckFailedError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/public-key", tags=["service"])
    def public_key() -> dict[str, str | None]:
        """The key checkpoints and certificates are signed with, for offline verification."""
        key = log.public_key
        return {
            "log_id": log.log_id,
            "key_id": keys.key_id(key) if key else None,
            "pem": keys.public_pem(key) if key else None,
        }

    def _append(
        items: list[EntryIn], roles: frozenset[Role], idempotency_key: str | None
    ) -> list[Entry]:
        """Append atomically with the revocations the entries cause: any error answer means
        nothing was written; a retry with the same Idempotency-Key returns the first answer."""
        for item in items:
            needed = Role.AUDITOR if item.kind == "verdict" else Role.AUDITEE
            if needed not in roles:
                raise HTTPException(403, f"kind {item.kind} needs role {needed.value}")
        return log.append_many(
            [
                NewEntry(i.subject, i.name, i.value, i.unit, i.source, i.artifacts, i.kind)
                for i in items
            ],
            idempotency_key,
            certifier.follow_up,
        )

    writers = require(Role.AUDITEE, Role.AUDITOR)

    @app.post("/v1/entries", status_code=201, tags=["evidence"],
              responses={**PROTECTED, **_answers(409)})  # fmt: skip
    def append(
        body: EntryIn,
        roles: Annotated[frozenset[Role], Depends(writers)],
        idempotency_key: IdempotencyKey = None,
    ) -> Entry:
        """Append one entry (auditee; `verdict` entries: auditor). Returns it once durable."""
        return _append([body], roles, idempotency_key)[0]

    @app.post("/v1/entries/batch", status_code=201, tags=["evidence"], response_model=dict[str, list[Entry]],
              responses={**PROTECTED, **_answers(409)})  # fmt: skip
    def append_batch(
        body: BatchIn,
        roles: Annotated[frozenset[Role], Depends(writers)],
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Append up to 1000 entries in order, atomically."""
        entries = _append(body.entries, roles, idempotency_key)
        # Serialised in one step by pydantic, not validated again and encoded field by field:
        # a batch answer is most of the work of a batch request.
        return Response(
            b'{"entries":' + _ENTRIES.dump_json(entries) + b"}", 201, media_type="application/json"
        )

    def _filters(
        model: str | None = None,
        version: str | None = None,
        environment: str | None = None,
        run: str | None = None,
        commit: str | None = None,
    ) -> Subject:
        return Subject(
            model=model, version=version, environment=environment, run=run, commit=commit
        )

    readers = Depends(require(*READERS))

    @app.get("/v1/entries", tags=["documentation"], dependencies=[readers], responses=PROTECTED)
    def query(
        subject: Annotated[Subject, Depends(_filters)],
        name: str | None = None,
        kind: Kind | None = None,
        since: str | None = None,
        until: str | None = None,
        after: Annotated[int, Query(ge=0, le=SEQ_MAX)] = 0,
        limit: Annotated[int, Query(ge=1, le=10_000)] = PAGE,
    ) -> dict[str, Any]:
        """Entries matching every filter, oldest first; page with `after` = `next_after`."""
        rows = log.query(subject, name, since, until, kind=kind, after_seq=after, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return {"entries": rows, "next_after": rows[-1].seq if more else None}

    @app.get("/v1/export", tags=["documentation"], dependencies=[readers],
             responses={**PROTECTED, **_content("application/json", "text/csv")})  # fmt: skip
    def export(
        subject: Annotated[Subject, Depends(_filters)],
        format: Literal["json", "csv"] = "json",
        name: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> PlainTextResponse:
        """A documentation excerpt as JSON (with the covering checkpoint) or CSV."""
        rows = log.query(subject, name, since, until)
        if format == "csv":
            return PlainTextResponse(to_csv(rows), media_type="text/csv")
        return PlainTextResponse(
            to_json(rows, log.latest_checkpoint(), log.log_id), media_type="application/json"
        )

    @app.get("/v1/verify", tags=["documentation"], dependencies=[readers], responses=PROTECTED)
    def verify() -> dict[str, Any]:
        """Recompute the chain; `ok` false names the first bad entry."""
        return log.verify(public_key=log.public_key).as_dict()

    @app.get("/v1/checkpoint", tags=["documentation"], responses=_answers(404))
    def checkpoint() -> dict[str, Any]:
        """The newest signed checkpoint (public): witnessed in the repository with every promotion,
        and kept by auditors as an anchor for later verification."""
        latest = log.latest_checkpoint()
        if latest is None:
            raise HTTPException(404, "no checkpoint yet")
        return latest.model_dump()

    @app.get("/v1/report", response_class=HTMLResponse, tags=["reporting"], dependencies=[readers],
             responses=PROTECTED)  # fmt: skip
    def report(subject: Annotated[Subject, Depends(_filters)]) -> HTMLResponse:
        """Self-contained HTML report with charts of key figures over time."""
        rows = log.query(subject)
        verification = log.verify(public_key=log.public_key)
        return HTMLResponse(
            render_html(rows, verification, certifier.registry(subject.model, subject.version))
        )

    @app.get("/v1/quality-record", tags=["self-assessment"], dependencies=[readers],
             responses={**PROTECTED, **_content("application/json", "text/markdown")})  # fmt: skip
    def record(
        model: str,
        version: str,
        format: Literal["json", "markdown"] = "json",
    ) -> Any:
        """The public quality record (model card) of a model version, from evidence only."""
        data = quality_record(
            model, version, log.query(Subject(model=model, version=version)),
            certifier.registry(model, version), log.latest_checkpoint(),
        )  # fmt: skip
        if format == "markdown":
            return PlainTextResponse(model_card_markdown(data), media_type="text/markdown")
        return data

    @app.get("/v1/public/quality-record", tags=["self-assessment"], responses=_answers(404))
    def public_record(
        model: Annotated[str, Query(max_length=256)], version: Annotated[str, Query(max_length=256)]
    ) -> dict[str, Any]:
        """The public quality record (no token): of the models the service makes public, the
        sections it makes public (model card, certificate status, gate verdicts), each figure
        citing its entry and the covering checkpoint."""
        if model not in public.models:
            raise HTTPException(404, f"model {model!r} has no public quality record")
        data = quality_record(
            model, version, log.query(Subject(model=model, version=version)),
            certifier.registry(model, version), log.latest_checkpoint(),
        )  # fmt: skip
        shown = {k: data[k] for k in ("model", "version", "generated_at", "checkpoint")}
        if "gates" in public.sections:
            shown["gates"] = data["gates"]
        if "certificates" in public.sections:
            shown["certificates"] = data["certificates"]
        if "model_card" in public.sections:
            shown["measurements"] = data["measurements"]
            shown["model_card"] = model_card_markdown(data)
        return shown

    @app.get("/v1/certificates", tags=["certification"])
    def certificates(model: str | None = None, version: str | None = None) -> list[dict[str, Any]]:
        """The public registry: every certificate with its status (active / revoked)."""
        return [row.as_dict() for row in certifier.registry(model, version)]

    issuers = Depends(require(Role.CERTIFICATION_BODY))

    @app.post("/v1/certificates", status_code=201, tags=["certification"], dependencies=[issuers],
              responses={**PROTECTED, **_answers(409)})  # fmt: skip
    def issue(body: IssueIn) -> dict[str, Any]:
        """Issue when every gate of the scope passed for the version (409 otherwise)."""
        return certifier.issue(
            body.model, body.version, body.scope, body.gates, body.valid_days, body.retest_days
        ).model_dump(mode="json")

    @app.post(
        "/v1/certificates/{certificate_id}/revoke", tags=["certification"], dependencies=[issuers],
        responses={**PROTECTED, **_answers(409)},
    )  # fmt: skip
    def revoke(certificate_id: str, body: RevokeIn) -> dict[str, Any]:
        return certifier.revoke(certificate_id, body.reason).model_dump(mode="json")

    return app
