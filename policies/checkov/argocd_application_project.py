"""CKV_MLOPS_5: Argo CD Applications (and ApplicationSet templates) never use the `default`
project, which allows any source and any destination."""

from typing import Any

from mlops_k8s import application_specs

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


class ArgoCdApplicationProject(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Argo CD Application does not use the default project",
            id="CKV_MLOPS_5",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["Application", "ApplicationSet"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        specs = application_specs(conf)
        if specs and all(spec.get("project") not in (None, "", "default") for spec in specs):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = ArgoCdApplicationProject()
