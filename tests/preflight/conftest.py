"""Fixture charts (tests/preflight/charts) rendered with the project's pinned Helm 3."""

from pathlib import Path

import pytest

from mlops.preflight.installs import HelmInstall
from mlops.preflight.render import HelmRenderer

CHARTS = Path(__file__).parent / "charts"


@pytest.fixture(scope="session")
def helm() -> Path:
    from mlops.preflight.tools import tools

    return tools().helm


def install(
    chart: str, values: dict, name: str | None = None, namespace: str = "apps"
) -> HelmInstall:
    return HelmInstall(
        name=name or chart,
        chart=chart,
        version="1.0.0",
        repository="https://charts.example.com",
        namespace=namespace,
        values=values,
        urn=f"urn:{name or chart}",
    )


def renderer(helm: Path, chart: str, values: dict, **kwargs: object) -> HelmRenderer:
    return HelmRenderer(helm, CHARTS / chart, install(chart, values, **kwargs), "1.35.0")
