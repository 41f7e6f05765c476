"""The predictor image honours its contract (no Docker engine here: read the Dockerfile)."""

import json

from mlops.cli.serve import serve
from tests.images.dockerfile import STAGES

IMAGE_FILE = STAGES["predictor"]
DOCKERFILE = IMAGE_FILE.text


def test_runs_mlops_serve_on_8080():
    assert IMAGE_FILE.instruction("EXPOSE") == ["8080"]
    assert json.loads(IMAGE_FILE.instruction("ENTRYPOINT")[0]) == ["mlops"]
    assert json.loads(IMAGE_FILE.instruction("CMD")[-1]) == ["serve"]
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
