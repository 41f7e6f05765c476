"""Another implementation can check the log: the chain recomputed from an export with the
`rfc8785` library and OpenSSL's `dgst`, and a checkpoint's Ed25519 signature checked with
`openssl pkeyutl`, without any of the project's own hashing or signing code."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import rfc8785

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl on PATH")


def _openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["openssl", *args], input=data, capture_output=True, check=False, timeout=30
    )


def test_openssl_and_rfc8785_recompute_the_chain_and_check_the_checkpoint(mlops, tmp_path: Path):
    db = str(tmp_path / "audit.db")
    for value in ("2.0", "1e-7", '{"zeta": [1e21, -0.0, "caf\u00e9\\n"], "alpha": true}', "0.91"):
        code, _, err = mlops("audit", "append", "--audit", db, "--subject", "model=m,version=1",
                             "--name", "metric", "--value", value, "--unit", "ratio")  # fmt: skip
        assert code == 0, err
    code, out, _ = mlops("audit", "export", "--audit", db)
    exported = json.loads(out)
    prev = "0" * 64
    for entry in exported["entries"]:
        document = {
            "artifacts": entry["artifacts"], "kind": entry["kind"], "name": entry["name"],
            "prev": entry["prev_hash"], "seq": entry["seq"], "source": entry["source"],
            "subject": entry["subject"], "time": entry["time"], "unit": entry["unit"],
            "value": entry["value"],
        }  # fmt: skip
        digest = _openssl("dgst", "-sha256", "-r", data=rfc8785.dumps(document))
        assert digest.returncode == 0, digest.stderr
        assert digest.stdout.split()[0].decode() == entry["hash"], entry["seq"]
        assert entry["prev_hash"] == prev
        prev = entry["hash"]
    checkpoint = exported["checkpoint"]
    assert checkpoint["hash"] == prev and checkpoint["scheme"] == "rfc8785-sha256"
    payload = {
        k: checkpoint[k] for k in ("hash", "key_id", "log_id", "prev", "scheme", "seq", "time")
    }
    (tmp_path / "payload").write_bytes(rfc8785.dumps(payload))
    (tmp_path / "sig").write_bytes(base64.b64decode(checkpoint["signature"]))
    public = _openssl("pkey", "-in", db + ".key.pem", "-pubout", "-out", str(tmp_path / "pub.pem"))
    assert public.returncode == 0, public.stderr
    check = _openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
                     "-in", str(tmp_path / "payload"), "-sigfile", str(tmp_path / "sig"))  # fmt: skip
    assert check.returncode == 0 and b"Signature Verified Successfully" in check.stdout
    (tmp_path / "payload").write_bytes(rfc8785.dumps({**payload, "seq": payload["seq"] - 1}))
    forged = _openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
                      "-in", str(tmp_path / "payload"), "-sigfile", str(tmp_path / "sig"))  # fmt: skip
    assert forged.returncode != 0
