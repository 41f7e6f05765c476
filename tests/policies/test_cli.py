"""`mlops policy`: exit codes (0 pass, 1 mandatory violation, 2 bad input), the JSON contract,
report files, and the policy config it prints for `pulumi preview --policy-pack-config`."""

import json
import sys
from pathlib import Path

import pytest

from mlops.cli.app import main
from tests.conftest import REPO
from tests.policies.conftest import BAD_PROGRAM, BAD_STACK, BAD_STACKS, EXPECTED_BAD, require_venv


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "argv", ["mlops", "policy", *args])
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def packs_installed() -> None:
    require_venv("baseline")
    require_venv("production")


def test_bad_fixture_exits_1_with_the_json_contract(monkeypatch, capsys) -> None:
    code, out, err = run(
        monkeypatch, capsys, "check", "--stack", BAD_STACK, "--stacks-dir", str(BAD_STACKS),
        "--program", str(BAD_PROGRAM), "--json",
    )  # fmt: skip
    assert code == 1, err
    document = json.loads(out)
    assert document["stack"] == BAD_STACK
    assert {rule["name"] for rule in document["rules"]} >= {rule for rule, _ in EXPECTED_BAD}
    mandatory = {
        (v["rule"], v["resource"])
        for v in document["violations"]
        if v["enforcement"] == "mandatory"
    }
    assert mandatory == EXPECTED_BAD
    assert all(
        set(v) >= {"rule", "resource", "enforcement", "message"} for v in document["violations"]
    )
    assert "4 mandatory violation(s)" in err


def test_clean_stack_exits_0_and_writes_the_report_file(
    monkeypatch, capsys, tmp_path: Path
) -> None:
    report = tmp_path / "policy.sarif"
    code, out, err = run(
        monkeypatch, capsys, "check", "-s", "local", "-f", "sarif", "-o", str(report)
    )
    assert code == 0, err
    assert out == ""
    sarif = json.loads(report.read_text())
    assert [run_["automationDetails"]["id"] for run_ in sarif["runs"]] == ["policy/local/"]
    assert sarif["runs"][0]["tool"]["driver"]["rules"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("check", "--stack", "staging"),
            "unknown stack 'staging'; allowed: dev, int, local, prod",
        ),
        (("check", "--stack", "dev", "--policies-dir", "nowhere"), "nowhere: no such directory"),
        (
            ("check", "--stack", "dev", "--program", "missing.py"),
            "missing.py: no such program file",
        ),
        (
            ("config", "--stack", "dev", "--pack", "production"),
            "'production' does not apply to environment 'dev'",
        ),
        (("gitops", "--path", "nowhere"), "nowhere: no such directory"),
    ],
)
def test_bad_input_exits_2_with_one_message(monkeypatch, capsys, args, message) -> None:
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2
    assert message in " ".join(err.split())
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import nowhere_to_be_found\n", "line 1: does not load: ModuleNotFoundError"),
        (
            "def program(config, secrets):\n    raise RuntimeError('boom')\n",
            "line 2: program(config, secrets) failed for stack 'dev': RuntimeError: boom",
        ),
    ],
)
def test_a_failing_program_exits_2_naming_its_line(monkeypatch, capsys, tmp_path, source, message):
    program = tmp_path / "extension.py"
    program.write_text(source)
    code, out, err = run(monkeypatch, capsys, "check", "-s", "dev", "--program", str(program))
    assert code == 2 and f"{program}, {message}" in " ".join(err.split())
    assert "Traceback" not in err and out == ""


def test_missing_pack_environment_exits_2(monkeypatch, capsys, tmp_path: Path) -> None:
    pack = tmp_path / "baseline"
    (pack / "config").mkdir(parents=True)
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text("")
    (pack / "config" / "dev.json").write_text("{}")
    code, _, err = run(monkeypatch, capsys, "check", "-s", "dev", "--policies-dir", str(tmp_path))
    assert code == 2
    assert "venv/bin/python: missing; run ./scripts/setup" in " ".join(err.split())


def test_unknown_format_is_a_usage_error(monkeypatch, capsys) -> None:
    code, _, _ = run(monkeypatch, capsys, "check", "-s", "dev", "--format", "html")
    assert code == 2


def test_config_prints_the_stack_driven_settings(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "config", "--stack", "prod", "--pack", "production")
    assert code == 0
    document = json.loads(out)
    allowed = document["kubernetes-pod-require-allowed-registry"]["allowedRegistries"]
    assert allowed[0] == "123456789012.dkr.ecr.eu-central-1.amazonaws.com"
    assert "quay.io/jetstack" in allowed  # the upstream repositories the pinned charts run
    assert document["kubernetes-deployment-require-replicas"] == {"minReplicas": 2}


def test_preview_args_name_every_applicable_pack_with_its_config(monkeypatch, capsys, tmp_path):
    code, out, _ = run(monkeypatch, capsys, "preview-args", "--stack", "prod", "--out-dir",
                       str(tmp_path))  # fmt: skip
    assert code == 0
    arguments = out.splitlines()
    assert arguments == [
        "--policy-pack", str(REPO / "policies/baseline"),
        "--policy-pack-config", str(tmp_path / "baseline.json"),
        "--policy-pack", str(REPO / "policies/production"),
        "--policy-pack-config", str(tmp_path / "production.json"),
    ]  # fmt: skip
    production = json.loads((tmp_path / "production.json").read_text())
    assert production["kubernetes-deployment-require-replicas"] == {"minReplicas": 2}
    code, out, _ = run(monkeypatch, capsys, "preview-args", "--stack", "local", "--out-dir",
                       str(tmp_path / "local"))  # fmt: skip
    assert code == 0 and "production" not in out  # the production pack applies to int and prod
