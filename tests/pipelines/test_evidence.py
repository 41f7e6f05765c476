"""Evidence: each measurement is in the audit log when `measure` returns, numbers also in MLflow."""

from pathlib import Path
from typing import Any

from mlops.governance.client import EmbeddedAuditClient, Subject
from mlops.pipelines.evidence import Evidence


class Metrics:
    def __init__(self) -> None:
        self.logged: list[tuple[str, str, float]] = []

    def log_metric(self, run_id: str, key: str, value: float) -> None:
        self.logged.append((run_id, key, value))


def test_measure_appends_then_mirrors_numbers(tmp_path: Path) -> None:
    audit = EmbeddedAuditClient(f"sqlite:///{tmp_path / 'a.db'}")
    metrics = Metrics()
    subject = Subject(model="m", version="2", environment="int", run="r1", commit="c")
    evidence = Evidence(audit, subject, "train-pipeline", metrics, "run-id")  # type: ignore[arg-type]
    values: list[Any] = [0.81, 3, True, {"tn": 1}, None]
    for index, value in enumerate(values):
        evidence.measure("step", f"m{index}", value, "unit")
        assert len(audit.query(subject)) == index + 1  # stored before the next one is produced
    entries = audit.query(subject)
    assert [e.value for e in entries] == values
    assert {e.source for e in entries} == {"train-pipeline/step"}
    assert entries[0].subject == subject and entries[0].unit == "unit"
    assert metrics.logged == [("run-id", "m0", 0.81), ("run-id", "m1", 3.0)]
    assert [m.name for m in evidence.recorded] == ["m0", "m1", "m2", "m3", "m4"]
    audit.close()


def test_artifact_digests_and_kind_reach_the_log(tmp_path: Path) -> None:
    audit = EmbeddedAuditClient(f"sqlite:///{tmp_path / 'a.db'}")
    evidence = Evidence(audit, Subject(run="r2"), "p")
    digest = "sha256:" + "0" * 64
    evidence.measure(
        "s", "verdict.x", {"passed": False}, artifacts={"data": digest}, kind="verdict"
    )
    (entry,) = audit.query(Subject(run="r2"))
    assert entry.kind == "verdict" and entry.artifacts == {"data": digest}
    audit.close()
