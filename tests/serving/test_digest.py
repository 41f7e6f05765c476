"""The one artifact digest everybody computes (predictor, promotion, pipelines)."""

import hashlib

import pytest

from mlops.errors import BadInputError
from mlops.serving.digest import artifact_digest, artifact_listing, normalize_digest


def _tree(root):
    (root / "sub").mkdir(parents=True)
    (root / "MLmodel").write_text("flavors: {}\n")
    (root / "sub" / "model.pkl").write_bytes(b"\x00\x01weights")
    return root


def test_digest_is_sha256_over_the_sorted_sha256sum_listing(tmp_path):
    root = _tree(tmp_path / "m")
    expected_listing = (
        f"{hashlib.sha256(b'flavors: {}' + bytes([10])).hexdigest()}  MLmodel\n"
        f"{hashlib.sha256(bytes([0, 1]) + b'weights').hexdigest()}  sub/model.pkl\n"
    )
    assert artifact_listing(root) == expected_listing
    assert (
        artifact_digest(root) == "sha256:" + hashlib.sha256(expected_listing.encode()).hexdigest()
    )


def test_digest_changes_with_content_and_names_not_with_location(tmp_path):
    first = artifact_digest(_tree(tmp_path / "a"))
    assert artifact_digest(_tree(tmp_path / "b")) == first
    (tmp_path / "b" / "sub" / "model.pkl").write_bytes(b"tampered")
    assert artifact_digest(tmp_path / "b") != first
    (tmp_path / "a" / "sub" / "model.pkl").rename(tmp_path / "a" / "sub" / "other.pkl")
    assert artifact_digest(tmp_path / "a") != first


def test_symlinks_and_missing_paths_are_refused(tmp_path):
    root = _tree(tmp_path / "m")
    (root / "link").symlink_to(root / "MLmodel")
    with pytest.raises(BadInputError, match="symbolic links"):
        artifact_digest(root)
    with pytest.raises(BadInputError, match="no such model artifact"):
        artifact_digest(tmp_path / "missing")


def test_single_file_artifact_lists_its_name(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"onnx")
    assert artifact_listing(path) == f"{hashlib.sha256(b'onnx').hexdigest()}  model.onnx\n"


def test_normalize_accepts_bare_hex_from_the_environment():
    assert normalize_digest("AB" * 32) == "sha256:" + "ab" * 32
    with pytest.raises(BadInputError, match="not a sha256 digest"):
        normalize_digest("sha256:xyz")
