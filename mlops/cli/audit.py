"""`mlops audit`: the governance service and its five stages from the command line.

`--audit` (else $MLOPS_AUDIT) takes a file path (SQLite), `sqlite:///PATH` or
`postgresql://...`. `--subject` is written `model=credit-risk,version=3` (keys: model,
version, environment, run, commit). The signing key is `--key`, else
$MLOPS_AUDIT_SIGNING_KEY_FILE, else `<db file>.key.pem` beside a SQLite log (created on first use).
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from mlops.cli.console import err, out, print_json
from mlops.cli.options import AuditOpt
from mlops.config.environment import (
    AUDIT,
    AUDIT_CERTIFICATION_KEY_FILE,
    AUDIT_SIGNING_KEY_FILE,
    AUDIT_TOKENS_FILE,
)
from mlops.errors import BadInputError, CheckFailedError
from mlops.files import check_writable, write_output
from mlops.governance.auth import load_tokens, token_digest
from mlops.governance.db import DbUrl
from mlops.governance.kinds import Kind
from mlops.inputs import load_json
from mlops.sockets import listen

if TYPE_CHECKING:  # the log and its models load pydantic and cryptography: only when used
    from mlops.governance.entry import Subject
    from mlops.governance.log import EvidenceLog

app = typer.Typer(
    help="Continuous audit: append-only evidence log, Audit API, reports, quality records, certificates.",
    no_args_is_help=True,
)
certificate_app = typer.Typer(
    help="Certificates: issue, revoke, list, verify offline.", no_args_is_help=True
)
app.add_typer(certificate_app, name="certificate")

KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key",
        envvar=AUDIT_SIGNING_KEY_FILE.name,
        help="Ed25519 PEM private key (default: <db>.key.pem beside a SQLite log)",
    ),
]
CertKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--certification-key",
        envvar=AUDIT_CERTIFICATION_KEY_FILE.name,
        help="The certification body's own Ed25519 PEM key; never the log's key.",
    ),
]
SubjectOpt = Annotated[
    str | None, typer.Option("--subject", help="e.g. model=credit-risk,version=3")
]
RepoOpt = Annotated[
    Path | None,
    typer.Option(
        help="Repository with audit/config.yaml and witnessed checkpoints (default: the one "
        "around the current directory)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
SQLITE_HEADER = b"SQLite format 3\x00"
OPENAPI_PATH = Path(__file__).resolve().parents[1] / "governance" / "openapi.json"


def _url(db: str | None) -> str:
    """The log's URL; an existing file that is not a SQLite database is refused here, before a
    signing key is created beside it."""
    from mlops.governance.db import DbUrl

    url = db
    if not url:
        raise BadInputError(
            f"--audit: not given and {AUDIT.name} not set; allowed: a path or database URL"
        )
    path = DbUrl.parse(url).path
    if path is not None and path.exists():
        if not path.is_file():
            raise BadInputError(f"{path}: not a file; allowed: a SQLite evidence log")
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise BadInputError(f"{path}: not a SQLite database; allowed: a SQLite evidence log")
    return url


def _open(db: str | None, key: Path | None = None, wal_thread: bool = False) -> EvidenceLog:
    from mlops.governance.log import EvidenceLog

    return EvidenceLog.open(_url(db), key, wal_thread=wal_thread)


def _log(url: str) -> EvidenceLog:
    """An existing log opened read-only (no signing key needed, nothing can be written)."""
    from mlops.governance.log import EvidenceLog

    return EvidenceLog(url, read_only=True)


def _subject(text: str | None) -> Subject:
    from mlops.governance.entry import Subject

    return Subject.parse(text) if text else Subject()


def _model_version(text: str | None) -> tuple[str, str]:
    subject = _subject(text)
    if not subject.model or not subject.version:
        raise BadInputError("--subject: needs model and version, e.g. model=credit-risk,version=3")
    return subject.model, subject.version


def _emit(text: str, dest: Path | None) -> None:
    """To stdout, or to `dest` readable by its owner only (it carries evidence)."""
    if dest is None:
        sys.stdout.write(text)
        return
    write_output(dest, text)
    err.print(f"wrote {escape(str(dest))}")


def _finish(ok: bool) -> None:
    """Exit 1 when a check failed (the report is already printed)."""
    if not ok:
        raise typer.Exit(1)


def _value(text: str) -> Any:
    """JSON when it parses (0.91, true, {"a": 1}), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _collect_for_a_server() -> None:
    """Garbage collection for a long-lived server, where each pause lands in some request's
    latency. What startup made (~70,000 objects: modules, FastAPI's routes, pydantic's
    schemas) lives as long as the process: frozen, no full collection walks it again (40-60 ms
    each). Young collections come back to Python's default, every 700 allocations (under a
    millisecond each), from the 50,000 that `tune_gc` sets for short commands: at 50,000 one
    took 70-100 ms under load."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(700, 10, 10)


@app.command()
def serve(
    db: AuditOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    tokens: Annotated[
        Path | None,
        typer.Option(envvar=AUDIT_TOKENS_FILE.name, help="Tokens file (sha256 hex -> roles)."),
    ] = None,
    key: KeyOpt = None,
    certification_key: CertKeyOpt = None,
) -> None:
    """Run the Audit API (OpenAPI at /openapi.json, health at /healthz)."""
    import uvicorn

    from mlops.governance.api import create_app

    token_map = load_tokens(tokens) if tokens else {}
    if not token_map:
        err.print("warning: no tokens configured; every protected route will answer 401")
    from mlops.governance import keys

    url = _url(db)
    body = keys.certification_key(certification_key)
    sock = listen(host, port)  # before the database or a key is created
    try:
        log = _open(url, key, wal_thread=True)  # no request waits for a WAL checkpoint
        config = uvicorn.Config(
            create_app(log, token_map, certification_key=body), log_level="info"
        )
        _collect_for_a_server()
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


@app.command()
def append(
    name: Annotated[str, typer.Option("--name", help="Measurement name, e.g. accuracy.")],
    value: Annotated[str, typer.Option("--value", help="JSON value (0.91, true, {...}) or text.")],
    db: AuditOpt = None,
    subject: SubjectOpt = None,
    unit: Annotated[str | None, typer.Option(help="Unit, e.g. ratio, ms.")] = None,
    source: Annotated[str, typer.Option(help="Producing tool.")] = "cli",
    kind: Annotated[
        Kind, typer.Option(help="measurement, verdict, oversight or document.")
    ] = "measurement",
    artifact: Annotated[list[str] | None, typer.Option(help="NAME=ALGO:HEX, repeatable.")] = None,
    key: KeyOpt = None,
) -> None:
    """Append one entry and print it as JSON once it is durable."""
    if kind == "certificate":
        raise BadInputError("--kind: certificate entries are written by `mlops audit certificate`")
    artifacts = {}
    for item in artifact or []:
        label, sep, digest = item.partition("=")
        if not sep:
            raise BadInputError(f"--artifact: {item!r} is not NAME=ALGO:HEX")
        artifacts[label] = digest
    from mlops.governance.client import EmbeddedAuditClient

    chosen = _subject(subject)
    client = EmbeddedAuditClient(_url(db), key)
    try:
        entry = client.append(chosen, name, _value(value), unit, source, artifacts, kind=kind)
    finally:
        client.close()
    print_json(entry.model_dump(mode="json"))


@app.command()
def verify(
    db: AuditOpt = None,
    json_output: JsonOpt = False,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            help="Trusted public key PEM of the log; repeatable (adds to the repository's)."
        ),
    ] = None,
    anchor: Annotated[
        list[Path] | None, typer.Option(help="A checkpoint JSON kept earlier; repeatable.")
    ] = None,
    repo: RepoOpt = None,
    incremental: Annotated[
        bool, typer.Option(help="Verify only what was appended after the newest valid anchor.")
    ] = False,
    all_signatures: Annotated[
        bool, typer.Option(help="Check every checkpoint's signature.")
    ] = False,
) -> None:
    """Verify the log read-only against trusted keys and anchors: exit 0 intact, 1 not (naming
    the entry). Keys: --public-key and audit/config.yaml; anchors: --anchor and every checkpoint
    witnessed in the repository's history. Keys the log declares are never trusted."""
    from mlops.governance import keys
    from mlops.governance.auditor import verify_against_repository
    from mlops.governance.checkpoint import Checkpoint

    root, config = _repository(repo)
    extra = {}
    for path in public_key or []:
        key = keys.load_public_key(path)
        extra[keys.key_id(key)] = key
    anchors = []
    for path in anchor or []:
        try:
            anchors.append(Checkpoint.model_validate(load_json(path)))
        except ValueError as error:
            raise BadInputError(f"{path}: not a checkpoint JSON: {error}") from None
    result = verify_against_repository(
        _verify_url(db, config), root, config, extra, anchors, all_signatures, incremental
    )
    if json_output:
        print_json(result.as_dict())
    elif result.ok:
        out.print(f"intact: {result.entries} entries, head {result.head_seq} {result.head_hash}, "
                  f"{result.checkpoints} checkpoints, {result.anchors} anchors")  # fmt: skip
        for warning in result.warnings:
            err.print(f"warning: {escape(warning)}")
    else:
        err.print(f"[bold red]tampered:[/] first bad entry {result.first_bad_seq}")
        for problem in result.problems:
            err.print(f"  {escape(problem.message)}")
    _finish(result.ok)


