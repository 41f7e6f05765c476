"""`mlops audit ...`: output, files and exit codes (0 ok, 1 check failed, 2 bad input)."""

import json
import sqlite3
import subprocess
import sys

import pytest


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "audit.db")


def _append(mlops, db, name="accuracy", value="0.91", subject="model=credit-risk,version=3"):
    code, out, err = mlops("audit", "append", "--audit", db, "--subject", subject, "--name", name,
                           "--value", value, "--unit", "ratio", "--source", "train")  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_append_prints_the_entry_and_verify_passes(mlops, db):
    first = _append(mlops, db)
    assert first["seq"] == 1 and first["value"] == 0.91
    assert first["subject"] == {"model": "credit-risk", "version": "3", "environment": None,
                                "run": None, "commit": None}  # fmt: skip
    assert _append(mlops, db, value='{"gap": 0.1}')["value"] == {"gap": 0.1}
    assert _append(mlops, db, value="not-json")["value"] == "not-json"
    code, out, _ = mlops(
        "audit", "verify", "--audit", db, "--public-key", db + ".key.pem", "--json"
    )
    assert code == 0 and json.loads(out)["entries"] == 3
    code, out, _ = mlops("audit", "verify", "--audit", db, "--public-key", db + ".key.pem")
    assert code == 0 and out.startswith("intact: 3 entries")


def test_verify_exits_1_naming_the_first_bad_entry(mlops, db):
    for value in ("0.1", "0.2", "0.3"):
        _append(mlops, db, value=value)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER audit_entries_no_update")
    conn.execute("UPDATE audit_entries SET value = '0.9' WHERE seq = 2")
    conn.close()
    code, _, err = mlops("audit", "verify", "--audit", db, "--public-key", db + ".key.pem")
    assert code == 1 and "first bad entry 2" in err
    code, out, _ = mlops(
        "audit", "verify", "--audit", db, "--public-key", db + ".key.pem", "--json"
    )
    assert code == 1 and json.loads(out)["first_bad_seq"] == 2


@pytest.mark.parametrize(
    "args",
    [["audit", "append", "--audit", "X", "--subject", "team=a", "--name", "n", "--value", "1"],
     ["audit", "append", "--audit", "X", "--name", "bad name", "--value", "1"],
     ["audit", "append", "--audit", "X", "--name", "n", "--value", "NaN"],
     ["audit", "append", "--audit", "X", "--name", "n", "--value", "1", "--artifact", "m=md5"],
     ["audit", "append", "--audit", "X", "--name", "n", "--value", "1", "--kind", "certificate"],
     ["audit", "append", "--name", "n", "--value", "1"],
     ["audit", "verify", "--audit", "MISSING.db"],
     ["audit", "export", "--audit", "X", "--format", "xml"],
     ["audit", "append", "--audit", "X", "--value", "1"]],
)  # fmt: skip
def test_bad_input_exits_2_without_traceback_and_writes_nothing(mlops, tmp_path, args):
    db = str(tmp_path / "x.db")
    _append(mlops, db)
    args = [db if a == "X" else str(tmp_path / a) if a == "MISSING.db" else a for a in args]
    code, out, err = mlops(*args)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert sqlite3.connect(db).execute("SELECT count(*) FROM audit_entries").fetchone()[0] == 1


def test_export_report_model_card_and_checkpoint(mlops, db, tmp_path):
    _append(mlops, db)
    _append(mlops, db, name="latency_p99", value="42")
    code, out, _ = mlops(
        "audit", "export", "--audit", db, "--format", "csv", "--subject", "model=credit-risk"
    )
    assert code == 0 and len(out.splitlines()) == 3
    code, out, _ = mlops("audit", "export", "--audit", db, "--name", "accuracy")
    assert code == 0 and [e["name"] for e in json.loads(out)["entries"]] == ["accuracy"]
    code, _, _ = mlops("audit", "report", "--audit", db, "--out", str(tmp_path / "r.html"))
    report = (tmp_path / "r.html").read_text()
    assert code == 0 and report.index('id="releases"') < report.index('id="history"')
    code, out, _ = mlops(
        "audit", "model-card", "--audit", db, "--subject", "model=credit-risk,version=3"
    )
    assert code == 0 and "| accuracy | 0.91 |" in out
    code, _, _ = mlops("audit", "model-card", "--audit", db, "--subject", "model=credit-risk")
    assert code == 2
    code, _, _ = mlops("audit", "checkpoint", "--audit", db, "--out", str(tmp_path / "anchor.json"))
    assert code == 0
    code, _, _ = mlops("audit", "verify", "--audit", db, "--public-key", db + ".key.pem",
                       "--anchor", str(tmp_path / "anchor.json"))  # fmt: skip
    assert code == 0


