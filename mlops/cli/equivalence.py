"""`mlops equivalence`: does the predictor serving a release answer what the release's model
computes? The serving-int test the prod gate requires (`equivalence.max_abs_diff`)."""

from pathlib import Path
from typing import Annotated

import typer

from mlops.cli.console import out, print_json
from mlops.cli.options import AuditOpt, AuditTokenOpt
from mlops.errors import BadInputError, CheckFailedError

DEFAULT_MAX_ABS_DIFF = 1e-6  # the prod gate's own bound (policies/gates/serving-int-to-...)


def equivalence(
    url: Annotated[
        str, typer.Option("--url", help="The predictor's KServe V1 .../v1/models/NAME:predict.")
    ],
    release: Annotated[
        Path,
        typer.Option(
            "--release",
            help="Release descriptor gitops/envs/<env>/models/<model>.yaml: the reference model "
            "(its storage URI, verified against its digest) and the evidence subject.",
        ),
    ],
    data: Annotated[
        Path, typer.Option("--data", help="Input rows to send: .csv, .jsonl or .parquet.")
    ],
    rows: Annotated[int, typer.Option("--rows", min=1, help="Use the first N rows.")] = 200,
    max_abs_diff: Annotated[
        float, typer.Option("--max-abs-diff", min=0.0, help="Exit 1 when a value differs more.")
    ] = DEFAULT_MAX_ABS_DIFF,
    audit_url: AuditOpt = None,
    audit_token: AuditTokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Send the same rows to the predictor and to the release's own model, and report the
    largest absolute difference; record it for the release's model, version and environment."""
    from mlops.gates import evidence_names as names
    from mlops.gates.descriptor_check import read_descriptor
    from mlops.serving.artifact import load
    from mlops.serving.batch import read_table
    from mlops.serving.equivalence import compare

    if not url.startswith(("http://", "https://")):
        raise BadInputError(f"--url: '{url}' is not an http(s) URL")
    target, described = read_descriptor(Path.cwd(), release)
    frame = read_table(data).head(rows)
    if frame.empty:
        raise BadInputError(f"{data}: no rows to send")
    model = load(described.storage_uri, described.model_digest)
    found = compare(url, model, model.inputs(frame, data))
    recorded = None
    if audit_url:
        from mlops.governance.client import Subject, audit_client_from_url

        audit = audit_client_from_url(audit_url, audit_token)
        try:
            subject = Subject(
                model=target.model, version=target.version, environment=target.environment
            )
            entry = audit.append(
                subject, names.EQUIVALENCE_MAX_ABS_DIFF, found.max_abs_diff,
                source="mlops equivalence", artifacts={names.ARTIFACT_MODEL: found.model_digest},
            )  # fmt: skip
            recorded = entry.seq
        finally:
            audit.close()
    result = {
        "model": target.model,
        "version": target.version,
        "environment": target.environment,
        "rows": found.rows,
        "max_abs_diff": found.max_abs_diff,
        "model_digest": found.model_digest,
        "evidence_seq": recorded,
    }
    if as_json:
        print_json(result)
    else:
        out.print(
            f"{target.model} v{target.version} in {target.environment}: {found.rows} rows, "
            f"largest difference {found.max_abs_diff:.3g} (bound {max_abs_diff:.3g})"
        )
        if recorded is not None:
            out.print(f"recorded {names.EQUIVALENCE_MAX_ABS_DIFF} (entry {recorded})")
    if found.max_abs_diff > max_abs_diff:
        raise CheckFailedError(
            f"equivalence: the predictor differs from the release's model by "
            f"{found.max_abs_diff:.3g} > {max_abs_diff:.3g}"
        )
