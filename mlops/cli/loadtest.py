"""`mlops loadtest`: load-test one endpoint and, on request, record the figures as the
load-test SLO evidence the promotion gates read (loadtest.p95_latency_ms, loadtest.error_rate,
loadtest.throughput_rps)."""

from pathlib import Path
from typing import Annotated

import typer

from mlops.cli.console import out, print_json
from mlops.cli.options import AuditOpt, AuditTokenOpt
from mlops.errors import BadInputError, CheckFailedError
from mlops.inputs import MAX_TABLE_BYTES, read_bytes


def _body(data: str | None) -> bytes:
    if data is None:
        return b""
    if data.startswith("@"):
        return read_bytes(Path(data[1:]), MAX_TABLE_BYTES, "request body file")
    return data.encode("utf-8")


def _headers(values: list[str]) -> tuple[tuple[str, str], ...]:
    headers = []
    for value in values:
        key, sep, item = value.partition(":")
        if not sep or not key.strip():
            raise BadInputError(f"--header: '{value}' is not NAME:VALUE")
        headers.append((key.strip().lower(), item.strip()))
    if not any(key == "content-type" for key, _ in headers):
        headers.append(("content-type", "application/json"))
    return tuple(headers)


def loadtest(
    url: Annotated[str, typer.Option("--url", help="Endpoint, e.g. .../v1/models/NAME:predict.")],
    duration: Annotated[float, typer.Option("--duration", help="Seconds to run.")] = 10.0,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Connections (workers) in parallel.")
    ] = 8,
    rps: Annotated[
        float | None,
        typer.Option("--rps", help="Target request rate (fixed schedule); default: closed loop."),
    ] = None,
    data: Annotated[
        str | None, typer.Option("--data", help="Request body, or @FILE to read it from a file.")
    ] = None,
    method: Annotated[str, typer.Option("--method", help="HTTP method.")] = "POST",
    header: Annotated[
        list[str] | None, typer.Option("--header", help="NAME:VALUE (repeat).")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 10.0,
    max_p95_ms: Annotated[
        float | None, typer.Option("--max-p95-ms", help="Exit 1 when p95 latency is above.")
    ] = None,
    max_error_rate: Annotated[
        float | None, typer.Option("--max-error-rate", help="Exit 1 when the error rate is above.")
    ] = None,
    audit_url: AuditOpt = None,
    audit_token: AuditTokenOpt = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject", help="Evidence subject, e.g. model=credit-risk,version=3,environment=int."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Load-test an HTTP endpoint: p50/p95/p99 latency, error rate and achieved throughput."""
    from mlops.serving.loadtest import LoadSpec, evidence, run_load

    if audit_url and not subject:
        raise BadInputError("--subject: required with --audit (e.g. model=NAME,version=N)")
    spec = LoadSpec(
        url=url,
        duration=duration,
        concurrency=concurrency,
        rps=rps,
        method=method.upper(),
        body=_body(data),
        headers=_headers(header or []),
        timeout=timeout,
    )
    result = run_load(spec)
    recorded = []
    if audit_url:
        from mlops.governance.client import Subject, audit_client_from_url

        audit = audit_client_from_url(audit_url, audit_token)
        try:
            parsed = Subject.parse(subject or "")
            for name, value, unit in evidence(result):
                entry = audit.append(parsed, name, value, unit=unit, source="mlops-loadtest")
                recorded.append({"name": name, "value": value, "seq": entry.seq})
        finally:
            audit.close()
    violations = []
    if result.requests == 0 or result.error_rate >= 1.0:
        violations.append(f"no request succeeded ({result.requests} sent)")
    if max_p95_ms is not None and result.p95_ms > max_p95_ms:
        violations.append(f"p95 {result.p95_ms} ms > {max_p95_ms} ms")
    if max_error_rate is not None and result.error_rate > max_error_rate:
        violations.append(f"error rate {result.error_rate} > {max_error_rate}")
    if as_json:
        print_json({**result.to_dict(), "evidence": recorded, "violations": violations})
    else:
        out.print(
            f"{result.url}: {result.requests} requests in {result.duration_s}s, "
            f"{result.throughput_rps} req/s, errors {result.error_rate:.2%}, latency ms "
            f"p50 {result.p50_ms} p95 {result.p95_ms} p99 {result.p99_ms} max {result.max_ms}"
        )
        for item in recorded:
            out.print(f"recorded {item['name']} = {item['value']} (entry {item['seq']})")
    if violations:
        raise CheckFailedError("; ".join(violations))
