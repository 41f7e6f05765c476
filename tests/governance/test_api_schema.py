"""Property-based run of the Audit API's own OpenAPI document (schemathesis, bounded): whatever
a client sends to any operation, with or without a token, the API never answers 5xx, and every
answer it gives is one the document lists, in the documented shape."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mlops.cli.audit import OPENAPI_PATH
from mlops.governance.api import create_app
from mlops.governance.auth import Role, token_digest
from mlops.governance.keys import write_private_key
from mlops.governance.log import EvidenceLog

TOKEN = "t-all"
EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
OPERATIONS = [
    (method.upper(), path)
    for path, item in json.loads(OPENAPI_PATH.read_text())["paths"].items()
    for method in item
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("schema")
    log = EvidenceLog(str(root / "audit.db"), write_private_key(root / "key.pem"))
    app = create_app(log, {token_digest(TOKEN): frozenset(Role)}, max_body=64 * 1024,
                     certification_key=write_private_key(root / "body.pem"))  # fmt: skip
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    log.close()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_gets_a_server_error_and_every_answer_is_documented(api_schema, method, path):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case):
        for headers in ({"Authorization": f"Bearer {TOKEN}"}, {}):
            case.call_and_validate(headers=headers, checks=CHECKS)

    run()
