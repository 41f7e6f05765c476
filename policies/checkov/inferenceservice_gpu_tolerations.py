"""CKV_MLOPS_4: an InferenceService that asks for a GPU tolerates the GPU pools' taint (or names
the `nvidia` RuntimeClass, whose scheduling adds it); otherwise its pods stay Pending forever."""

from typing import Any

from mlops_k8s import GPU_RESOURCE, GPU_RUNTIME_CLASS, ISVC_COMPONENTS, get, isvc_containers

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


def tolerates_gpu(component: dict[str, Any]) -> bool:
    if component.get("runtimeClassName") == GPU_RUNTIME_CLASS:
        return True
    return any(
        isinstance(toleration, dict)
        and toleration.get("key") == GPU_RESOURCE
        and toleration.get("effect") in (None, "", "NoSchedule")
        and (toleration.get("operator") == "Exists" or "value" in toleration)
        for toleration in component.get("tolerations") or []
    )


class InferenceServiceGpuTolerations(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="InferenceService requesting GPUs tolerates the GPU taint",
            id="CKV_MLOPS_4",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["InferenceService"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        wants_gpu = {
            component
            for component, _, container in isvc_containers(conf)
            if get(container, "resources", "limits", GPU_RESOURCE) is not None
            or get(container, "resources", "requests", GPU_RESOURCE) is not None
        }
        spec = get(conf, "spec", default={})
        for component in ISVC_COMPONENTS:
            if component in wants_gpu and not tolerates_gpu(get(spec, component, default={})):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = InferenceServiceGpuTolerations()
