"""`mlops preflight` as a user runs it: bad input and missing charts are exit 2 with one message,
never a silent pass."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def preflight(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops", "preflight", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_without_charts_it_names_each_chart_and_how_to_get_it(tmp_path: Path) -> None:
    # a proxy nobody listens on: `helm pull` fails here as it does on a machine offline
    offline = {
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    done = preflight("--stack", "prod", "--charts", str(tmp_path / "charts"), env=offline)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "could not be pulled" in message
    for pull in (
        "helm pull kube-prometheus-stack --repo https://prometheus-community.github.io/helm-charts",
        "helm pull oci://ghcr.io/kserve/charts/kserve-resources --version v0.21.0",
        "helm pull argo-cd --repo https://argoproj.github.io/argo-helm",
    ):
        assert pull in message
    assert list((tmp_path / "charts").glob("*.tgz")) == []  # nothing written


def test_an_unknown_stack_is_bad_input() -> None:
    done = preflight("--stack", "staging")
    assert done.returncode == 2
    assert "staging" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_kubeconfig_that_is_not_a_file_is_bad_input(tmp_path: Path) -> None:
    done = preflight("--stack", "local", "--kubeconfig", str(tmp_path / "missing"))
    assert done.returncode == 2
    assert "--kubeconfig" in done.stderr
