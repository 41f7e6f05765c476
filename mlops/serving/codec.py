"""Turning V1 and Open Inference (V2) request bodies into the DataFrame an MLflow pyfunc model
takes, and predictions back into each protocol's answer.

V1 (`/v1/models/<name>:predict`): `{"instances": [...]}` with rows as objects (feature -> value)
or as lists in the model signature's column order; MLflow's `dataframe_records` and
`dataframe_split` are accepted too. The answer is `{"predictions": [...]}`.
V2 (`/v2/models/<name>/infer`): one input tensor per feature (shape `[n]` or `[n, 1]`), or a
single `[n, k]` tensor in signature column order. The answer has one output, `predict`, in JSON
or, when the request asks for it (`binary_data_output`, or `binary_data` on the requested output),
in the binary tensor extension. The model's V2 metadata comes from its MLflow signature.
"""

import json
from typing import Any

import numpy as np
import pandas as pd
from kserve import InferOutput, InferRequest, InferResponse
from kserve.errors import InferenceError, InvalidInput
from kserve.utils.numpy_codec import from_np_dtype

from mlops.serving.rows import predictions, records

__all__ = ["predictions", "records", "tensor_specs", "v1_frame", "v2_frame", "v2_response"]

OUTPUT = "predict"
# MLflow column types -> Open Inference datatypes
COLUMN_TYPES = {
    "boolean": "BOOL",
    "integer": "INT32",
    "long": "INT64",
    "float": "FP32",
    "double": "FP64",
    "string": "BYTES",
    "binary": "BYTES",
    "datetime": "BYTES",
}


def _rows_frame(rows: list[Any], columns: list[str] | None) -> pd.DataFrame:
    if not rows:
        raise InvalidInput("no instances to predict")
    if all(isinstance(row, dict) for row in rows):
        return pd.DataFrame.from_records(rows)
    if all(isinstance(row, list) for row in rows):
        width = len(rows[0])
        if any(len(row) != width for row in rows):
            raise InvalidInput("instances: every row needs the same number of values")
        if columns is not None and len(columns) != width:
            raise InvalidInput(
                f"instances: rows have {width} values; the model takes {len(columns)}"
            )
        return pd.DataFrame(rows, columns=columns)
    raise InvalidInput("instances: rows must all be objects (feature: value) or all lists")


def v1_frame(body: Any, columns: list[str] | None) -> pd.DataFrame:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            raise InvalidInput("body: not JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("body: expected a JSON object with 'instances'")
    if "instances" in body:
        rows = body["instances"]
    elif "dataframe_records" in body:
        rows = body["dataframe_records"]
    elif "dataframe_split" in body:
        split = body["dataframe_split"]
        if not isinstance(split, dict) or "data" not in split:
            raise InvalidInput("dataframe_split: expected {'columns': [...], 'data': [[...]]}")
        return pd.DataFrame(split["data"], columns=split.get("columns") or columns)
    else:
        raise InvalidInput("body: expected 'instances', 'dataframe_records' or 'dataframe_split'")
    if not isinstance(rows, list):
        raise InvalidInput("instances: expected a list of rows")
    return _rows_frame(rows, columns)


def v2_frame(request: InferRequest, columns: list[str] | None) -> pd.DataFrame:
    if not request.inputs:
        raise InvalidInput("inputs: at least one input tensor is needed")
    if len(request.inputs) == 1:
        tensor = request.inputs[0]
        if len(tensor.shape) == 2 and tensor.shape[1] > 1:
            data = tensor.as_numpy()
            return pd.DataFrame(
                data, columns=columns if columns and len(columns) == data.shape[1] else None
            )
    frames = {}
    for tensor in request.inputs:
        data = tensor.as_numpy()
        if data.ndim == 2 and data.shape[1] == 1:
            data = data[:, 0]
        if data.ndim != 1:
            raise InvalidInput(f"inputs: {tensor.name}: expected shape [n] or [n, 1] per feature")
        if data.dtype.kind in ("O", "S"):
            data = np.array([v.decode() if isinstance(v, bytes) else v for v in data], dtype=object)
        frames[tensor.name] = data
    lengths = {len(v) for v in frames.values()}
    if len(lengths) != 1:
        raise InvalidInput("inputs: every feature tensor needs the same number of rows")
    return pd.DataFrame(frames)


def v2_response(
    model: str, version: str, response_id: str, result: Any, request: InferRequest
) -> InferResponse:
    """The one `predict` output, as JSON or binary as `request` asks."""
    wanted = [output.name for output in request.request_outputs or []]
    if any(name != OUTPUT for name in wanted):
        raise InvalidInput(f"outputs: {', '.join(wanted)}; this model has one output, {OUTPUT}")
    array = (
        result.to_numpy() if isinstance(result, pd.DataFrame | pd.Series) else np.asarray(result)
    )
    if array.dtype.kind == "U":
        array = array.astype(object)
    datatype = from_np_dtype(array.dtype)
    if datatype is None:
        raise InferenceError(f"{OUTPUT}: dtype {array.dtype} has no Open Inference datatype")
    output = InferOutput(name=OUTPUT, shape=list(array.shape), datatype=datatype)
    output.set_data_from_numpy(array, binary_data=False)
    return InferResponse(
        response_id=response_id,
        model_name=model,
        model_version=version,
        infer_outputs=[output],
        use_binary_outputs=bool(request.use_binary_outputs),
        requested_outputs=request.request_outputs,
    )


def tensor_specs(schema: Any, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Open Inference metadata (name, datatype, shape) of an MLflow schema: one `[-1]` tensor
    per named column, or the schema's tensors; `names` names unnamed ones (our `predict`)."""
    if schema is None:
        return []
    specs = []
    for position, spec in enumerate(schema.inputs):
        name = spec.name or (names[position] if names and position < len(names) else "")
        if schema.is_tensor_spec():
            datatype = from_np_dtype(spec.type)
            shape = [int(size) for size in spec.shape]
        else:
            datatype = COLUMN_TYPES.get(getattr(spec.type, "name", ""), "BYTES")
            shape = [-1]
        specs.append({"name": str(name), "datatype": datatype, "shape": shape})
    return specs
