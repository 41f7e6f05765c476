"""`mlops score`: batch inference of one dataset with one model, predictions bound to their
input rows and the model version."""

from pathlib import Path
from typing import Annotated

import typer

from mlops.cli.console import out, print_json
from mlops.config import environment as settings


def score(
    model_uri: Annotated[str, typer.Option("--model-uri", help="MLflow model directory or URI.")],
    input_file: Annotated[
        Path, typer.Option("--input", help="Rows to score: .csv, .jsonl or .parquet.")
    ],
    output_file: Annotated[
        str,
        typer.Option(
            "--output", help="Predictions: .csv, .jsonl or .parquet; {timestamp} is replaced."
        ),
    ],
    name: Annotated[
        str | None, typer.Option("--name", envvar=settings.MODEL_NAME.name, help="Model name.")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", envvar=settings.MODEL_VERSION.name, help="Registry version."),
    ] = None,
    expected_digest: Annotated[
        str | None,
        typer.Option(
            "--expected-digest",
            envvar=settings.MODEL_SHA256.name,
            help="Refuse any other artifact.",
        ),
    ] = None,
    release: Annotated[
        Path | None,
        typer.Option("--release", help="Release descriptor: name, version, expected digest."),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Input column identifying a row.")
    ] = None,
    log_sink: Annotated[
        str | None,
        typer.Option(
            "--log-sink", envvar=settings.REQUEST_LOG.name, help="Request log (see serve)."
        ),
    ] = None,
    sample_rate: Annotated[
        float,
        typer.Option("--log-sample-rate", min=0.0, max=1.0, help="Share of rows logged, 0-1."),
    ] = 1.0,
    mask: Annotated[
        list[str] | None, typer.Option("--mask", help="Field to mask (repeat).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Score every row of --input and write --output with row_id, prediction, model name,
    version and digest, and the input file's sha256 beside each prediction."""
    from mlops.serving.batch import expand_output, score_file
    from mlops.serving.masking import Masker
    from mlops.serving.requestlog import RequestLogger
    from mlops.serving.sinks import sink_from_url

    if release is not None:
        from mlops.gitops.descriptor import load_release

        descriptor = load_release(release)
        name = name or descriptor.model
        version = version or str(descriptor.registry_version)
        expected_digest = expected_digest or descriptor.model_digest
    name, version = name or "model", version or ""

    def request_log(digest: str) -> RequestLogger:
        """Opened once every row is scored: a refused input leaves no log behind."""
        sink = sink_from_url(log_sink)
        assert sink is not None  # passed to score_file only when logging is on
        return RequestLogger(
            sink,
            model=name,
            version=version,
            digest=digest,
            sample_rate=sample_rate,
            masker=Masker(mask or []),
        )

    result = score_file(
        model_uri,
        input_file,
        expand_output(output_file),
        name=name,
        version=version,
        expected_digest=expected_digest,
        id_column=id_column,
        request_log=request_log if log_sink and log_sink != "none" else None,
    )
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(
            f"scored {result.rows} rows of {result.input_file} ({result.input_sha256}) with "
            f"{result.model_name} v{result.model_version} ({result.model_digest}) "
            f"-> {result.output} in {result.seconds}s"
        )
