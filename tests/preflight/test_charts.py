"""The chart cache: found by `helm pull`'s file names; what is missing stops preflight with the
command that fetches it."""

from pathlib import Path

import pytest

from mlops.preflight.charts import MissingChartsError, chart_path, missing_tree, resolve_charts
from tests.preflight.conftest import install


@pytest.mark.parametrize("file", ["app-1.0.0.tgz", "app-v1.0.0.tgz", "app-1.0.0"])
def test_a_pulled_chart_is_found_with_or_without_a_v(tmp_path: Path, file: str) -> None:
    (tmp_path / file).touch()
    assert chart_path(tmp_path, install("app", {})) == tmp_path / file


def test_missing_charts_name_each_chart_and_its_pull_command(tmp_path: Path) -> None:
    oci = install("kserve-resources", {})
    oci = type(oci)(**{**oci.__dict__, "repository": "oci://ghcr.io/kserve/charts"})
    failing_helm = tmp_path / "helm"
    failing_helm.write_text("#!/bin/sh\nexit 1\n")
    failing_helm.chmod(0o755)
    with pytest.raises(MissingChartsError) as raised:
        resolve_charts(tmp_path / "cache", [install("app", {}), oci], failing_helm)
    message = str(raised.value)
    assert (
        f"helm pull app --repo https://charts.example.com --version 1.0.0 -d {tmp_path}/cache"
        in message
    )
    assert (
        f"helm pull oci://ghcr.io/kserve/charts/kserve-resources --version 1.0.0 -d {tmp_path}/cache"
        in message
    )


def test_a_tree_kustomize_cannot_fetch_names_the_repository_to_mirror(tmp_path: Path) -> None:
    error = (
        "accumulating resources from 'https://github.com/argoproj/argo-workflows/manifests/base"
        "?ref=v4.0.5': failed to run '/usr/bin/git fetch --depth=1 "
        "https://github.com/argoproj/argo-workflows v4.0.5': fatal: unable to access "
        "'https://github.com/argoproj/argo-workflows/': Could not resolve host: github.com"
    )
    found = missing_tree(tmp_path, error)
    assert found is not None
    assert "https://github.com/argoproj/argo-workflows at v4.0.5" in str(found)
    target = tmp_path / "git/github.com/argoproj/argo-workflows"
    assert f"git clone --mirror https://github.com/argoproj/argo-workflows {target}" in str(found)
    assert missing_tree(tmp_path, "error: a resource has no name") is None
