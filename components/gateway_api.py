"""The Gateway API and its implementation, Envoy Gateway: the standard-channel Gateway API CRDs
and Envoy Gateway's policy CRDs (one release, upgraded with the chart, unlike a chart's `crds/`
folder), then the Envoy Gateway controller, which turns Gateways, HTTPRoutes and
SecurityPolicies into Envoy proxies (`components/edge.py` declares those).

Installed before everything that watches Gateway API kinds: KServe (its HTTPRoutes) and
cert-manager (its Gateway support is decided at start-up).
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.helm import pinned_release
from mlops.config.model import ChartVersions
from mlops.config.namespaces import NAMESPACES

CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "1Gi"},
}


@dataclass(frozen=True)
class GatewayApiArgs:
    charts: ChartVersions  # gateway_crds, envoy_gateway
    replicas: int  # replicas.gateway: controller replicas (leader election)


class GatewayApi(pulumi.ComponentResource):
    """The CRDs and the controller; `crds` is what custom resources of these kinds wait for."""

    crds: k8s.helm.v3.Release
    controller: k8s.helm.v3.Release

    def __init__(
        self, name: str, args: GatewayApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:gateway_api:GatewayApi", name, None, opts)
        namespace = NAMESPACES["gateway"].name
        self.crds = pinned_release(
            "gateway-crds",
            args.charts.gateway_crds,
            namespace,
            crd_values(),
            pulumi.ResourceOptions(parent=self),
        )
        self.controller = pinned_release(
            "envoy-gateway",
            args.charts.envoy_gateway,
            namespace,
            controller_values(args),
            pulumi.ResourceOptions(parent=self, depends_on=[self.crds]),
        )
        self.register_outputs({})


def crd_values() -> dict[str, Any]:
    """The standard channel only: experimental kinds are not part of the platform's contract."""
    return {
        "crds": {
            "gatewayAPI": {"enabled": True, "channel": "standard"},
            "envoyGateway": {"enabled": True},
        }
    }


def controller_values(args: GatewayApiArgs) -> dict[str, Any]:
    return {
        "crds": {"enabled": False},  # the gateway-crds release owns them
        "deployment": {
            "replicas": args.replicas,
            "envoyGateway": {"resources": RESOURCES},
        },
        "podDisruptionBudget": {"minAvailable": 1 if args.replicas >= 2 else 0},
        "config": {
            "envoyGateway": {
                "gateway": {"controllerName": CONTROLLER_NAME},
                "provider": {"type": "Kubernetes"},
                "logging": {"level": {"default": "info"}},
            }
        },
    }
