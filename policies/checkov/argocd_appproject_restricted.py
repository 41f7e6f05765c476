"""CKV_MLOPS_8: an Argo CD AppProject fences its Applications: named source repositories only,
named destination clusters and namespaces only, no wildcard cluster-scoped kinds."""

from typing import Any

from mlops_k8s import get

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

WILDCARDS = {"*", ""}


def _restricted(spec: dict[str, Any]) -> bool:
    sources = get(spec, "sourceRepos", default=[])
    destinations = get(spec, "destinations", default=[])
    if not sources or any(str(repo).strip() in WILDCARDS for repo in sources):
        return False
    if not destinations:
        return False
    for destination in destinations:
        target = str(destination.get("server") or destination.get("name") or "")
        if target in WILDCARDS or str(destination.get("namespace") or "") in WILDCARDS:
            return False
    return not any(
        entry.get("group") == "*" and entry.get("kind") == "*"
        for entry in get(spec, "clusterResourceWhitelist", default=[])
    )


class ArgoCdAppProjectRestricted(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Argo CD AppProject restricts sources and destinations",
            id="CKV_MLOPS_8",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["AppProject"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        return (
            CheckResult.PASSED if _restricted(get(conf, "spec", default={})) else CheckResult.FAILED
        )


check = ArgoCdAppProjectRestricted()
