"""Shared fixtures: the repository's stack configs, loaded once per test session, and a scratch
world for promotion (tests/gates/scenario.py), which the gate, promotion and cluster tests use."""

import fcntl
import io
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlops.config.loader import load_stack
from mlops.config.model import StackConfig
from mlops.plan.runner import ensure_event_loop

if TYPE_CHECKING:
    from tests.gates.scenario import World

REPO = Path(__file__).resolve().parents[1]
STACKS_DIR = REPO / "stacks"
STACK_NAMES = ("local", "dev", "int", "prod")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """The workers take whole packages: a package-scoped fixture (the control plane of
    tests/cluster) then starts once, not each time a worker returns to its package."""
    from xdist.scheduler import LoadScopeScheduling

    class PackageScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0].rsplit("/", 1)[0]

    return PackageScheduling(config, log)


class MachineLock:
    """The run's workers share the machine; a body under `alone()` has it to itself. Each test
    holds the lock shared, `alone()` exclusively; the turnstile stops new tests from entering
    while `alone()` waits for those running to finish."""

    def __init__(self, testrun_uid: str) -> None:
        base = Path(tempfile.gettempdir()) / f"mlops-tests-{testrun_uid}"
        self.lock = base.with_suffix(".lock")
        self.turnstile = base.with_suffix(".turnstile")

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self.lock.open("a") as lock, self.turnstile.open("a") as turnstile:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(lock, fcntl.LOCK_SH)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            yield

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self.lock.open("a") as lock, self.turnstile.open("a") as turnstile:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


@pytest.fixture(scope="session")
def machine(testrun_uid: str) -> MachineLock:
    """For what measures speed against a gate (the demo's load tests): `machine.alone()`."""
    return MachineLock(testrun_uid)


@pytest.fixture(autouse=True)
def _shares_the_machine(machine: MachineLock) -> Iterator[None]:
    with machine.shared():
        yield


@pytest.fixture(autouse=True)
def _current_event_loop() -> None:
    """Pulumi's `@pulumi.runtime.test` runs on the current event loop, which a test that used
    `asyncio.run` before it (in the same worker) left unset."""
    ensure_event_loop()


@pytest.fixture(scope="session")
def stack_configs() -> dict[str, StackConfig]:
    return {name: load_stack(STACKS_DIR, name) for name in STACK_NAMES}


CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def mlops(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRun:
    """Call the `mlops` entry point in-process (fast) with its real exit-code mapping;
    `run(*args, stdin=None)` returns (exit code, stdout, stderr). MLflow's process-wide
    tracking and registry URIs start unset, as in a new process: an earlier test in the same
    worker may have set them."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(registry_utils, "_registry_uri", None)

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        from mlops.cli.app import main

        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        monkeypatch.setattr(sys, "argv", ["mlops", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator["World"]:
    """A scratch Git repository with the GitOps tree, a real MLflow (SQLite) and audit log."""
    from tests.gates.scenario import migrated_mlflow_db, new_world  # MLflow: only when asked for

    template = migrated_mlflow_db(tmp_path_factory.mktemp("mlflow-template"))
    scratch = new_world(tmp_path, template)
    yield scratch
    scratch.audit.close()
