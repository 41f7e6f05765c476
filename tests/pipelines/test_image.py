"""The component image honours the contract the components rely on (no Docker engine here: read
the Dockerfile)."""

import re

from mlops.config.environment import AUDIT_TOKEN, CODE_COMMIT, UV_LOCK
from pipelines.credit_risk.components import IMAGE
from tests.images.dockerfile import ROOT, STAGES, TEXT

IMAGE_FILE = STAGES["pipeline"]
DOCKERFILE = IMAGE_FILE.text


def test_base_images_are_pinned_and_the_project_is_installed_as_locked() -> None:
    (python_image,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", TEXT, flags=re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", python_image)
    assert STAGES["uv"].instruction("FROM") == ["ghcr.io/astral-sh/uv:0.13.9 AS uv"]
    build_env = (ROOT / "images" / "build-env").read_text(encoding="utf-8")
    assert (
        'uv sync --quiet --frozen --no-default-groups --extra "${part}" --no-editable' in build_env
    )


def test_sets_the_environment_the_code_reads() -> None:
    for setting in (CODE_COMMIT, UV_LOCK, AUDIT_TOKEN):
        assert setting.name in DOCKERFILE
    assert "PATH=/opt/venv/bin:$PATH" in DOCKERFILE  # python3 is the project environment
    assert IMAGE.rsplit(":", 1)[0] in DOCKERFILE
