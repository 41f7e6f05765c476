"""CKV_MLOPS_1: every InferenceService container requests and limits CPU and memory, so a model
cannot starve its node and the autoscaler sizes it honestly."""

from typing import Any

from mlops_k8s import get, isvc_containers

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


class InferenceServiceResourceLimits(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="InferenceService containers set CPU and memory requests and limits",
            id="CKV_MLOPS_1",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["InferenceService"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        containers = list(isvc_containers(conf))
        if not containers:
            return CheckResult.FAILED
        for _, _, container in containers:
            for section in ("requests", "limits"):
                for name in ("cpu", "memory"):
                    if get(container, "resources", section, name) is None:
                        return CheckResult.FAILED
        return CheckResult.PASSED


check = InferenceServiceResourceLimits()
