"""`mlops evidence outcomes`: delayed labels joined to logged predictions by request id give
live ROC AUC and the fairness gaps the gates use; bad labels are one message and exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from mlops.governance.client import Subject
from pipelines.credit_risk.metrics import fairness
from tests.evidence.conftest import traffic


@pytest.fixture
def labelled(predictor, tmp_path):
    """Thirty single-row requests with caller ids, and their outcomes (label, sex)."""
    frame = traffic(30, seed=9)
    rng = np.random.default_rng(9)
    rows = []
    for index in range(len(frame)):
        request_id = f"loan-{tmp_path.name}-{index}"
        answer = predictor.send(frame.iloc[[index]], request_id=request_id).json()
        score = answer["predictions"][0]
        score = score[-1] if isinstance(score, list) else score
        rows.append({"request_id": request_id, "label": int(rng.random() < 0.5),
                     "sex": "female" if index % 2 else "male", "score": float(score)})  # fmt: skip
    table = pd.DataFrame(rows)
    path = tmp_path / "labels.csv"
    table[["request_id", "label", "sex"]].to_csv(path, index=False)
    return path, table


def test_outcomes_record_live_roc_auc_and_fairness(mlops, predictor, labelled, audit):
    url, client = audit
    path, table = labelled
    code, out, err = mlops("evidence", "outcomes", "--labels", str(path), "--env", "prod",
                           "--request-log", str(predictor.log), "--audit", url, "--json")  # fmt: skip
    assert code == 0, err
    (found,) = json.loads(out)["quality"]
    expected_auc = round(float(roc_auc_score(table["label"], table["score"])), 6)
    gaps = fairness(table["label"].to_numpy(), table["score"].to_numpy(), table["sex"])
    assert found["outcomes"] == 30 and found["roc_auc"] == pytest.approx(expected_auc, abs=1e-6)
    assert found["fairness"] == {
        "fairness.sex.demographic_parity_difference": gaps["demographic_parity_difference"],
        "fairness.sex.equalized_odds_difference": gaps["equalized_odds_difference"],
    }
    entries = {e.name: e for e in client.query(Subject(model="credit", version="7"))}
    assert entries["live.roc_auc"].value == found["roc_auc"]
    assert entries["live.roc_auc"].subject.environment == "prod"
    assert "live.fairness.sex.equalized_odds_difference" in entries
    assert entries["live.outcomes"].artifacts["labels"].startswith("sha256:")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "labels.csv: CSV file not found"),
        ("request_id,outcome\nx,1\n", "no column label"),
        ("request_id,label\n{first},yes\n", "label 'yes' in row 1; allowed: 0 or 1"),
        (
            "request_id,label\n{first},1\nnot-logged,0\n",
            "1 of 2 outcomes match no logged prediction (request id#row), e.g. not-logged#0",
        ),
        ("request_id,label,row\n{first},1,5\n", "e.g. {first}#5"),
    ],
)
def test_bad_labels_are_one_message_and_exit_2(mlops, predictor, labelled, tmp_path, content,
                                               message):  # fmt: skip
    first = labelled[1]["request_id"][0]
    path = tmp_path / "labels.csv"
    path.unlink()
    if content is not None:
        path.write_text(content.format(first=first))
    audit = tmp_path / "audit.db"
    code, _, err = mlops("evidence", "outcomes", "--labels", str(path), "--env", "prod",
                         "--request-log", str(predictor.log), "--audit", str(audit))  # fmt: skip
    assert code == 2, err
    assert message.format(first=first) in err and "Traceback" not in err
    assert not audit.exists()


def test_collect_records_ground_truth_where_present(mlops, predictor, labelled, audit):
    url, client = audit
    path, _ = labelled
    code, out, err = mlops("evidence", "collect", "--env", "prod", "--metrics-url", predictor.metrics,
                           "--request-log", str(predictor.log), "--labels", str(path),
                           "--max-p95-latency-ms", "10000", "--audit", url, "--json")  # fmt: skip
    assert code in (0, 1), err  # the drift verdict is not what this test is about
    assert any(note.startswith(f"ground truth from {path}") for note in json.loads(out)["notes"])
    (auc,) = client.query(Subject(model="credit", version="7"), name="live.roc_auc")
    assert auc.subject.environment == "prod" and 0 <= auc.value <= 1
