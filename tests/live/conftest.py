"""Options of the live suite: which platform to verify.

    uv run pytest tests/live --target cluster --kubeconfig ~/.kube/mlops-dev [--context NAME]
    uv run pytest tests/live --target local --demo-workdir .mlops/demo   # `mlops demo --hold`

The same settings come from the environment (`MLOPS_VERIFY_TARGET`, `MLOPS_VERIFY_KUBECONFIG`,
`MLOPS_KUBE_CONTEXT`, `MLOPS_DEMO_WORKDIR`), so `uv run pytest` from the repository root can be
pointed at a platform too. A plain `KUBECONFIG` is not enough: the whole suite must never probe
whatever cluster a developer's shell happens to point at (the network check creates a pod).
Without a platform, every test skips and says which option it needs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("live", "live platform verification (tests/live)")
    group.addoption("--target", choices=("local", "cluster"), default=None,
                    help="local: the embedded platform; cluster: a live cluster")  # fmt: skip
    group.addoption("--kubeconfig", default=None, help="kubeconfig file of the cluster")
    group.addoption("--context", default=None, help="kubeconfig context (default: current)")
    group.addoption("--demo-workdir", default=None,
                    help="work directory of a running `mlops demo --hold`")  # fmt: skip


def _option(config: pytest.Config, name: str, env: str) -> str | None:
    try:
        value = config.getoption(name)
    except ValueError:  # options not registered (this conftest loaded after parsing)
        value = None
    return value or os.environ.get(env) or None


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> str | None:
    return _option(pytestconfig, "--target", "MLOPS_VERIFY_TARGET")


@pytest.fixture(scope="session")
def cluster(pytestconfig: pytest.Config, target: str | None):
    """API clients of the cluster under test; skips with the reason when none is given."""
    if target not in (None, "cluster"):
        pytest.skip(f"--target {target}: the cluster checks need --target cluster")
    kubeconfig = _option(pytestconfig, "--kubeconfig", "MLOPS_VERIFY_KUBECONFIG")
    if not kubeconfig:
        pytest.skip(
            "no cluster given: pass --kubeconfig PATH [--context NAME] "
            "(or set MLOPS_VERIFY_KUBECONFIG)"
        )
    path = Path(kubeconfig.split(os.pathsep)[0]).expanduser()
    if not path.is_file():
        pytest.fail(f"--kubeconfig {path}: no such file")
    from mlops.verify.cluster import connect

    return connect(path, _option(pytestconfig, "--context", "MLOPS_KUBE_CONTEXT"))


@pytest.fixture(scope="session")
def local_platform(pytestconfig: pytest.Config, target: str | None):
    """The running embedded platform; skips with the reason when none is given."""
    if target not in (None, "local"):
        pytest.skip(f"--target {target}: the embedded-platform checks need --target local")
    workdir = _option(pytestconfig, "--demo-workdir", "MLOPS_DEMO_WORKDIR")
    if not workdir:
        pytest.skip("no embedded platform given: run `mlops demo --hold`, then pass "
                    "--target local --demo-workdir DIR")  # fmt: skip
    from mlops.verify.local import load_platform

    found = load_platform(Path(workdir).resolve())
    if isinstance(found, str):
        pytest.fail(found)
    return found