def _repository(repo: Path | None) -> tuple[Path | None, Any]:
    """The repository (given, or around the current directory) and its audit configuration."""
    from mlops.governance.trust import load_config, repository

    root = repository(repo or Path.cwd())
    if repo is not None and root is None:
        raise BadInputError(f"--repo: {repo} is not inside a Git repository")
    return root, load_config(root)


def _verify_url(db: str | None, config: Any) -> str:
    """--audit (or $MLOPS_AUDIT), else the one log in audit/config.yaml that names a url."""
    if db:
        return _open_url(db)
    located = [entry.url for entry in config.logs if entry.url]
    if len(located) == 1:
        return _open_url(located[0])
    raise BadInputError(
        f"--audit: not given, {AUDIT.name} not set, and audit/config.yaml names "
        f"{len(located)} log urls; allowed: a path or database URL"
    )


def _open_url(db: str | None) -> str:
    """The URL of a log that must already exist (readers never create an empty one)."""
    url = _url(db)
    path = DbUrl.parse(url).path  # a SQLite file, as a path or a sqlite:/// URL
    if path is not None and not path.is_file():
        raise BadInputError(f"{url}: no such log file")
    return url


@app.command()
def export(
    db: AuditOpt = None,
    subject: SubjectOpt = None,
    name: Annotated[str | None, typer.Option(help="Only this measurement.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601, inclusive.")] = None,
    format: Annotated[str, typer.Option(help="json or csv.")] = "json",
    output: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
) -> None:
    """Documentation: evidence by subject and time as JSON (with checkpoint) or CSV."""
    from mlops.governance.documentation import to_csv, to_json

    if format not in ("json", "csv"):
        raise BadInputError(f"--format: {format!r}; allowed: json, csv")
    if output is not None:
        check_writable(output, "export")
    with _log(_open_url(db)) as log:
        rows = log.query(_subject(subject), name, since, until)
        text = (
            to_csv(rows) if format == "csv" else to_json(rows, log.latest_checkpoint(), log.log_id)
        )
    _emit(text, output)


