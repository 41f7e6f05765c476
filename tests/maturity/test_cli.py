"""`mlops maturity`: exit codes, one-line errors without traceback, nothing written on bad input."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops.maturity.answers import parse_answers
from mlops.maturity.scheme import Scheme

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "maturity" / "answers-example.yaml"


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from mlops.cli.app import main

    monkeypatch.setattr(sys, "argv", ["mlops", "maturity", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


def _answers_file(tmp_path: Path, answers: dict[str, Any]) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump({"milestones": [{"name": "now", "answers": answers}]}))
    return path


def test_template_is_a_valid_questionnaire(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, scheme: Scheme
) -> None:
    code, out, _ = run(monkeypatch, capsys, "template", "--milestone", "MS2")
    assert code == 0
    parsed = parse_answers(yaml.safe_load(out), scheme, "stdout")
    assert parsed.milestones[0].name == "MS2"
    assert len(parsed.milestones[0].answers) == 27


def test_assess_example_json(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    code, out, _ = run(monkeypatch, capsys, "assess", str(EXAMPLE), "--json")
    assert code == 0
    document = json.loads(out)
    assert [m["name"] for m in document["milestones"]] == ["MS2", "MS4", "MS6"]
    assert [m["levels"]["people"] for m in document["milestones"]] == [1, 2, 3]
    assert document["roadmap"]


def test_assess_terminal_table_and_html(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    code, out, err = run(monkeypatch, capsys, "assess", str(EXAMPLE), "--html", str(report))
    assert code == 0
    assert "Model Release & Application Integration" in out
    assert "Roadmap:" in out
    assert "HTML report written" in err
    html = report.read_text()
    assert 'id="radar-chart"' in html and 'id="progression-chart"' in html


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {"people": {"data_scientist": 1}},
            "milestones[0].answers.people.data_scientist: unknown factor; allowed: data_scientists",
        ),
        (
            {"people": {"data_scientists": 7}},
            "people.data_scientists: level 7 out of range; allowed: an integer 0..4",
        ),
        ({"people": {"data_scientists": 1}}, "factor(s) not rated"),
    ],
)
def test_bad_answers_exit_2_with_one_message(
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    tmp_path: Path,
    answers: dict[str, Any],
    expected: str,
) -> None:
    path = _answers_file(tmp_path, answers)
    report = tmp_path / "report.html"
    code, out, err = run(monkeypatch, capsys, "assess", str(path), "--html", str(report))
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert str(path) in " ".join(err.split())
    assert expected in " ".join(err.split())
    assert not report.exists()


def test_malformed_file_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("milestones: [\n  {name: a\n")
    code, _, err = run(monkeypatch, capsys, "assess", str(path))
    assert code == 2
    assert "invalid YAML" in err and "Traceback" not in err


def test_html_into_missing_directory_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    code, _, err = run(
        monkeypatch, capsys, "assess", str(EXAMPLE), "--html", str(tmp_path / "no" / "r.html")
    )
    assert code == 2
    assert "--html: is a directory or its directory does not exist" in " ".join(err.split())
    code, _, err = run(monkeypatch, capsys, "assess", str(EXAMPLE), "--html", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}: --html: is a directory" in " ".join(err.split())


def test_audit_log_needs_from_platform(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    code, _, err = run(
        monkeypatch, capsys, "assess", str(EXAMPLE), "--audit", str(tmp_path / "a.db")
    )
    assert code == 2
    assert "--audit: only used with --from-platform" in err


def test_from_platform_prefills_and_cites(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path, rate_all: Any
) -> None:
    repo = tmp_path / "repo"
    (repo / "components").mkdir(parents=True)
    (repo / "components" / "tracking.py").write_text("MLFLOW_IMAGE = 'mlflow'\n")
    answers = rate_all(1)
    del answers["model_creation"]["experiment_tracking"]
    path = _answers_file(tmp_path, answers)
    code, out, _ = run(
        monkeypatch, capsys, "assess", str(path), "--json", "--from-platform", "--repo", str(repo)
    )
    assert code == 0
    document = json.loads(out)
    [note] = document["evidence"]
    assert (note["factor"], note["proven"], note["action"]) == ("experiment_tracking", 4, "filled")
    assert note["evidence"] == ["components/tracking.py:1: MLFLOW_IMAGE = 'mlflow'"]
    model = next(d for d in document["milestones"][0]["dimensions"] if d["id"] == "model_creation")
    tracking = next(f for f in model["factors"] if f["factor"] == "experiment_tracking")
    assert (tracking["level"], tracking["source"]) == (4, "platform")


def test_template_from_platform_carries_evidence(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path, scheme: Scheme
) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(
        "config:\n  mlops:mlflow: {enabled: true}\n"
    )
    code, out, _ = run(monkeypatch, capsys, "template", "--from-platform", "--repo", str(tmp_path))
    assert code == 0
    parsed = parse_answers(yaml.safe_load(out), scheme, "stdout")
    answer = parsed.milestones[0].answers[("model_creation", "experiment_tracking")]
    assert answer.level == 4
    assert answer.evidence == ("stacks/Pulumi.dev.yaml:2: mlops:mlflow: {enabled: true}",)


def test_console_command_has_no_traceback_on_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("milestones:\n  - name: a\n    answers: {people: {nobody: 1}}\n")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mlops.cli.app import main; main()",
            "maturity",
            "assess",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "people.nobody: unknown factor" in " ".join(result.stderr.split())
