"""The KFP components chained by hand, as the compiled DAG chains them: files and JSON strings
between steps, one MLflow run and one audit subject across all of them."""

from pathlib import Path

import pytest
from kfp.dsl import Dataset, Metrics, Model
from mlflow import MlflowClient

from mlops.errors import CheckFailedError
from mlops.governance.client import EmbeddedAuditClient, Subject
from pipelines.credit_risk import components as c
from pipelines.credit_risk import data, tasks


def _artifact(kind, tmp_path: Path, name: str):
    return kind(name=name, uri=str(tmp_path / name), metadata={})


def test_components_chain_into_one_run(store, tmp_path: Path) -> None:
    """The components' Python functions, called as KFP's executor calls them (artifacts with
    local paths), in the order of the DAG: this exercises components.py and tasks.py."""
    audit_url = f"sqlite:///{tmp_path / 'audit.db'}"
    common = {"mode": "int", "tracking_uri": store.tracking_uri, "audit_url": audit_url}
    a = {n: _artifact(Dataset, tmp_path, n) for n in ("raw", "prepared", "train", "val", "test")}
    model = _artifact(Model, tmp_path, "model")
    metrics = _artifact(Metrics, tmp_path, "metrics")
    ingest = c.ingest_op.python_func(**common, source="", run="kfp-run-1", raw=a["raw"])
    ids = ingest.ids
    e_validate = c.validate_op.python_func(**common, ids=ids, raw=a["raw"])
    e_features = c.features_op.python_func(**common, ids=ids, raw=a["raw"], prepared=a["prepared"])
    e_split = c.split_op.python_func(
        **common,
        ids=ids,
        prepared=a["prepared"],
        train=a["train"],
        validation=a["val"],
        test=a["test"],
    )
    tune = c.tune_op.python_func(**common, ids=ids, train=a["train"], validation=a["val"])
    e_train = c.train_op.python_func(
        **common, ids=ids, params=tune.params, train=a["train"], validation=a["val"], model=model
    )
    evaluation = c.evaluate_op.python_func(
        **common,
        ids=ids,
        model=model,
        train=a["train"],
        validation=a["val"],
        test=a["test"],
        metrics=metrics,
    )
    assert set(metrics.metadata) == {
        "test.roc_auc",
        "test.accuracy",
        "fairness.demographic_parity_difference",
        "fairness.equalized_odds_difference",
    }
    registered = c.register_op.python_func(
        **common,
        ids=ids,
        params=tune.params,
        data_ref=ingest.data_ref,
        evaluation=evaluation.evaluation,
        fairness=evaluation.fairness,
        ingest_evidence=ingest.evidence,
        validate_evidence=e_validate,
        features_evidence=e_features,
        split_evidence=e_split,
        tune_evidence=tune.evidence,
        train_evidence=e_train,
        evaluate_evidence=evaluation.evidence,
        model=model,
        train=a["train"],
    )
    assert registered.candidate is True
    version = registered.version
    audit = EmbeddedAuditClient(audit_url)
    try:
        entries = audit.query(Subject(run="kfp-run-1"))
    finally:
        audit.close()
    assert {e.subject.version for e in entries} == {version}
    assert entries[-1].name == "pipeline.status"
    assert entries[-1].value == {"status": "succeeded", "step": "register"}
    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    mv = client.get_model_version("credit-risk", version)
    run = client.get_run(mv.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlops.pipeline.run"] == "kfp-run-1"
    assert "test.roc_auc" in run.data.metrics and "tuning.best_trial" in run.data.metrics
    # the register component received every earlier step's evidence for the model card
    card = Path(mv.tags["handover.model_card"].removeprefix("file://")).read_text()
    assert "| linear baseline |" in card and "fairness" in card.lower()


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
