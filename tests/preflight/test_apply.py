"""The cluster step's order and waits, against a kubectl stand-in that records its calls (the
real API server run is the control plane's; see docs/preflight.md)."""

from pathlib import Path

from mlops.preflight.apply import apply_and_wait
from mlops.preflight.objects import Rendered

KUBECTL = """#!/bin/sh
shift  # --kubeconfig=...
case "$1" in
  apply) echo "apply $(grep '^kind:')" >> "{log}" ;;
  *) echo "$*" >> "{log}" ;;
esac
case "$*" in
  *"rollout status deployment/stuck"*) echo "error: timed out waiting for the condition" >&2; exit 1 ;;
esac
"""


def item(kind: str, name: str, api_version: str = "v1") -> Rendered:
    return Rendered(
        "r", "urn:r", "apps", {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
    )


def test_crds_and_namespaces_go_first_and_unready_workloads_are_reported(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(KUBECTL.format(log=log))
    kubectl.chmod(0o755)
    wave = [
        item("Deployment", "stuck", "apps/v1"),
        item("CustomResourceDefinition", "widgets.example.com", "apiextensions.k8s.io/v1"),
        item("Deployment", "fine", "apps/v1"),
    ]
    found = list(apply_and_wait(kubectl, tmp_path / "kubeconfig", [wave], timeout_seconds=5))
    calls = log.read_text().splitlines()
    assert calls[:3] == [
        "apply kind: CustomResourceDefinition",
        "apply kind: Deployment",
        "apply kind: Deployment",
    ]
    assert calls[3:] == [
        "rollout status deployment/stuck -n apps --timeout=5s",
        "rollout status deployment/fine -n apps --timeout=5s",
    ]
    assert [(f.subject, f.check) for f in found] == [("Deployment apps/stuck", "apply")]
    assert "timed out" in found[0].message
