"""The governance image honours the deployment contract (no Docker engine here: read the Dockerfile)."""

import json
import re
from pathlib import Path

from mlops.governance.auth import TOKENS_ENV
from mlops.governance.db import DB_ENV
from mlops.governance.keys import SIGNING_KEY_ENV

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "images" / "governance" / "Dockerfile").read_text()


def _instruction(name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", DOCKERFILE, flags=re.MULTILINE)


def test_runs_the_audit_api_on_8080_as_a_non_root_user():
    assert _instruction("EXPOSE") == ["8080"]
    assert json.loads(_instruction("ENTRYPOINT")[0]) == ["mlops", "audit", "serve"]
    assert json.loads(_instruction("CMD")[-1]) == ["--host", "0.0.0.0", "--port", "8080"]
    (user,) = _instruction("USER")
    assert user.split(":")[0] not in ("0", "root")
    assert all("slim" in line or line.startswith("ghcr.io/astral-sh/uv:") or line.startswith("${")
               for line in _instruction("FROM"))  # fmt: skip
    assert "uv sync --frozen --no-dev" in DOCKERFILE  # installs exactly the locked project
    assert "/healthz" in DOCKERFILE


def test_documents_the_environment_the_code_reads():
    for name in (DB_ENV, TOKENS_ENV, SIGNING_KEY_ENV):
        assert name in DOCKERFILE
    assert "MLOPS_AUDIT_DB_URL=sqlite:////data/audit.db" in DOCKERFILE


def test_build_context_sends_every_path_the_build_copies():
    ignore = (ROOT / "images" / "governance" / "Dockerfile.dockerignore").read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = {
        src.rstrip("/").removeprefix("./")
        for line in _instruction("COPY") if "--from" not in line
        for src in line.split()[:-1]
    }  # fmt: skip
    assert copied <= kept
    for path in copied:
        assert (ROOT / path).exists(), path
