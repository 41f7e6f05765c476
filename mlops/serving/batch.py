"""Batch inference (Zwiesler 2.3, the second serving scenario): score a whole dataset with the
released model and write every prediction bound to its input and model version (IML4E data
preparation level 4).

Each output row carries `row_id` (the `--id-column` value, else the 0-based row number),
`prediction`, `model_name`, `model_version`, `model_digest`, `input_file` and `input_sha256`,
so a prediction can always be traced to the exact input bytes and model artifact. Rows are
logged to the request log like online requests (type `batch`, with the same input reference).
The output appears atomically (written aside, then renamed), readable by its owner only; bad
input writes nothing: the output path is checked first, and the request log is opened only once
every row has been scored.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mlops import inputs
from mlops.errors import BadInputError
from mlops.files import check_writable
from mlops.serving import artifact
from mlops.serving.digest import file_sha256
from mlops.serving.requestlog import RequestLogger
from mlops.serving.rows import predictions, records

FORMATS = (".csv", ".jsonl", ".parquet")


@dataclass(frozen=True)
class ScoreResult:
    output: str
    rows: int
    model_name: str
    model_version: str
    model_digest: str
    input_file: str
    input_sha256: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _format(path: Path, role: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BadInputError(
            f"{path}: {role} format '{suffix}' unknown; allowed: {', '.join(FORMATS)}"
        )
    return suffix


def read_table(path: Path) -> pd.DataFrame:
    """Rows from a CSV, JSON Lines (one object per line) or Parquet file, read by the bounded
    readers of `mlops.inputs`."""
    suffix = _format(path, "input")
    if suffix == ".csv":
        return inputs.read_csv(path)
    if suffix == ".jsonl":
        return pd.DataFrame.from_records([row for _, row in inputs.iter_jsonl(path)])
    inputs.check_file(path, inputs.MAX_TABLE_BYTES, "Parquet file")
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError, ImportError) as error:
        raise BadInputError(f"{path}: cannot read parquet: {error}") from None


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    """Written aside (mkstemp: mode 0600), then renamed into place."""
    suffix = path.suffix.lower()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as error:
        raise BadInputError(f"{path}: cannot write: {error.strerror or error}") from None
    os.close(handle)
    try:
        if suffix == ".csv":
            frame.to_csv(temp, index=False)
        elif suffix == ".jsonl":
            frame.to_json(temp, orient="records", lines=True)
        else:
            frame.to_parquet(temp, index=False)
        Path(temp).replace(path)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise BadInputError(f"{path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def expand_output(template: str, moment: datetime | None = None) -> Path:
    """`{timestamp}` in the output path becomes the UTC run time (scheduled jobs keep history)."""
    stamp = (moment or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(template.replace("{timestamp}", stamp))


def _predict(loaded: artifact.LoadedModel, chunk: pd.DataFrame, path: Path, start: int) -> Any:
    """The model's answer for a chunk; rows it cannot take (a value of the wrong type, a
    missing value it does not accept) are bad input naming the file, the rows and the reason."""
    try:
        return loaded.pyfunc.predict(loaded.conform(chunk))
    except Exception as error:  # schema enforcement and the flavours raise many kinds
        reason = str(error).rsplit("Error: ", 1)[-1].strip().splitlines()[0]
        raise BadInputError(
            f"{path}: rows {start}-{start + len(chunk) - 1}: the model cannot score them: "
            f"{type(error).__name__}: {reason}"
        ) from None


def score_file(
    model_uri: str,
    input_path: Path,
    output_path: Path,
    *,
    name: str,
    version: str,
    expected_digest: str | None = None,
    id_column: str | None = None,
    request_log: Callable[[str], RequestLogger] | None = None,
    chunk_rows: int = 50_000,
) -> ScoreResult:
    """Score every row of `input_path` into `output_path` (CSV, JSONL or Parquet);
    `request_log(digest)` opens the request log once every row has been scored."""
    _format(output_path, "output")
    check_writable(output_path, "predictions")
    frame = read_table(input_path)
    if id_column is not None and id_column not in frame.columns:
        raise BadInputError(
            f"{input_path}: id column '{id_column}' not found; columns: "
            + ", ".join(map(str, frame.columns))
        )
    loaded = artifact.load(model_uri, expected_digest)
    input_sha = "sha256:" + file_sha256(input_path)
    features = frame.drop(columns=[id_column]) if id_column else frame
    features = loaded.inputs(features, input_path)
    row_ids = frame[id_column].tolist() if id_column else list(range(len(frame)))
    started = time.perf_counter()
    scored: list[tuple[int, pd.DataFrame, list[Any], float]] = []
    for start in range(0, len(features), chunk_rows):
        chunk = features.iloc[start : start + chunk_rows]
        chunk_started = time.perf_counter()
        result = predictions(_predict(loaded, chunk, input_path, start))
        per_row_ms = (time.perf_counter() - chunk_started) * 1000 / max(len(chunk), 1)
        scored.append((start, chunk, result, per_row_ms))
    outputs = [output for _, _, result, _ in scored for output in result]
    if request_log is not None:  # only once every row scored: a refused file logs nothing
        _log_rows(request_log(loaded.digest), scored, row_ids, input_path, input_sha)
    seconds = time.perf_counter() - started
    result_frame = pd.DataFrame(
        {
            "row_id": row_ids,
            "prediction": [json.dumps(o) if isinstance(o, dict | list) else o for o in outputs],
            "model_name": name,
            "model_version": version,
            "model_digest": loaded.digest,
            "input_file": str(input_path),
            "input_sha256": input_sha,
        }
    )
    _write_table(result_frame, output_path)
    return ScoreResult(
        output=str(output_path), rows=len(result_frame), model_name=name, model_version=version,
        model_digest=loaded.digest, input_file=str(input_path), input_sha256=input_sha,
        seconds=round(seconds, 3),
    )  # fmt: skip


def _log_rows(
    logger: RequestLogger,
    scored: list[tuple[int, pd.DataFrame, list[Any], float]],
    row_ids: list[Any],
    input_path: Path,
    input_sha: str,
) -> None:
    """One `batch` record per scored row, bound to the input file's digest; then closed."""
    try:
        for start, chunk, result, per_row_ms in scored:
            for offset, (row, output) in enumerate(zip(records(chunk), result, strict=True)):
                row_id = row_ids[start + offset]
                logger.log(
                    f"{input_sha[7:23]}:{row_id}",
                    record_type="batch",
                    protocol="batch",
                    inputs=[row],
                    outputs=[output],
                    latency_ms=per_row_ms,
                    extra={
                        "input_ref": {
                            "file": str(input_path),
                            "sha256": input_sha,
                            "row_id": row_id,
                        }
                    },
                )
    finally:
        logger.close()
