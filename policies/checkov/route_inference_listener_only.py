"""CKV_MLOPS_10: in int and prod every route is authenticated at the gateway. Argo CD cannot
sync a SecurityPolicy (the AppProject does not admit it), so a route in gitops/ is
authenticated only when it attaches solely to the platform Gateway's `inference` listener,
whose SecurityPolicy covers every route on it (components/edge.py). Any other HTTPRoute or
GRPCRoute of an int or prod environment fails."""

from typing import Any

from mlops_k8s import get, metadata_map

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

ENVIRONMENT_LABEL = "mlops.platform/environment"
AUTHENTICATED_ENVIRONMENTS = {"int", "prod"}
# components/edge.py: GATEWAY and the namespace of NAMESPACES["gateway"]; the listener whose
# policy authenticates every route (tests/policies/test_checkov.py keeps these in step)
GATEWAY = "platform"
GATEWAY_NAMESPACE = "envoy-gateway-system"
AUTHENTICATED_LISTENER = "inference"


def _authenticated(conf: dict[str, Any]) -> bool:
    parents = get(conf, "spec", "parentRefs", default=[])
    return bool(parents) and all(
        isinstance(parent, dict)
        and parent.get("name") == GATEWAY
        and parent.get("namespace") == GATEWAY_NAMESPACE
        and parent.get("sectionName") == AUTHENTICATED_LISTENER
        for parent in parents
    )


class RouteAuthenticated(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="int and prod routes attach only to the authenticated gateway listener",
            id="CKV_MLOPS_10",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["HTTPRoute", "GRPCRoute"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        environment = metadata_map(conf, "labels").get(ENVIRONMENT_LABEL)
        if environment not in AUTHENTICATED_ENVIRONMENTS or _authenticated(conf):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = RouteAuthenticated()
