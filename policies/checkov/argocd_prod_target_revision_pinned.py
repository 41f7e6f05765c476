"""CKV_MLOPS_6: a prod Application syncs a pinned revision (a release tag or a commit SHA), not a
branch: what runs in prod changes only when someone moves the pin, and the pin is in Git."""

from typing import Any

from mlops_k8s import IMMUTABLE_REVISION, application_specs, get, is_production

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


class ArgoCdProdTargetRevisionPinned(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Argo CD Application in prod pins targetRevision to a tag or commit",
            id="CKV_MLOPS_6",
            categories=[CheckCategories.SUPPLY_CHAIN],
            supported_entities=["Application", "ApplicationSet"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not is_production(conf):
            return CheckResult.PASSED
        for spec in application_specs(conf):
            sources = [get(spec, "source", default={}), *get(spec, "sources", default=[])]
            for source in sources:
                if source and not IMMUTABLE_REVISION.match(str(source.get("targetRevision", ""))):
                    return CheckResult.FAILED
        return CheckResult.PASSED


check = ArgoCdProdTargetRevisionPinned()
