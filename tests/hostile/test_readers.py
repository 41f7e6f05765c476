"""Property-based: every reader returns a value or raises BadInputError naming the file, for
any bytes, any text and any nesting; never another exception."""

from __future__ import annotations

import io
import string
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlops import inputs
from mlops.errors import BadInputError
from mlops.yamlio import MAX_DEPTH, load_yaml, parse_yaml

YAML_ALPHABET = string.ascii_letters + string.digits + " \t\n:-?[]{},&*!|>'\"#%@`.\\"


def _either(call, source: str):
    try:
        return call()
    except BadInputError as error:
        assert source in str(error) and "\n" not in str(error).strip()
        return None


@given(st.text(alphabet=YAML_ALPHABET, max_size=400))
def test_yaml_text_parses_or_is_bad_input(text):
    value = _either(lambda: parse_yaml(text, "doc.yaml"), "doc.yaml")
    if value is not None:
        inputs.check_tree(value, "doc.yaml")  # string keys, bounded depth


@given(st.binary(max_size=400))
def test_yaml_files_of_any_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("y") / "f.yaml"
    path.write_bytes(data)
    _either(lambda: load_yaml(path), str(path))


@given(st.integers(min_value=1, max_value=3000), st.sampled_from(["[", "{a: ", "- "]))
def test_yaml_depth_is_bounded(depth, opener):
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    text = opener * depth + "x" + closer * depth
    value = _either(lambda: parse_yaml(text, "deep.yaml"), "deep.yaml")
    assert (value is not None) == (depth < MAX_DEPTH)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda children: st.lists(children, max_size=3)
                    | st.dictionaries(st.text(max_size=3), children, max_size=3),
                    max_leaves=30))  # fmt: skip
def test_json_round_trip_and_text(value):
    import json

    text = json.dumps(value)
    assert _either(lambda: inputs.parse_json(text, "v.json"), "v.json") in (value, None)


@given(st.binary(max_size=400))
def test_json_and_jsonl_of_any_bytes(tmp_path_factory, data):
    directory = tmp_path_factory.mktemp("j")
    (directory / "f.json").write_bytes(data)
    (directory / "f.jsonl").write_bytes(data)
    _either(lambda: inputs.load_json(directory / "f.json"), "f.json")
    rows = _either(lambda: list(inputs.iter_jsonl(directory / "f.jsonl")), "f.jsonl")
    assert rows is None or all(isinstance(row, dict) for _, row in rows)


@given(st.binary(max_size=400) | st.text(alphabet='ab,"\n\r;1.', max_size=200).map(str.encode))
def test_csv_of_any_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("c") / "f.csv"
    path.write_bytes(data)
    _either(lambda: inputs.read_csv(path), str(path))


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@given(
    st.dictionaries(
        st.text(alphabet="ab/.\\", min_size=1, max_size=8), st.binary(max_size=50), max_size=4
    ),
    st.integers(min_value=0, max_value=400),
    st.binary(min_size=1, max_size=8),
)
def test_zip_whole_or_damaged(tmp_path_factory, members, cut, noise):
    data = _zip_bytes(members)
    damaged = data[:cut] + noise + data[cut + len(noise) :]
    directory = tmp_path_factory.mktemp("z")
    for name, blob in (("whole.zip", data), ("damaged.zip", damaged)):
        (directory / name).write_bytes(blob)
        files = _either(lambda name=name: inputs.read_zip(directory / name), name)
        if files is not None:
            assert all(".." not in Path(n).parts for n in files)


def test_readers_refuse_what_is_not_a_regular_file(tmp_path):
    for path in (Path("/dev/zero"), tmp_path, tmp_path / "missing.json"):
        with pytest.raises(BadInputError, match=str(path)):
            inputs.read_bytes(path)
