"""Machine-readable output is the document itself: rich would read `[true]` as markup."""

import json

from mlops.cli.console import print_json


def test_print_json_writes_the_document_unaltered(capsys):
    document = {"flags": [True], "violations": ["p95 [bold] x"], "path": "é"}
    print_json(document)
    assert json.loads(capsys.readouterr().out) == document
