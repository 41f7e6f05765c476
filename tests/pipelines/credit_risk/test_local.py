"""Integration: the whole pipeline in int mode, then the MLflow run, the registry and the audit
log are checked field by field; the same data and seed give the same metrics; bad data stops the
run at validation; failing gates register without the alias."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import mlflow
import pytest
from mlflow import MlflowClient

from mlops.errors import CheckFailedError
from mlops.gates.evidence_names import HANDOVER_FIELDS, HANDOVER_TAG_PREFIX
from mlops.governance.client import EmbeddedAuditClient, Subject
from mlops.governance.log import EvidenceLog
from mlops.pipelines.provenance import code_repository
from mlops.repository import REPO_ROOT
from mlops.serving.digest import artifact_digest
from pipelines.credit_risk import data
from pipelines.credit_risk.local import RunResult, run_local

# Tags every registered version carries (promotion gates read the handover ones).
HANDOVER_TAGS = (
    *(HANDOVER_TAG_PREFIX + field for field in HANDOVER_FIELDS),
    "mlops.code.commit",
    "mlops.code.dirty",
    "mlops.data.uri",
    "mlops.data.sha256",
    "mlops.data.rows",
    "mlops.params",
    "mlops.env.python",
    "mlops.env.requirements_sha256",
    "mlops.env.uv_lock_sha256",
    "mlops.model_card",
    "mlops.handover",
    "mlops.pipeline.run",
    "mlops.mode",
    "mlops.audit.subject",
    "mlops.gates.passed",
)

NAME = "credit-risk"
S = "credit-risk-training/"
# The evidence of an int-mode run without a champion: every measurement, in order, with the step
# that produced it.
EXPECTED = [
    ("data.source_rows", "ingest"),
    ("data.rows", "ingest"),
    *[(f"data.missing.{c}", "validate") for c in data.COLUMNS],
    *[(f"data.drift_psi.{c}", "validate") for c in data.COLUMNS],
    ("data.validation", "validate"),
    ("features.count", "features"),
    ("features.engineered", "features"),
    ("features.imputed.employment_years", "features"),
    ("features.non_finite", "features"),
    *[
        (f"split.{part}.{what}", "split")
        for part in ("train", "validation", "test")
        for what in ("rows", "default_rate")
    ],
    ("tuning.trial.0.validation_roc_auc", "tune"),
    ("tuning.trial.1.validation_roc_auc", "tune"),
    ("tuning.best_trial", "tune"),
    ("tuning.best_validation_roc_auc", "tune"),
    ("training.rows", "train"),
    ("training.seconds", "train"),
    ("test.roc_auc", "evaluate"),
    ("test.accuracy", "evaluate"),
    ("test.confusion_matrix", "evaluate"),
    ("baseline.roc_auc", "evaluate"),
    ("baseline.accuracy", "evaluate"),
    ("baseline.gain.roc_auc", "evaluate"),
    ("champion.version", "evaluate"),
    ("fairness.sex.slices", "fairness"),
    ("fairness.sex.demographic_parity_difference", "fairness"),
    ("fairness.sex.equalized_odds_difference", "fairness"),
    ("gates.analytics", "gate"),
    ("handover.artifact", "register"),
    ("registry.version", "register"),
    ("registry.alias.candidate", "register"),
    ("pipeline.status", "pipeline"),
]
CHAMPION = [
    ("champion.roc_auc", "evaluate"),
    ("champion.accuracy", "evaluate"),
    ("champion.delta.roc_auc", "evaluate"),
]


def _entries(audit_url: str, run: str):
    audit = EmbeddedAuditClient(audit_url)
    try:
        return audit.query(Subject(run=run))
    finally:
        audit.close()


@pytest.fixture(scope="module")
def audit_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('audit') / 'audit.db'}"


@pytest.fixture(scope="module")
def first(store, audit_url) -> RunResult:
    return run_local("int", store.workdir, tracking_uri=store.tracking_uri, audit_url=audit_url)


@pytest.fixture(scope="module")
def client(store, first) -> MlflowClient:
    return MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)


def test_run_succeeds_and_sets_the_candidate_alias(first, client) -> None:
    assert first.status == "succeeded" and first.candidate
    assert str(client.get_model_version_by_alias(NAME, "candidate").version) == first.version
    assert client.get_run(first.mlflow_run_id).info.status == "FINISHED"


def test_audit_log_has_every_measurement_in_order(first, audit_url) -> None:
    entries = _entries(audit_url, first.run)
    assert [(e.name, e.source) for e in entries] == [(n, S + s) for n, s in EXPECTED]
    subject = entries[0].subject
    assert (subject.model, subject.version, subject.environment, subject.run) == (
        NAME,
        first.version,
        "int",
        first.run,
    )
    assert subject.commit and all(e.subject == subject for e in entries)
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert {e.kind for e in entries if e.name in ("data.validation", "gates.analytics")} == {
        "verdict"
    }
    log = EvidenceLog.open(audit_url)
    try:
        assert log.verify().ok
    finally:
        log.close()


def test_mlflow_metrics_match_the_audit_log(first, client, audit_url) -> None:
    logged = client.get_run(first.mlflow_run_id).data.metrics
    for entry in _entries(audit_url, first.run):
        if isinstance(entry.value, int | float) and not isinstance(entry.value, bool):
            assert logged[entry.name] == pytest.approx(entry.value), entry.name


def test_every_handover_field_is_on_the_run_and_the_version(first, client) -> None:
    version = client.get_model_version(NAME, first.version)
    run = client.get_run(first.mlflow_run_id)
    for tag in HANDOVER_TAGS:
        assert version.tags.get(tag), tag
        assert run.data.tags.get(tag) == version.tags[tag], tag
    assert len(version.tags["mlops.code.commit"]) == 40
    assert version.tags["mlops.data.uri"].endswith("/data/credit-risk-20000-7.csv")
    assert version.tags["mlops.data.sha256"].startswith("sha256:")
    assert version.tags["mlops.env.uv_lock_sha256"].startswith("sha256:")
    assert json.loads(version.tags["mlops.params"])["seed"] == 42
    assert version.tags["mlops.gates.passed"] == "true"
    params = run.data.params
    assert {
        "learning_rate",
        "max_iter",
        "max_depth",
        "min_samples_leaf",
        "seed",
        "data_uri",
    } <= set(params)


def test_handover_artifacts_and_their_digests(first, client, audit_url, tmp_path) -> None:
    folder = Path(
        mlflow.artifacts.download_artifacts(
            run_id=first.mlflow_run_id, artifact_path="handover", dst_path=str(tmp_path)
        )
    )
    files = sorted(p.name for p in folder.iterdir())
    assert files == [
        "evidence.json",
        "handover.json",
        "model_card.md",
        "params.json",
        "requirements.txt",
        "schema.json",
        "uv.lock",
    ]
    handover = json.loads((folder / "handover.json").read_text())
    assert handover["version"] == first.version
    assert (
        handover["code"]["commit"]
        == client.get_run(first.mlflow_run_id).data.tags["mlops.code.commit"]
    )
    assert set(handover["data"]) == {"uri", "sha256", "source_rows", "rows", "schema_sha256"}
    requirements = (folder / "requirements.txt").read_bytes()
    assert handover["environment"]["requirements_sha256"] == (
        "sha256:" + hashlib.sha256(requirements).hexdigest()
    )
    assert b"scikit-learn==" in requirements
    card = (folder / "model_card.md").read_text()
    assert f"# Model card: {NAME} version {first.version}" in card
    assert "| linear baseline |" in card and "Demographic parity difference" in card
    document = next(e for e in _entries(audit_url, first.run) if e.name == "handover.artifact")
    assert document.kind == "document"
    assert (
        document.artifacts["model_card.md"] == "sha256:" + hashlib.sha256(card.encode()).hexdigest()
    )
    assert document.artifacts["data"] == handover["data"]["sha256"]
    assert document.artifacts["model"] == handover["fields"]["model_digest"]


def _path(uri: str) -> Path:
    assert uri.startswith("file://")
    return Path(unquote(urlparse(uri).path))


def test_handover_fields_for_promotion(first, client, config) -> None:
    """The `handover.<field>` tags promotion copies into release descriptors, and what they
    point at: the model at storage_uri has the recorded digest, the references exist."""
    version = client.get_model_version(NAME, first.version)
    tags = version.tags
    fields = {f: tags[HANDOVER_TAG_PREFIX + f] for f in HANDOVER_FIELDS}
    assert version.source == fields["storage_uri"]  # what readers of `source` digest
    assert version.run_id == first.mlflow_run_id
    assert artifact_digest(_path(fields["storage_uri"])) == fields["model_digest"]
    assert (_path(fields["storage_uri"]) / "MLmodel").is_file()
    assert re.fullmatch(r"[0-9a-f]{40}", fields["code_commit"])
    assert fields["code_repository"] == code_repository(REPO_ROOT, config.code_repository)
    assert re.match(r"^(https://|git@|ssh://)\S+$", fields["code_repository"])
    assert fields["data_reference"] == tags["mlops.data.uri"]
    assert fields["data_digest"] == tags["mlops.data.sha256"]
    requirements = _path(fields["environment_spec"]).read_bytes()
    assert fields["environment_digest"] == "sha256:" + hashlib.sha256(requirements).hexdigest()
    assert json.loads(_path(fields["parameters_reference"]).read_text()) == json.loads(
        tags["mlops.params"]
    )
    assert _path(fields["model_card"]).read_text().startswith("# Model card")


def test_registered_model_has_signature_and_serves_raw_applications(first, client) -> None:
    storage = client.get_model_version(NAME, first.version).tags["handover.storage_uri"]
    model = mlflow.pyfunc.load_model(storage)
    schema = model.metadata.get_input_schema()
    assert schema.input_names() == list(data.INPUTS)
    optional = [c.name for c in schema.inputs if not c.required]
    assert optional == ["employment_years"]
    frame = data.generate(20, 123)
    scores = model.predict(frame[list(data.INPUTS)])
    assert scores.shape == (20, 2)
    assert ((scores >= 0) & (scores <= 1)).all()


def test_same_data_and_seed_give_the_same_metrics(first, client, store, audit_url) -> None:
    """Second run on the same data and seed, with the first version as champion."""
    client.set_registered_model_alias(NAME, "champion", first.version)
    second = run_local("int", store.workdir, tracking_uri=store.tracking_uri, audit_url=audit_url)
    differ = {"registry.version", "champion.version"}
    mine = {k: v for k, v in first.metrics.items() if k not in differ}
    theirs = {
        k: v for k, v in second.metrics.items() if k not in differ and not k.startswith("champion.")
    }
    assert mine == theirs
    assert int(second.version) == int(first.version) + 1
    assert second.metrics["champion.version"] == first.version
    assert second.metrics["champion.roc_auc"] == first.metrics["test.roc_auc"]
    assert second.metrics["champion.delta.roc_auc"] == 0.0
    names = [(e.name, e.source) for e in _entries(audit_url, second.run)]
    position = names.index(("champion.version", S + "evaluate")) + 1
    assert names[position : position + 3] == [(n, S + s) for n, s in CHAMPION]
    rules = next(e for e in _entries(audit_url, second.run) if e.name == "gates.analytics")
    assert "champion.delta.roc_auc" in [r["rule"] for r in rules.value["rules"]]
    # evaluating the champion left its artifact (and so its digest) untouched
    tags = client.get_model_version(NAME, first.version).tags
    assert artifact_digest(_path(tags["handover.storage_uri"])) == tags["handover.model_digest"]


def test_bad_data_stops_at_validation_and_is_recorded(
    first, client, store, audit_url, tmp_path
) -> None:
    frame = data.generate(1200, 7)  # below int mode's sample size: every row is validated
    frame.loc[:4, "income"] = None
    frame.loc[10, "age"] = 150
    path = tmp_path / "bad.csv"
    data.write_csv(frame, path)
    before = {str(v.version) for v in client.search_model_versions(f"name='{NAME}'")}
    with pytest.raises(CheckFailedError) as failure:
        run_local(
            "int",
            store.workdir,
            tracking_uri=store.tracking_uri,
            audit_url=audit_url,
            data=path,
            run="bad-data-run",
        )
    message = str(failure.value)
    assert message.startswith("data validation failed: ")
    assert "column 'age': rule range: 1 values outside [18, 100], e.g. 150.0" in message
    assert "column 'income': rule not_null: 5 missing values in a required column" in message
    entries = _entries(audit_url, "bad-data-run")
    assert [e.name for e in entries][-2:] == ["data.validation", "pipeline.status"]
    verdict, status = entries[-2], entries[-1]
    assert verdict.value["passed"] is False
    assert [(f["column"], f["rule"]) for f in verdict.value["findings"]] == [
        ("age", "range"),
        ("income", "not_null"),
    ]
    assert status.value["status"] == "failed" and status.value["step"] == "validate"
    assert "rule not_null" in status.value["reason"]
    assert {str(v.version) for v in client.search_model_versions(f"name='{NAME}'")} == before
    runs = client.search_runs(
        [client.get_experiment_by_name(NAME).experiment_id],
        filter_string="tags.`mlops.pipeline.run` = 'bad-data-run'",
    )
    assert [r.info.status for r in runs] == ["FAILED"]


def test_failing_gates_register_without_the_alias(first, client, store, audit_url, config) -> None:
    strict = config.model_copy(
        update={
            "modes": {
                **config.modes,
                "int": config.modes["int"].model_copy(
                    update={
                        "gates": config.modes["int"].gates.model_copy(update={"min_roc_auc": 0.99})
                    }
                ),
            }
        }
    )
    result = run_local(
        "int", store.workdir, tracking_uri=store.tracking_uri, audit_url=audit_url, config=strict
    )
    assert result.status == "gates_failed" and not result.candidate
    assert result.gate_failures.startswith("test.roc_auc: actual 0.")
    assert result.gate_failures.endswith("required >= 0.99")
    assert str(client.get_model_version_by_alias(NAME, "candidate").version) != result.version
    assert client.get_model_version(NAME, result.version).tags["mlops.gates.passed"] == "false"
    last = _entries(audit_url, result.run)[-1]
    assert last.value == {"status": "gates_failed", "step": "register"}
