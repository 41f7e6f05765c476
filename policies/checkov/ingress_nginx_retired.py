"""CKV_MLOPS_9: nothing in gitops/ uses the retired ingress-nginx controller (no releases or
security fixes since March 2026): no Ingress of its class or with its annotations, no
IngressClass it implements. Services are exposed through the platform's Gateway."""

from typing import Any

from mlops_k8s import get, metadata_map

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

RETIRED_CONTROLLER = "k8s.io/ingress-nginx"
RETIRED_CLASSES = {"nginx"}
RETIRED_ANNOTATION = "nginx.ingress.kubernetes.io/"


def _retired(conf: dict[str, Any]) -> bool:
    if conf.get("kind") == "IngressClass":
        return get(conf, "spec", "controller") == RETIRED_CONTROLLER
    annotations = metadata_map(conf, "annotations")
    classes = {str(get(conf, "spec", "ingressClassName", default=""))}
    classes.add(str(annotations.get("kubernetes.io/ingress.class", "")))
    return bool(classes & RETIRED_CLASSES) or any(
        str(key).startswith(RETIRED_ANNOTATION) for key in annotations
    )


class RetiredIngressController(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="No Ingress for the retired ingress-nginx controller",
            id="CKV_MLOPS_9",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["Ingress", "IngressClass"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        return CheckResult.FAILED if _retired(conf) else CheckResult.PASSED


check = RetiredIngressController()
