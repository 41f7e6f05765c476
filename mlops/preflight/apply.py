"""Preflight against a cluster: apply every install server-side, in the order `pulumi up`
creates them, and wait for what Helm's `--wait` waits for; report what never becomes ready."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from mlops.preflight.findings import Finding
from mlops.preflight.objects import Rendered

FIELD_MANAGER = "mlops-preflight"
WAITED_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
FIRST_KINDS = ("Namespace", "CustomResourceDefinition")


def apply_and_wait(
    kubectl: Path, kubeconfig: Path, waves: list[list[Rendered]], timeout_seconds: int
) -> Iterator[Finding]:
    """Apply each wave (the objects of installs that may go together), then wait for its
    workloads to roll out and its LoadBalancer Services to get an address."""
    for wave in waves:
        ordered = sorted(wave, key=lambda o: o.kind not in FIRST_KINDS)
        for item in ordered:
            error = _kubectl(
                kubectl, kubeconfig,
                ["apply", "--server-side", "--force-conflicts", f"--field-manager={FIELD_MANAGER}",
                 "-n", item.target_namespace, "-f", "-"],
                yaml.safe_dump(item.manifest),
            )  # fmt: skip
            if error:
                yield Finding(item.install, "apply", item.subject, f"refused: {error}")
        for item in wave:
            yield from _wait(kubectl, kubeconfig, item, timeout_seconds)


def _wait(kubectl: Path, kubeconfig: Path, item: Rendered, timeout: int) -> Iterator[Finding]:
    target = f"{item.kind.lower()}/{item.name}"
    if item.kind in WAITED_KINDS:
        error = _kubectl(
            kubectl, kubeconfig,
            ["rollout", "status", target, "-n", item.target_namespace, f"--timeout={timeout}s"],
        )  # fmt: skip
        if error:
            yield Finding(item.install, "apply", item.subject, f"never ready: {error}")
    if item.kind == "Service" and (item.manifest.get("spec") or {}).get("type") == "LoadBalancer":
        error = _kubectl(
            kubectl, kubeconfig,
            ["wait", target, "-n", item.target_namespace, f"--timeout={timeout}s",
             "--for=jsonpath={.status.loadBalancer.ingress}"],
        )  # fmt: skip
        if error:
            yield Finding(item.install, "apply", item.subject, f"never got an address: {error}")


def _kubectl(kubectl: Path, kubeconfig: Path, args: list[str], stdin: str | None = None) -> str:
    """Run kubectl; the last line of its error output, or '' when it succeeded."""
    result = subprocess.run(
        [str(kubectl), f"--kubeconfig={kubeconfig}", *args],
        input=stdin, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode == 0:
        return ""
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {result.returncode}"
