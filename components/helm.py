"""The one way components install a Helm chart: pinned to the exact version the stack config names."""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from mlops.config.model import ChartPin


def pinned_release(
    name: str,
    pin: ChartPin,
    namespace: str,
    values: dict[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A Helm release that never floats: chart version from config, atomic, no CRD surprises."""
    oci = pin.repository.startswith("oci://")
    return k8s.helm.v3.Release(
        name,
        name=name,
        chart=f"{pin.repository}/{pin.chart}" if oci else pin.chart,
        version=pin.version,
        repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
        namespace=namespace,
        create_namespace=False,
        atomic=True,
        cleanup_on_fail=True,
        timeout=900,
        values=values,
        opts=opts,
    )