@app.command()
def report(
    output: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    db: AuditOpt = None,
    subject: SubjectOpt = None,
    repo: RepoOpt = None,
) -> None:
    """Reporting: releases with lineage and gate verdicts, certificates, chain and anchor status
    (verified as `verify` does), then charts of measurements with a history."""
    from mlops.governance.auditor import verify_against_repository
    from mlops.governance.certificates import Certifier
    from mlops.governance.reporting import render_html

    chosen = _subject(subject)
    check_writable(output, "report")
    root, config = _repository(repo)
    url = _verify_url(db, config)
    verification = verify_against_repository(url, root, config)
    with _log(url) as log:
        html = render_html(
            log.query(chosen), verification, Certifier(log).registry(chosen.model, chosen.version)
        )
    _emit(html, output)


@app.command("model-card")
def model_card(
    subject: SubjectOpt = None,
    db: AuditOpt = None,
    format: Annotated[str, typer.Option(help="markdown or json.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
) -> None:
    """Self-assessment: the public quality record of a model version, from evidence only."""
    from mlops.governance.certificates import Certifier
    from mlops.governance.entry import Subject
    from mlops.governance.selfassessment import model_card_markdown, quality_record

    if format not in ("markdown", "json"):
        raise BadInputError(f"--format: {format!r}; allowed: markdown, json")
    model, version = _model_version(subject)
    with _log(_open_url(db)) as log:
        record = quality_record(
            model, version, log.query(Subject(model=model, version=version)),
            Certifier(log).registry(model, version), log.latest_checkpoint(),
        )  # fmt: skip
    _emit(
        model_card_markdown(record)
        if format == "markdown"
        else json.dumps(record, indent=2) + "\n",
        output,
    )


@app.command()
def gate(
    gate_name: Annotated[str, typer.Option("--gate", help="Gate name, e.g. int-to-prod.")],
    require: Annotated[
        list[str], typer.Option(help="MEASUREMENT OP VALUE, e.g. 'accuracy>=0.85'; repeatable.")
    ],
    subject: SubjectOpt = None,
    db: AuditOpt = None,
    key: KeyOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Quality control: evaluate requirements on the newest evidence and record the verdict."""
    import re

    from mlops.governance.client import EmbeddedAuditClient
    from mlops.governance.quality import as_op, evaluate, record_verdict

    pattern = re.compile(r"^\s*([A-Za-z0-9_.:/@+-]+)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$")
    requirements = []
    for text in require:
        match = pattern.match(text)
        op = as_op(match[2]) if match else None
        if match is None or op is None:
            raise BadInputError(
                f"--require: {text!r}; allowed: MEASUREMENT OP VALUE with OP in >= > <= < == !="
            )
        requirements.append((match[1], op, _value(match[3])))
    chosen = _subject(subject)
    client = EmbeddedAuditClient(_open_url(db), key)
    try:
        verdict, used = evaluate(gate_name, requirements, client.query(chosen))
        entry = record_verdict(client, chosen, verdict, used, source="mlops audit gate")
    finally:
        client.close()
    if json_output:
        print_json(entry.model_dump(mode="json"))
    else:
        for rule in verdict.rules:
            mark = "pass" if rule.passed else "FAIL"
            out.print(f"{mark}: {rule.measurement} {rule.op} {rule.required!r} "
                      f"(actual {rule.actual!r}, entry {rule.evidence_seq})")  # fmt: skip
        out.print(
            f"gate {gate_name}: {'passed' if verdict.passed else 'failed'} (entry {entry.seq})"
        )
    _finish(verdict.passed)


@app.command()
def checkpoint(
    db: AuditOpt = None,
    output: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
) -> None:
    """Print the newest signed checkpoint: keep it as an anchor for `verify --anchor`."""
    with _log(_open_url(db)) as log:
        latest = log.latest_checkpoint()
    if latest is None:
        raise CheckFailedError("no signed checkpoint in this log yet")
    _emit(latest.model_dump_json(indent=2) + "\n", output)


@app.command()
def witness(
    audit_url: AuditOpt = None,
    repo: Annotated[Path, typer.Option(help="Repository to record the checkpoint in.")] = Path(),
) -> None:
    """Record the log's newest signed checkpoint in the repository and commit it (run on a
    schedule: Git history becomes a replicated anchor that `mlops audit verify` checks)."""
    from mlops.governance.client import HttpAuditClient
    from mlops.governance.trust import repository
    from mlops.governance.witness import witness_commit

    if not audit_url:
        raise BadInputError(f"--audit: not given and {AUDIT.name} not set")
    root = repository(repo)
    if root is None:
        raise BadInputError(f"--repo: {repo} is not inside a Git repository")
    if audit_url.startswith(("http://", "https://")):
        client = HttpAuditClient(audit_url)
        try:
            path, commit = witness_commit(root, client.checkpoint)
        finally:
            client.close()
    else:  # a database: read it, never write it
        with _log(_open_url(audit_url)) as log:
            path, commit = witness_commit(root, log.latest_checkpoint)
    out.print(f"witnessed {escape(path)} in {commit[:12]}")


@app.command()
def bundle(
    output: Annotated[Path, typer.Option("--out", help="Directory, or a path ending in .zip.")],
    subject: SubjectOpt = None,
    db: AuditOpt = None,
    key: KeyOpt = None,
) -> None:
    """Export bundle for a regulator: documentation, evidence, oversight, certificates, chain proof."""
    from mlops.governance.bundle import build_bundle, write_bundle
    from mlops.governance.certificates import Certifier

    model, version = _model_version(subject)
    check_writable(output, "bundle")
    with _open(_open_url(db), key) as log:
        files = build_bundle(log, Certifier(log), model, version)
    try:
        written = write_bundle(files, output)
    except OSError as error:
        raise BadInputError(f"{output}: cannot write the bundle: {error}") from None
    out.print(f"wrote {escape(str(written))} ({len(files)} files)")


@app.command("bundle-verify")
def bundle_verify(
    path: Annotated[Path, typer.Argument(help="Bundle directory or zip.")],
    public_key: Annotated[
        Path | None, typer.Option(help="Trusted public key PEM (default: the bundled one).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Check a bundle offline: manifest signature, file digests, entries against the chain proof."""
    from mlops.governance import keys
    from mlops.governance.bundle import verify_bundle

    problems = verify_bundle(path, keys.load_public_key(public_key) if public_key else None)
    if json_output:
        print_json({"ok": not problems, "problems": problems})
    elif problems:
        for problem in problems:
            err.print(f"[bold red]problem:[/] {escape(problem)}")
    else:
        out.print(f"intact: {escape(str(path))}")
    _finish(not problems)


@app.command()
def keygen(
    out_path: Annotated[Path, typer.Option("--out", help="New PEM private key file (mode 0600).")],
) -> None:
    """Create an Ed25519 signing key; prints its public key PEM."""
    from mlops.governance import keys

    if out_path.exists():
        raise BadInputError(f"{out_path}: already exists; allowed: a new path")
    check_writable(out_path, "key")
    try:
        key = keys.write_private_key(out_path)
    except OSError as error:
        raise BadInputError(f"{out_path}: cannot write the key: {error.strerror}") from None
    out.print(keys.public_pem(key.public_key()).rstrip())


@app.command("token-digest")
def token_digest_command() -> None:
    """Read a token on stdin and print the SHA-256 digest the tokens file stores."""
    token = sys.stdin.readline().strip()
    if not token:
        raise BadInputError("stdin: empty; allowed: one token on one line")
    out.print(token_digest(token))


@app.command()
def openapi(
    check: Annotated[bool, typer.Option(help="Exit 1 when the committed file is stale.")] = False,
) -> None:
    """Write (or check) mlops/governance/openapi.json from the API definition."""
    from mlops.governance.openapi import render_openapi

    text = render_openapi()
    if check:
        current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
        if current != text:
            err.print(f"{OPENAPI_PATH}: stale; run `mlops audit openapi`")
            raise typer.Exit(1)
        out.print(f"{OPENAPI_PATH}: current")
        return
    OPENAPI_PATH.write_text(text, encoding="utf-8")
    out.print(f"wrote {OPENAPI_PATH}")


@certificate_app.command("issue")
def certificate_issue(
    scope: Annotated[str, typer.Option(help="Scope name, e.g. eu-ai-act-high-risk.")],
    gate_names: Annotated[list[str], typer.Option("--gate", help="Gate in scope; repeatable.")],
    subject: SubjectOpt = None,
    db: AuditOpt = None,
    key: KeyOpt = None,
    certification_key: CertKeyOpt = None,
    valid_days: Annotated[int, typer.Option(help="Validity in days.")] = 365,
    retest_days: Annotated[
        int,
        typer.Option(help="Re-test interval: a passing verdict of its gates at least this often."),
    ] = 30,
    output: Annotated[
        Path | None, typer.Option("--out", help="Write the certificate JSON here too.")
    ] = None,
) -> None:
    """Issue when the newest verdict of every gate in scope passed (exit 1 otherwise)."""
    from mlops.governance import keys
    from mlops.governance.certificates import Certifier

    model, version = _model_version(subject)
    if output:
        check_writable(output, "certificate")
    body = keys.certification_key(certification_key)
    with _open(_open_url(db), key) as log:
        cert = Certifier(log, body).issue(
            model, version, scope, gate_names, valid_days, retest_days
        )
    text = cert.model_dump_json(indent=2) + "\n"
    if output:
        _emit(text, output)
    sys.stdout.write(text)


@certificate_app.command("revoke")
def certificate_revoke(
    certificate_id: Annotated[str, typer.Option("--id", help="Certificate id.")],
    reason: Annotated[str, typer.Option(help="Why it is revoked.")],
    db: AuditOpt = None,
    key: KeyOpt = None,
    certification_key: CertKeyOpt = None,
) -> None:
    """Revoke a certificate (signed revocation, recorded in the chain)."""
    from mlops.governance import keys
    from mlops.governance.certificates import Certifier

    body = keys.certification_key(certification_key)
    with _open(_open_url(db), key) as log:
        revocation = Certifier(log, body).revoke(certificate_id, reason)
    print_json(revocation.model_dump(mode="json"))


@certificate_app.command("list")
def certificate_list(
    db: AuditOpt = None, subject: SubjectOpt = None, json_output: JsonOpt = False
) -> None:
    """The registry: every certificate and its status."""
    from mlops.governance.certificates import Certifier

    chosen = _subject(subject)
    with _log(_open_url(db)) as log:
        rows = Certifier(log).registry(chosen.model, chosen.version)
    if json_output:
        print_json([r.as_dict() for r in rows])
        return
    for r in rows:
        c = r.certificate
        out.print(f"{c.id}  {escape(c.model)} {escape(c.version)}  {escape(c.scope)}  {r.status}")


@certificate_app.command("verify")
def certificate_verify(
    path: Annotated[Path, typer.Argument(help="Certificate JSON file.")],
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            help="Public key PEM of the certification body; repeatable (default: the "
            "certification_body keys of the repository's audit/config.yaml)."
        ),
    ] = None,
    db: AuditOpt = None,
) -> None:
    """Offline: signature, content and expiry (exit 1 when invalid or expired; with --audit also
    when revoked or due for re-test)."""
    from mlops.governance import keys
    from mlops.governance.certificates import Certifier, verify_certificate
    from mlops.governance.trust import load_config, repository

    document = load_json(path)
    trusted = {}
    for pem in public_key or []:
        body = keys.load_public_key(pem)
        trusted[keys.key_id(body)] = body
    if not public_key:
        trusted = load_config(repository(Path.cwd())).body_keys()
    if not trusted:
        raise BadInputError(
            "--public-key: not given and audit/config.yaml lists no certification_body keys"
        )
    cert = verify_certificate(document, trusted)
    if db:
        with _log(_open_url(db)) as log:
            status = {r.certificate.id: r for r in Certifier(log).registry()}.get(cert.id)
        if status is None or status.status != "active":
            why = (
                status.revocation.reason
                if status and status.revocation
                else (f"its status is {status.status}" if status else "not in the registry")
            )
            raise CheckFailedError(f"certificate {cert.id}: signature valid but {why}")
    out.print(
        f"valid: {cert.id} ({escape(cert.model)} {escape(cert.version)}, scope {escape(cert.scope)})"
    )
