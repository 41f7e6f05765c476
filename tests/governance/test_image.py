"""The governance image honours the deployment contract (no Docker engine here: read the Dockerfile)."""

import json

from mlops.config import environment as settings
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
    for setting in (settings.AUDIT, settings.AUDIT_TOKENS_FILE, settings.AUDIT_SIGNING_KEY_FILE,
                    settings.AUDIT_CERTIFICATION_KEY_FILE, settings.AUDIT_PUBLIC_MODELS,
                    settings.AUDIT_PUBLIC_SECTIONS):  # fmt: skip
        assert setting.name in DOCKERFILE
    assert "MLOPS_AUDIT=sqlite:////data/audit.db" in DOCKERFILE
