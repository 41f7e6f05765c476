"""The exit-code contract and "nothing written until inputs are accepted", one case per defect
class: a taken port, a check where nothing succeeded, a missing work directory, a file that is
not a database, unwritable outputs, refused settings; owner-only evidence; an escaped card."""

from __future__ import annotations

import os
import re
import socket
import stat
from pathlib import Path

import pytest

from tests.hostile.conftest import tree
from tests.serving.conftest import free_port


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for key in [k for k in os.environ if k.startswith(("MLOPS_", "MLFLOW_"))]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_audit_serve_on_a_taken_port_is_bad_input_before_the_database(mlops, clean_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = mlops("audit", "serve", "--audit", str(clean_env / "audit.db"),
                             "--port", str(port))  # fmt: skip
    assert code == 2 and "already in use" in err
    assert tree(clean_env) == {}


def test_loadtest_where_nothing_succeeds_fails(mlops, clean_env):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: every connection is refused
        code, _, err = mlops("loadtest", "--url", f"http://127.0.0.1:{port}/", "--duration", "0.3")
    assert code == 1 and "no request succeeded" in err


def test_verify_of_a_missing_workdir_is_bad_input(mlops, clean_env):
    code, _, err = mlops("verify", "--target", "local", "--workdir", str(clean_env / "missing"))
    assert code == 2 and "no such directory" in err


def test_a_file_that_is_not_a_database_gets_no_key_beside_it(mlops, clean_env):
    notes = clean_env / "notes.txt"
    notes.write_text("shopping list\n")
    before = tree(clean_env)
    code, _, err = mlops("audit", "append", "--audit", str(notes), "--name", "accuracy",
                         "--value", "0.9", "--subject", "model=m,version=1")  # fmt: skip
    assert code == 2 and "not a SQLite database" in err
    assert tree(clean_env) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "keygen", "--out", "/proc/version/key.pem"],
        ["audit", "report", "--audit", "{db}", "--out", "/proc/version/report.html"],
        ["audit", "export", "--audit", "{db}", "--out", "/proc/version/export.json"],
        [
            "audit",
            "bundle",
            "--audit",
            "{db}",
            "--subject",
            "model=m,version=1",
            "--out",
            "/proc/version/bundle.zip",
        ],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_unwritable_outputs_are_bad_input(mlops, clean_env, argv):
    db = clean_env / "audit.db"
    code, _, err = mlops("audit", "append", "--audit", str(db), "--name", "accuracy", "--value",
                         "0.9", "--subject", "model=m,version=1")  # fmt: skip
    assert code == 0, err
    before = tree(clean_env)
    code, _, err = mlops(*(a.replace("{db}", str(db)) for a in argv))
    assert code == 2 and "/proc/version" in err and "Traceback" not in err
    assert tree(clean_env) == before


def test_score_refuses_an_unwritable_output_before_scoring(mlops, clean_env, setup):
    code, _, err = mlops("score", "--model-uri", str(setup.model), "--input", str(setup.reference),
                         "--output", "/proc/version/out.csv", "--log-sink",
                         str(clean_env / "requests.jsonl"))  # fmt: skip
    assert code == 2 and "not a writable directory" in err
    assert tree(clean_env) == {}


@pytest.mark.parametrize("command", ["score", "serve"])
def test_registry_uris_without_a_tracking_server_create_no_mlflow_db(
    mlops, clean_env, setup, command
):
    extra = (["--input", str(setup.reference), "--output", "out.csv"] if command == "score"
             else ["--port", str(free_port())])  # fmt: skip
    code, _, err = mlops(command, "--model-uri", "models:/credit/1", *extra)
    assert code == 2 and "MLFLOW_TRACKING_URI" in err
    assert tree(clean_env) == {}


def test_refused_settings_are_one_line(mlops, clean_env, setup):
    code, _, err = mlops("drift", "--reference", str(setup.reference), "--log",
                         str(setup.request_log), "--model", "credit", "--psi-threshold", "-1")  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "psi_threshold" in err


def test_evidence_files_are_owner_only(mlops, clean_env):
    db = clean_env / "audit.db"
    mlops("audit", "append", "--audit", str(db), "--name", "note", "--value", "<b>x</b>",
          "--subject", "model=m,version=1", "--kind", "document")  # fmt: skip
    outputs = {
        "export.json": ["audit", "export", "--audit", str(db), "--out", "export.json"],
        "report.html": ["audit", "report", "--audit", str(db), "--out", "report.html"],
        "bundle.zip": [
            "audit",
            "bundle",
            "--audit",
            str(db),
            "--subject",
            "model=m,version=1",
            "--out",
            "bundle.zip",
        ],
    }
    for name, argv in outputs.items():
        code, _, err = mlops(*argv)
        assert code == 0, err
        assert stat.S_IMODE((clean_env / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(Path(f"{db}.key.pem").stat().st_mode) == 0o600


def test_the_model_card_escapes_what_evidence_carries():
    from mlops.governance.selfassessment import model_card_markdown

    hostile = '<img src=x onerror="alert(1)"> [click](javascript:alert(1)) `code` | cell'
    record = {
        "model": hostile, "version": "1", "generated_at": "now", "checkpoint": None,
        "measurements": [{"environment": "int", "name": hostile, "value": hostile, "unit": "",
                          "source": hostile, "seq": 1, "hash": "0" * 64}],
        "gates": [], "certificates": [], "human_oversight_records": 0,
    }  # fmt: skip
    card = model_card_markdown(record)
    assert "<img" not in card and "&lt;img" in card
    assert not re.search(r"(?<!\\)\]\(javascript", card)  # no link: its brackets are escaped
    assert "\\[click\\](javascript" in card
