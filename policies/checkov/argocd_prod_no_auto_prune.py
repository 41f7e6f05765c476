"""CKV_MLOPS_7: a prod Application never prunes automatically: deleting a file in Git must not
delete a serving model in prod without a person deciding to sync."""

from typing import Any

from mlops_k8s import application_specs, get, is_production

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


class ArgoCdProdNoAutoPrune(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Argo CD Application in prod does not prune automatically",
            id="CKV_MLOPS_7",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["Application", "ApplicationSet"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not is_production(conf):
            return CheckResult.PASSED
        for spec in application_specs(conf):
            if str(get(spec, "syncPolicy", "automated", "prune", default=False)).lower() == "true":
                return CheckResult.FAILED
        return CheckResult.PASSED


check = ArgoCdProdNoAutoPrune()
