"""Gate files: the committed ones validate, the schema is current, bad files are refused."""

from pathlib import Path

import pytest

from mlops.errors import BadInputError
from mlops.gates.spec import GATES_DIR, SCHEMA_FILE, gate_for, load_all, load_gate, schema_text
from tests.conftest import REPO

GOOD = """\
gate: sample
subject: model
source: registry
to: dev
rules:
  - id: auc
    kind: metric
    measurement: eval.roc_auc
    op: ">="
    value: 0.7
"""


def write(tmp_path: Path, text: str, name: str = "sample") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_committed_gates_cover_every_transition():
    gates = {gate.to: (gate.subject, gate.requires_in) for _, gate in load_all(REPO).values()}
    assert gates == {
        "analytics-int": ("code", None),
        "analytics-prod": ("code", None),
        "dev": ("model", None),
        "int": ("model", "dev"),
        "prod": ("model", "int"),
    }


def test_committed_schema_is_current():
    assert (REPO / GATES_DIR / SCHEMA_FILE).read_text() == schema_text()


def test_prod_gate_asks_for_slos_soak_and_two_release_managers():
    _, gate = gate_for(REPO, "model", "prod")
    kinds = {rule.id: rule for rule in gate.rules}
    assert {kinds[i].measurement for i in ("p95-latency", "error-rate", "throughput")} == {
        "loadtest.p95_latency_ms", "loadtest.error_rate", "loadtest.throughput_rps",
    }  # fmt: skip
    assert kinds["soak"].hours == 24
    assert (kinds["release-managers"].count, kinds["release-managers"].path) == (
        2,
        "gitops/envs/prod/",
    )


def test_good_file_loads(tmp_path: Path):
    assert load_gate(write(tmp_path, GOOD)).rules[0].id == "auc"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('op: ">="', 'op: ">>"'), "rules.0.metric.op"),
        (("kind: metric", "kind: vibes"), "unknown rule kind"),
        (("value: 0.7", "value: 0.7\n    thresold: 1"), "rules.0.metric.thresold: unknown key"),
        (("to: dev", "to: analytics-prod"), "for a model gate"),
        (("gate: sample", "gate: other"), "must match the file name"),
    ],
)
def test_bad_files_name_file_and_key(tmp_path: Path, change: tuple[str, str], message: str):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(BadInputError, match=r"sample\.yaml") as error:
        load_gate(path)
    assert message in str(error.value)


def test_duplicate_rule_ids_are_refused(tmp_path: Path):
    rule = GOOD.split("rules:\n")[1]
    with pytest.raises(BadInputError, match="duplicate id auc"):
        load_gate(write(tmp_path, GOOD + rule))


def test_code_gate_cannot_use_model_rules(tmp_path: Path):
    text = GOOD.replace("subject: model", "subject: code").replace("to: dev", "to: analytics-int")
    text += "  - id: soak\n    kind: soak_time\n    environment: int\n    hours: 1\n"
    with pytest.raises(BadInputError, match="needs a model subject"):
        load_gate(write(tmp_path, text))


def test_unknown_target_lists_the_allowed_ones():
    with pytest.raises(BadInputError, match="allowed: dev, int, prod"):
        gate_for(REPO, "model", "staging")
