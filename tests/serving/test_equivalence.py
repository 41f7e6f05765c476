"""`mlops equivalence`: the predictor against the release's own model, recorded as evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlops.governance.entry import Subject
from mlops.governance.log import EvidenceLog
from mlops.serving.digest import artifact_digest
from tests.serving.conftest import REPO_ROOT, Server, training_frame

INT_DESCRIPTOR = REPO_ROOT / "gitops/envs/int/models/credit-risk.yaml"


def release(root: Path, model: Path, digest: str | None = None) -> Path:
    """The repository's int descriptor of credit-risk, releasing `model` instead."""
    document = yaml.safe_load(INT_DESCRIPTOR.read_text(encoding="utf-8"))
    document["storage_uri"] = f"file://{model}"
    document["model_digest"] = digest or artifact_digest(model)
    path = root / "gitops/envs/int/models/credit-risk.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    training_frame(seed=5, rows=60).to_csv(path, index=False)
    return path


def predict(server: Server) -> str:
    return f"{server.url}/v1/models/credit:predict"


def recorded(log: Path) -> list:
    with EvidenceLog(f"sqlite:///{log}") as opened:
        return opened.query(Subject(model="credit-risk", version="3"), "equivalence.max_abs_diff")


def test_the_served_release_matches_its_model_and_the_result_is_evidence(
    mlops, server, model_dir, rows, tmp_path
):
    log = tmp_path / "audit.db"
    code, out, err = mlops(
        "equivalence", "--url", predict(server), "--release", str(release(tmp_path, model_dir)),
        "--data", str(rows), "--rows", "40", "--audit", f"sqlite:///{log}", "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["rows"] == 40 and result["max_abs_diff"] == 0.0
    assert (result["model"], result["version"], result["environment"]) == (
        "credit-risk",
        "3",
        "int",
    )
    (entry,) = recorded(log)
    assert entry.value == 0.0 and entry.subject.environment == "int"
    assert entry.artifacts == {"model": artifact_digest(model_dir)}
    assert result["evidence_seq"] == entry.seq


def test_a_predictor_serving_another_model_fails_and_the_difference_is_recorded(
    mlops, server, candidate_dir, rows, tmp_path
):
    log = tmp_path / "audit.db"
    code, _, err = mlops(
        "equivalence", "--url", predict(server), "--release", str(release(tmp_path, candidate_dir)),
        "--data", str(rows), "--audit", f"sqlite:///{log}",
    )  # fmt: skip
    assert code == 1 and "differs from the release's model by 1 > 1e-06" in err
    (entry,) = recorded(log)
    assert entry.value == 1.0 and entry.artifacts == {"model": artifact_digest(candidate_dir)}


def test_a_release_whose_artifact_is_not_its_digest_is_refused_before_any_request(
    mlops, model_dir, rows, tmp_path
):
    log = tmp_path / "audit.db"
    wrong = "sha256:" + "0" * 64
    code, _, err = mlops(
        "equivalence", "--url", "http://127.0.0.1:9/v1/models/credit:predict",
        "--release", str(release(tmp_path, model_dir, wrong)), "--data", str(rows),
        "--audit", f"sqlite:///{log}",
    )  # fmt: skip
    assert code == 1 and "refusing to serve it" in err
    assert not log.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "ftp://x"}, "--url: 'ftp://x' is not an http(s) URL"),
        ({"release": "{tmp}/credit-risk.yaml"}, "not a release descriptor; allowed"),
        ({"data": "{tmp}/missing.csv"}, "missing.csv: CSV file not found"),
        (
            {"data": "{tmp}/other.csv"},
            "other.csv: missing the model's inputs income, age; it takes",
        ),
    ],
)
def test_bad_input_exits_2_naming_what_is_wrong(mlops, model_dir, rows, tmp_path, change, message):
    (tmp_path / "credit-risk.yaml").write_text(INT_DESCRIPTOR.read_text(encoding="utf-8"))
    (tmp_path / "other.csv").write_text("foo,bar\n1,2\n")
    options = {
        "url": "http://127.0.0.1:9/v1/models/credit:predict",
        "release": str(release(tmp_path, model_dir)),
        "data": str(rows),
    } | {key: value.format(tmp=tmp_path) for key, value in change.items()}
    log = tmp_path / "audit.db"
    arguments = [item for key, value in options.items() for item in (f"--{key}", value)]
    code, _, err = mlops("equivalence", *arguments, "--audit", f"sqlite:///{log}")
    assert code == 2 and message in err and "Traceback" not in err
    assert not log.exists()
