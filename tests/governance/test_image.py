"""The governance image honours the deployment contract (no Docker engine here: read the Dockerfile)."""

import json

from mlops.governance.api import PUBLIC_MODELS_ENV, PUBLIC_SECTIONS_ENV
from mlops.governance.auth import TOKENS_ENV
from mlops.governance.db import DB_ENV
from mlops.governance.keys import CERTIFICATION_KEY_ENV, SIGNING_KEY_ENV
from tests.images.dockerfile import STAGES

IMAGE_FILE = STAGES["governance"]
DOCKERFILE = IMAGE_FILE.text


def test_runs_the_audit_api_on_8080():
    assert IMAGE_FILE.instruction("EXPOSE") == ["8080"]
    assert json.loads(IMAGE_FILE.instruction("ENTRYPOINT")[0]) == ["mlops", "audit", "serve"]
    assert json.loads(IMAGE_FILE.instruction("CMD")[-1]) == ["--host", "0.0.0.0", "--port", "8080"]
    assert IMAGE_FILE.instruction("FROM") == ["${PYTHON_IMAGE} AS governance"]
    assert "/healthz" in DOCKERFILE


def test_documents_the_environment_the_code_reads():
    for name in (DB_ENV, TOKENS_ENV, SIGNING_KEY_ENV, CERTIFICATION_KEY_ENV, PUBLIC_MODELS_ENV,
                 PUBLIC_SECTIONS_ENV):  # fmt: skip
        assert name in DOCKERFILE
    assert "MLOPS_AUDIT_DB_URL=sqlite:////data/audit.db" in DOCKERFILE
