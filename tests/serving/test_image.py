"""The predictor image honours its contract (no Docker engine here: read the Dockerfile)."""

import json
import re
from pathlib import Path

from mlops.cli.serve import serve

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "images" / "predictor" / "Dockerfile").read_text()


def _instruction(name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", DOCKERFILE, flags=re.MULTILINE)


def test_runs_mlops_serve_on_8080_as_a_non_root_user():
    assert _instruction("EXPOSE") == ["8080"]
    assert json.loads(_instruction("ENTRYPOINT")[0]) == ["mlops"]
    assert json.loads(_instruction("CMD")[-1]) == ["serve"]
    (user,) = _instruction("USER")
    assert user.split(":")[0] not in ("0", "root")
    assert "uv sync --frozen --no-dev" in DOCKERFILE
    assert "/v2/health/ready" in DOCKERFILE


def test_documents_every_environment_variable_serve_reads():
    import inspect

    envvars = {
        meta.envvar
        for param in inspect.signature(serve).parameters.values()
        for meta in getattr(param.annotation, "__metadata__", ())
        if getattr(meta, "envvar", None)
    }
    assert {"MLOPS_MODEL_URI", "MLOPS_MODEL_SHA256", "MLOPS_SHADOW_URL"} <= envvars
    for name in envvars:
        assert name in DOCKERFILE, name


def test_build_context_sends_every_path_the_build_copies():
    ignore = (ROOT / "images" / "predictor" / "Dockerfile.dockerignore").read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = {
        src.rstrip("/").removeprefix("./")
        for line in _instruction("COPY") if "--from" not in line
        for src in line.split()[:-1]
    }  # fmt: skip
    assert copied <= kept
    for path in copied:
        assert (ROOT / path).exists(), path
