"""Preflight's cluster step: the rendered objects applied to a real API server."""

from pathlib import Path

from mlops.preflight.apply import apply_and_wait
from mlops.preflight.findings import Finding
from mlops.preflight.run import Report, Tools


def check_on_cluster(
    report: Report, tools: Tools, kubeconfig: Path, timeout_seconds: int
) -> list[Finding]:
    """Apply every wave server-side and wait for it as Helm would."""
    return list(apply_and_wait(tools.kubectl, kubeconfig, report.waves, timeout_seconds))
