"""The KFP component bodies chained by hand, as the compiled DAG chains them: files and JSON
strings between steps, one MLflow run and one audit subject across all of them."""

from pathlib import Path

import pytest
from mlflow import MlflowClient

from mlops.errors import CheckFailedError
from mlops.governance.client import EmbeddedAuditClient, Subject
from pipelines.credit_risk import data, tasks


def test_component_bodies_chain_into_one_run(store, tmp_path: Path) -> None:
    audit_url = f"sqlite:///{tmp_path / 'audit.db'}"
    common = ("int", store.tracking_uri, audit_url)
    p = {name: str(tmp_path / name) for name in ("raw", "prepared", "train", "val", "test")}
    model_path = str(tmp_path / "model" / "model.joblib")
    ids, data_ref, e_ingest = tasks.ingest(*common, "", "kfp-run-1", p["raw"])
    e_validate = tasks.validate(*common, ids, p["raw"])
    e_features = tasks.features(*common, ids, p["raw"], p["prepared"])
    e_split = tasks.split(*common, ids, p["prepared"], p["train"], p["val"], p["test"])
    params, e_tune = tasks.tune(*common, ids, p["train"], p["val"])
    e_train = tasks.train(*common, ids, p["train"], p["val"], params, model_path)
    evaluation, fairness, e_eval = tasks.evaluate(
        *common, ids, model_path, p["train"], p["val"], p["test"]
    )
    version, candidate = tasks.gate_and_register(
        *common,
        ids,
        model_path,
        p["train"],
        params,
        data_ref,
        evaluation,
        fairness,
        [e_ingest, e_validate, e_features, e_split, e_tune, e_train, e_eval],
    )
    assert candidate is True
    audit = EmbeddedAuditClient(audit_url)
    try:
        entries = audit.query(Subject(run="kfp-run-1"))
    finally:
        audit.close()
    assert {e.subject.version for e in entries} == {version}
    assert entries[-1].name == "pipeline.status"
    assert entries[-1].value == {"status": "succeeded", "step": "register"}
    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    run_id = client.get_model_version("credit-risk", version).run_id
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlops.pipeline.run"] == "kfp-run-1"
    assert "test.roc_auc" in run.data.metrics and "tuning.best_trial" in run.data.metrics


def test_a_failing_body_records_the_failure_and_marks_the_run(store, tmp_path: Path) -> None:
    audit_url = f"sqlite:///{tmp_path / 'audit.db'}"
    common = ("int", store.tracking_uri, audit_url)
    ids, _, _ = tasks.ingest(*common, "", "kfp-run-2", str(tmp_path / "raw"))
    bad = data.generate(500, 1)
    bad.loc[0, "purpose"] = "yacht"
    data.write_csv(bad, tmp_path / "bad.csv")
    with pytest.raises(CheckFailedError, match="column 'purpose': rule categories"):
        tasks.validate(*common, ids, str(tmp_path / "bad.csv"))
    audit = EmbeddedAuditClient(audit_url)
    try:
        status = audit.query(Subject(run="kfp-run-2"), name="pipeline.status")
    finally:
        audit.close()
    assert status[0].value["step"] == "validate" and status[0].value["status"] == "failed"
