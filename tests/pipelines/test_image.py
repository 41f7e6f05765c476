"""The component image honours the contract the components rely on (no Docker engine here: read
the Dockerfile)."""

import re
from pathlib import Path

from mlops.pipelines.provenance import COMMIT_ENV, LOCK_ENV
from pipelines.credit_risk.components import IMAGE
from pipelines.credit_risk.context import AUDIT_TOKEN_ENV

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "pipelines" / "Dockerfile").read_text()


def _instruction(name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", DOCKERFILE, flags=re.MULTILINE)


def test_base_images_are_pinned_and_the_project_is_installed_as_locked() -> None:
    (python_image,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, flags=re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", python_image)
    assert "ghcr.io/astral-sh/uv:0.13.9 AS uv" in _instruction("FROM")
    assert "uv sync --frozen --no-dev --no-editable" in DOCKERFILE
    (user,) = _instruction("USER")
    assert user.split(":")[0] not in ("0", "root")


def test_sets_the_environment_the_code_reads() -> None:
    for name in (COMMIT_ENV, LOCK_ENV, AUDIT_TOKEN_ENV):
        assert name in DOCKERFILE
    assert "PATH=/opt/venv/bin:$PATH" in DOCKERFILE  # python3 is the project environment
    assert IMAGE.rsplit(":", 1)[0] in DOCKERFILE


def test_build_context_sends_every_path_the_build_copies() -> None:
    ignore = (ROOT / "pipelines" / "Dockerfile.dockerignore").read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = {
        src.rstrip("/").removeprefix("./")
        for line in _instruction("COPY")
        if "--from" not in line
        for src in line.split()[:-1]
    }
    assert copied <= kept
    for path in copied:
        assert (ROOT / path).exists(), path
