"""Batch scoring: every prediction bound to its input row, input file hash and model version."""

import json

import pandas as pd
import pytest

from mlops.gitops.descriptor import load_release
from mlops.manifests.schema import validation_errors
from mlops.serving.batch_job import scoring_cronjob
from mlops.serving.digest import artifact_digest, file_sha256
from mlops.serving.sinks import read_records
from tests.serving.conftest import REPO_ROOT


def _input(tmp_path, rows=25):
    frame = pd.DataFrame({"customer": [f"c{i}" for i in range(rows)],
                          "age": [30 + i for i in range(rows)],
                          "income": [20.0 + 3 * i for i in range(rows)]})  # fmt: skip
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def test_score_writes_every_prediction_with_version_and_input_reference(mlops, model_dir, tmp_path):
    source = _input(tmp_path)
    output = tmp_path / "out" / "scores.jsonl"
    code, out, err = mlops(
        "score", "--model-uri", str(model_dir), "--input", str(source), "--output", str(output),
        "--name", "credit", "--version", "7", "--id-column", "customer",
        "--expected-digest", artifact_digest(model_dir),
        "--log-sink", f"sqlite:///{tmp_path / 'log.db'}", "--mask", "age", "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["rows"] == 25
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    input_sha = "sha256:" + file_sha256(source)
    assert [r["row_id"] for r in rows] == [f"c{i}" for i in range(25)]
    for row in rows:
        assert (row["model_name"], row["model_version"]) == ("credit", "7")
        assert row["model_digest"] == artifact_digest(model_dir)
        assert row["input_sha256"] == input_sha and row["input_file"] == str(source)
    assert rows[0]["prediction"] == 0 and rows[-1]["prediction"] == 1

    logged = read_records(f"sqlite:///{tmp_path / 'log.db'}", "batch")
    assert len(logged) == 25
    assert logged[3]["input_ref"] == {"file": str(source), "sha256": input_sha, "row_id": "c3"}
    assert logged[3]["input"] == [{"income": 29.0, "age": "***"}]
    assert logged[3]["output"] == [rows[3]["prediction"]]
    assert logged[3]["version"] == "7" and logged[3]["protocol"] == "batch"


def test_score_csv_with_row_numbers_and_timestamped_output(mlops, model_dir, tmp_path):
    source = _input(tmp_path, rows=3)
    code, out, err = mlops("score", "--model-uri", str(model_dir), "--input", str(source),
                           "--output", str(tmp_path / "p-{timestamp}.csv"), "--json")  # fmt: skip
    assert code == 0, err
    written = json.loads(out)["output"]
    assert "{timestamp}" not in written
    frame = pd.read_csv(written)
    assert frame["row_id"].tolist() == [0, 1, 2]
    assert list(frame.columns[:2]) == ["row_id", "prediction"]


def test_bad_input_and_digest_mismatch_write_nothing(mlops, model_dir, tmp_path):
    source = _input(tmp_path, rows=3)
    output = tmp_path / "scores.csv"
    code, _, err = mlops("score", "--model-uri", str(model_dir), "--input", str(source),
                         "--output", str(tmp_path / "scores.xlsx"))  # fmt: skip
    assert code == 2 and "allowed: .csv, .jsonl, .parquet" in err
    code, _, err = mlops("score", "--model-uri", str(model_dir), "--input", str(source),
                         "--output", str(output), "--id-column", "nope")  # fmt: skip
    assert code == 2 and "id column 'nope' not found" in err
    code, _, err = mlops("score", "--model-uri", str(model_dir), "--input", str(source),
                         "--output", str(output), "--expected-digest", "1" * 64)  # fmt: skip
    assert code == 1 and "refusing to serve it" in err
    assert not output.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.csv"]


def test_cronjob_for_a_release_validates_and_pins_the_digest():
    release = load_release(REPO_ROOT / "gitops/envs/int/models/credit-risk.yaml")
    job = scoring_cronjob(release, namespace="models", environment="int",
                          image="registry.example/mlops-predictor:1.0", data_claim="scoring-data",
                          input_path="inputs/customers.csv", id_column="customer",
                          log_sink="http://collector.monitoring/")  # fmt: skip
    assert validation_errors(job) == []
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["args"] == [release.storage_uri, "/mnt/models"]
    args = pod["containers"][0]["args"]
    assert args[args.index("--expected-digest") + 1] == release.model_digest
    assert args[args.index("--version") + 1] == str(release.registry_version)
    assert args[args.index("--output") + 1] == "/data/predictions/credit-risk-v3-{timestamp}.csv"


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ('{"income": 50.0, "age": 30.0}\n{"income": 1.0, "age": null}\n', "Input X contains NaN"),
        ('{"income": 50.0, "age": 30.0}\n{"income": "x", "age": 3.0}\n', "Failed to convert"),
    ],
)
def test_rows_the_model_cannot_take_exit_2_and_log_nothing(
    mlops, model_dir, tmp_path, rows, reason
):
    source = tmp_path / "applications.jsonl"
    source.write_text(rows)
    log, output = tmp_path / "requests.jsonl", tmp_path / "scores.csv"
    code, _, err = mlops("score", "--model-uri", str(model_dir), "--input", str(source),
                         "--output", str(output), "--log-sink", str(log))  # fmt: skip
    assert code == 2 and "applications.jsonl: rows 0-1: the model cannot score them" in err
    assert reason in err and "Traceback" not in err
    assert not output.exists() and (not log.exists() or log.read_text() == "")


def test_a_file_without_the_model_inputs_exits_2_naming_them(mlops, model_dir, tmp_path):
    source = tmp_path / "other.csv"
    source.write_text("foo,age\n1,2\n")
    code, _, err = mlops("score", "--model-uri", str(model_dir), "--input", str(source),
                         "--output", str(tmp_path / "scores.csv"))  # fmt: skip
    assert (
        code == 2 and "other.csv: missing the model's inputs income; it takes: income, age" in err
    )
    assert not (tmp_path / "scores.csv").exists()
