"""`mlops promote` and `mlops rollback` as a user runs them, in process, on the scratch world."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli.app import app
from mlops.errors import CheckFailedError
from tests.conftest import REPO
from tests.gates.scenario import MODEL, World, run_git

runner = CliRunner()


def mlops(world: World, command: str, *args: str):
    extra = ["--tracking-uri", world.tracking_uri] if command == "promote" else []
    return runner.invoke(
        app, [command, *args, "--audit", world.audit_url, "--root", str(world.repo), *extra]
    )


def test_promote_push_finalize_and_rollback(world: World, tmp_path: Path):
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    run_git(world.repo, "remote", "add", "origin", str(bare))
    version = world.register()
    world.training_evidence(version)
    result = mlops(world, "promote", "--model", MODEL, "--version", version, "--to", "dev",
                   "--strategy", "shadow:20", "--push", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["branch"] == f"promote/{MODEL}/dev/v{version}"
    assert outcome["pushed"] is True and outcome["pull_request"] is None
    assert f"gitops/envs/dev/models/{MODEL}.yaml" in outcome["changed"]
    assert all(Path(p).is_file() for p in outcome["reports"])
    assert run_git(Path(bare), "rev-parse", outcome["branch"]).strip() == outcome["commit"]

    again = mlops(world, "promote", "--model", MODEL, "--version", version, "--to", "dev")
    assert isinstance(again.exception, CheckFailedError)
    assert "already exists" in str(again.exception)

    early = mlops(
        world, "promote", "--model", MODEL, "--version", version, "--to", "dev", "--finalize"
    )
    assert isinstance(early.exception, CheckFailedError)  # not merged yet
    world.merge(outcome["branch"])
    done = mlops(
        world,
        "promote",
        "--model",
        MODEL,
        "--version",
        version,
        "--to",
        "dev",
        "--finalize",
        "--json",
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["alias"] == "serving-dev"
    assert world.registry.version_by_alias(MODEL, "serving-dev") == version

    second = world.register()
    world.training_evidence(second)
    result = mlops(world, "promote", "--model", MODEL, "--version", second, "--to", "dev")
    assert result.exit_code == 0, result.output
    world.merge(f"promote/{MODEL}/dev/v{second}")
    back = mlops(world, "rollback", "--model", MODEL, "--env", "dev", "--json")
    assert back.exit_code == 0, back.output
    assert (json.loads(back.output)["from_version"], json.loads(back.output)["to_version"]) == (
        second,
        version,
    )


def test_failing_gate_prints_the_report_and_exits_1(world: World):
    version = world.register()
    world.training_evidence(version, roc_auc=0.4)
    result = mlops(world, "promote", "--model", MODEL, "--version", version, "--to", "dev")
    assert result.exit_code == 1
    assert "FAIL roc-auc: test.roc_auc = 0.4; required >= 0.75" in result.output
    assert "nothing written" in result.output
    assert not (world.repo / ".mlops").exists()
    assert run_git(world.repo, "branch", "--format=%(refname:short)").split() == ["main"]


def test_bad_strategy_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "mlops", "promote", "--model", MODEL, "--version", "5", "--to", "int",
         "--strategy", "rolling", "--audit", "sqlite:///unused.db"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--strategy: 'rolling'" in result.stderr
    assert not (REPO / "unused.db").exists()


TO_DEV = ["promote", "--model", MODEL, "--version", "5", "--to", "dev"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "--model", MODEL, "--version", "5", "--to", "qa"], "--to: no gate"),
        (TO_DEV, "--tracking-uri"),
        (["rollback", "--model", MODEL, "--env", "qa"], "--env: 'qa'; allowed: dev, int, prod"),
        (
            [*TO_DEV, "--transfer-to", "https://bucket/x", "--tracking-uri", "http://127.0.0.1:9"],
            "--transfer-to: 'https://bucket/x'; allowed: s3://BUCKET or s3://BUCKET/PREFIX",
        ),
        (
            [*TO_DEV, "--finalize", "--transfer-to", "s3://released-models"],
            "--finalize: takes no --strategy, --transfer-to",
        ),
    ],
)
def test_bad_input_leaves_no_audit_log_behind(mlops, monkeypatch, tmp_path, args, message):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    log = tmp_path / "audit.db"
    code, _, err = mlops(*args, "--audit", f"sqlite:///{log}")
    assert code == 2 and message in err
    assert not log.exists()
