"""CKV_MLOPS_3: an InferenceService carries the labels and annotations that tie it to its model
release descriptor and the gate report that let it through, so an auditor can go from a running
model back to its evidence."""

from typing import Any

from mlops_k8s import metadata_map

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

LABELS = ("mlops.platform/model", "mlops.platform/environment", "app.kubernetes.io/managed-by")
ANNOTATIONS = (
    "mlops.platform/registry-model",
    "mlops.platform/registry-version",
    "mlops.platform/model-digest",
    "mlops.platform/code-commit",
    "mlops.platform/gate-report",
)


class InferenceServiceReleaseTraceability(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="InferenceService names its model release and gate report",
            id="CKV_MLOPS_3",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_entities=["InferenceService"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        labels = metadata_map(conf, "labels")
        annotations = metadata_map(conf, "annotations")
        complete = all(str(labels.get(key) or "").strip() for key in LABELS) and all(
            str(annotations.get(key) or "").strip() for key in ANNOTATIONS
        )
        return CheckResult.PASSED if complete else CheckResult.FAILED


check = InferenceServiceReleaseTraceability()
