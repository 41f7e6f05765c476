"""`mlops pipeline`: exit codes and messages of compile and run."""

import json
from pathlib import Path

import pytest

from pipelines.credit_risk import data


def test_compile_writes_ir_into_a_directory(mlops, tmp_path: Path) -> None:
    code, out, _ = mlops("pipeline", "compile", "--output", str(tmp_path), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["path"] == str(tmp_path / "credit-risk-training.yaml")
    assert result["gpus"] == 0  # the sample model's configuration: CPU


def test_compile_gpus_overrides_the_configuration(mlops, tmp_path: Path) -> None:
    code, out, _ = mlops("pipeline", "compile", "--output", str(tmp_path), "--gpus", "2", "--json")
    assert code == 0 and json.loads(out)["gpus"] == 2
    text = (tmp_path / "credit-risk-training.yaml").read_text()
    assert "resourceCount: '2'" in text and "nvidia.com/gpu" in text
    assert "pipelineInfo" in (tmp_path / "credit-risk-training.yaml").read_text()


def test_run_int_json(mlops, store, tmp_path: Path) -> None:
    code, out, err = mlops(
        "pipeline",
        "run",
        "--mode",
        "int",
        *store.run_options(),
        "--audit",
        str(tmp_path / "audit.db"),
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "succeeded" and result["candidate"] is True
    assert result["audit_url"] == f"sqlite:///{tmp_path / 'audit.db'}"
    assert result["metrics"]["data.rows"] == 1500


def test_run_json_stays_parseable_when_libraries_print(mlops, monkeypatch) -> None:
    """MLflow prints "View run ... at: URL" on stdout when it tracks to an HTTP server."""

    def chatty_run(*args: object) -> dict[str, object]:
        print("🏃 View run calm-owl-1 at: http://127.0.0.1:5000/#/experiments/1/runs/abc")
        return {"status": "succeeded", "candidate": True, "version": "1"}

    monkeypatch.setattr("mlops.cli.pipeline._run_here", chatty_run)
    code, out, err = mlops("pipeline", "run", "--json")
    assert code == 0
    assert json.loads(out)["status"] == "succeeded"
    assert "View run calm-owl-1" in err


def test_run_with_bad_data_exits_1_naming_column_and_rule(mlops, store, tmp_path: Path) -> None:
    frame = data.generate(800, 3)
    frame.loc[5, "loan_term_months"] = 600
    data.write_csv(frame, tmp_path / "bad.csv")
    code, out, err = mlops(
        "pipeline",
        "run",
        *store.run_options(),
        "--data",
        str(tmp_path / "bad.csv"),
    )
    assert code == 1
    assert "column 'loan_term_months': rule range" in err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "dev"], "'dev' is not one of"),
        (["--no-local"], "--no-local: needs --host URL"),
        (["--host", "ftp://kfp"], "--host: 'ftp://kfp'; allowed: http(s)://HOST"),
        (["--tracking-uri", "mlruns"], "--tracking-uri: 'mlruns' is not supported"),
        (["--data", "missing.csv"], "--data: missing.csv: file not found"),
    ],
)
def test_bad_input_exits_2(mlops, tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = mlops("pipeline", "run", "--workdir", str(tmp_path), *args)
    assert code == 2
    assert message in " ".join(err.split())
    assert not (tmp_path / "mlflow.db").exists()


def test_host_submits_the_pipeline_as_configured(mlops, monkeypatch, tmp_path: Path) -> None:
    import kfp

    calls: list[dict] = []

    class FakeClient:
        def __init__(self, host: str) -> None:
            self.host = host

        def create_run_from_pipeline_package(self, path: str, arguments: dict, **kwargs):
            text = Path(path).read_text()
            calls.append({"host": self.host, "arguments": arguments, "kwargs": kwargs})
            assert "train-op" in text  # the sample model is configured for CPU: no GPU request
            assert "nvidia.com/gpu" not in text and "training-gpu" not in text

            class Created:
                run_id = "run-123"

            return Created()

    monkeypatch.setattr(kfp, "Client", FakeClient)
    code, out, err = mlops(
        "pipeline",
        "run",
        "--host",
        "https://kfp.example",
        "--mode",
        "prod",
        "--audit",
        "https://audit.example",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out) == {"host": "https://kfp.example", "run_id": "run-123", "mode": "prod"}
    assert calls == [
        {
            "host": "https://kfp.example",
            "arguments": {"mode": "prod", "audit_url": "https://audit.example"},
            "kwargs": {"enable_caching": False},
        }
    ]


def test_unreachable_host_is_reported_without_traceback(mlops, monkeypatch) -> None:
    import kfp

    class Refusing:
        def __init__(self, host: str) -> None:
            raise ConnectionError("connection refused")

    monkeypatch.setattr(kfp, "Client", Refusing)
    code, _, err = mlops("pipeline", "run", "--host", "https://kfp.invalid")
    assert code == 2
    assert "--host: https://kfp.invalid: submission failed: connection refused" in err
    assert "Traceback" not in err


def test_unreachable_audit_api_stops_the_run_with_exit_1(mlops, store, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    code, _, err = mlops(
        "pipeline",
        "run",
        *store.run_options(),
        "--audit",
        "http://127.0.0.1:9",
    )
    assert code == 1
    assert "audit log unavailable: http://127.0.0.1:9/v1/entries" in " ".join(err.split())
    assert "Traceback" not in err
    client = MlflowClient(tracking_uri=store.tracking_uri)
    runs = client.search_runs(
        [client.get_experiment_by_name("credit-risk").experiment_id],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    assert runs[0].info.status == "FAILED"
