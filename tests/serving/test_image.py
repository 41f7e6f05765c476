"""The predictor image honours its contract (no Docker engine here: read the Dockerfile)."""

import json

from mlops.cli.serve import serve
from mlops.serving.runtime import predictor_container
from tests.images.dockerfile import STAGES

IMAGE_FILE = STAGES["predictor"]
DOCKERFILE = IMAGE_FILE.text


def test_runs_mlops_serve_on_8080_as_the_serving_runtime_declares():
    container = predictor_container("predictor:1")
    assert IMAGE_FILE.instruction("EXPOSE") == [str(container["ports"][0]["containerPort"])]
    assert json.loads(IMAGE_FILE.instruction("ENTRYPOINT")[0]) == container["command"]
    assert json.loads(IMAGE_FILE.instruction("CMD")[-1]) == container["args"]
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
