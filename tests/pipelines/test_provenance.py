"""Provenance: commit from the image or from git, the environment specification and its digest."""

import hashlib
from pathlib import Path

from mlops.config.environment import CODE_COMMIT, CODE_REPOSITORY, UV_LOCK
from mlops.pipelines import provenance

ROOT = Path(__file__).resolve().parents[2]


def test_commit_from_the_image_wins(monkeypatch) -> None:
    monkeypatch.setenv(CODE_COMMIT.name, "a" * 40)
    assert provenance.code_ref(ROOT) == provenance.CodeRef("a" * 40, dirty=False, source="env")


def test_commit_from_git_or_unknown(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(CODE_COMMIT.name, raising=False)
    ref = provenance.code_ref(ROOT)
    assert ref.source == "git" and len(ref.commit) == 40
    assert provenance.code_ref(tmp_path).commit == "unknown"


def test_environment_specification(monkeypatch, tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_bytes(b"version = 1\n")
    monkeypatch.setenv(UV_LOCK.name, str(lock))
    spec = provenance.environment_spec(ROOT)
    lines = spec.requirements.splitlines()
    assert lines == sorted(lines, key=lambda line: line.split("==")[0].lower())
    assert any(line.startswith("mlflow==") for line in lines)
    assert spec.requirements_sha256 == provenance.sha256_bytes(spec.requirements.encode())
    assert spec.lock_sha256 == "sha256:" + hashlib.sha256(b"version = 1\n").hexdigest()
    monkeypatch.setenv(UV_LOCK.name, str(tmp_path / "absent.lock"))
    assert provenance.environment_spec(ROOT).lock_sha256 is None


def test_code_repository_from_env_then_git_then_default(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CODE_REPOSITORY.name, "https://git.example/fork")
    assert provenance.code_repository(ROOT, "https://default") == "https://git.example/fork"
    monkeypatch.delenv(CODE_REPOSITORY.name)
    assert provenance.code_repository(tmp_path, "https://default") == "https://default"