def test_gate_certificate_and_bundle(mlops, db, tmp_path):
    _append(mlops, db)
    subject = "model=credit-risk,version=3"
    code, out, _ = mlops("audit", "gate", "--audit", db, "--subject", subject, "--gate", "quality",
                         "--require", "accuracy>=0.85")  # fmt: skip
    assert code == 0 and "gate quality: passed" in out
    code, out, _ = mlops("audit", "gate", "--audit", db, "--subject", subject, "--gate", "strict",
                         "--require", "accuracy >= 0.95", "--require", "auc>0.5")  # fmt: skip
    assert code == 1 and "FAIL: auc" in out
    body = str(tmp_path / "body.pem")
    assert mlops("audit", "keygen", "--out", body)[0] == 0
    code, _, err = mlops("audit", "certificate", "issue", "--audit", db, "--subject", subject,
                         "--scope", "s", "--gate", "quality")  # fmt: skip
    assert code == 2 and "certification body's own key" in err
    code, _, err = mlops("audit", "certificate", "issue", "--audit", db, "--subject", subject,
                         "--scope", "s", "--gate", "quality", "--gate", "strict",
                         "--certification-key", body)  # fmt: skip
    assert code == 1 and "strict: failed" in err
    cert_file = tmp_path / "cert.json"
    code, out, _ = mlops("audit", "certificate", "issue", "--audit", db, "--subject", subject,
                         "--scope", "s", "--gate", "quality", "--out", str(cert_file),
                         "--certification-key", body)  # fmt: skip
    assert code == 0
    cert_id = json.loads(out)["id"]
    code, _, _ = mlops("audit", "keygen", "--out", str(tmp_path / "k2.pem"))
    key = db + ".key.pem"
    assert mlops("audit", "certificate", "verify", str(cert_file), "--public-key", body)[0] == 0
    assert mlops("audit", "certificate", "verify", str(cert_file), "--public-key", key)[0] == 1
    bundle = tmp_path / "bundle.zip"
    code, _, err = mlops(
        "audit", "bundle", "--audit", db, "--subject", subject, "--out", str(bundle)
    )
    assert code == 0, err
    assert mlops("audit", "bundle-verify", str(bundle), "--public-key", key)[0] == 0
    assert (
        mlops("audit", "bundle-verify", str(bundle), "--public-key", str(tmp_path / "k2.pem"))[0]
        == 1
    )
    code, out, _ = mlops("audit", "certificate", "revoke", "--audit", db, "--id", cert_id,
                         "--reason", "audit finding", "--certification-key", body)  # fmt: skip
    assert code == 0 and json.loads(out)["automatic"] is False
    assert (
        mlops(
            "audit", "certificate", "verify", str(cert_file), "--public-key", body, "--audit", db
        )[0]
        == 1
    )
    code, out, _ = mlops("audit", "certificate", "list", "--audit", db, "--json")
    assert [r["status"] for r in json.loads(out)] == ["revoked"]


def test_bundle_directory_tamper_is_found(mlops, db, tmp_path):
    _append(mlops, db)
    out_dir = tmp_path / "bundle"
    assert (
        mlops(
            "audit",
            "bundle",
            "--audit",
            db,
            "--subject",
            "model=credit-risk,version=3",
            "--out",
            str(out_dir),
        )[0]
        == 0
    )
    evidence = out_dir / "evidence" / "evidence.json"
    evidence.write_text(evidence.read_text().replace("0.91", "0.99"))
    code, out, _ = mlops("audit", "bundle-verify", str(out_dir), "--json")
    problems = json.loads(out)["problems"]
    assert code == 1 and any("evidence.json" in p for p in problems)


def test_token_digest_keygen_and_openapi_check(mlops, tmp_path):
    code, out, _ = mlops("audit", "token-digest", stdin="secret\n")
    assert (
        code == 0
        and out.strip() == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    )
    assert mlops("audit", "keygen", "--out", str(tmp_path / "k.pem"))[0] == 0
    assert mlops("audit", "keygen", "--out", str(tmp_path / "k.pem"))[0] == 2
    assert mlops("audit", "openapi", "--check")[0] == 0


def test_the_console_script_maps_errors_to_exit_codes(tmp_path):
    """One real process: the installed entry point, not the in-process shortcut."""
    result = subprocess.run(
        [sys.executable, "-c", "from mlops.cli.app import main; main()", "audit", "verify",
         "--audit", str(tmp_path / "none.db")],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "no such log file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["verify"],
        ["report", "--out", "{tmp}/r.html"],
        ["export"],
        ["model-card", "--subject", "model=m,version=1"],
    ],
)
def test_readers_refuse_a_log_that_does_not_exist_and_create_none(mlops, tmp_path, command):
    missing = tmp_path / "none.db"
    for db in (str(missing), f"sqlite:///{missing}"):
        code, _, err = mlops("audit", *(a.format(tmp=tmp_path) for a in command), "--audit", db)
        assert code == 2 and "no such log file" in err
        assert not missing.exists() and not (tmp_path / "r.html").exists()
