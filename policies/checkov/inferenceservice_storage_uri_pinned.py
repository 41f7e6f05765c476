"""CKV_MLOPS_2: an InferenceService serves one exact model: its storage URI names an immutable
version (an MLflow run id, a numbered registry version, an OCI digest, or the digest of a
released copy, `.../sha256-<hex>/...` as `mlops promote --transfer-to` writes it), never
`latest`, an alias or a stage, and the model's sha256 digest is recorded
(`mlops.platform/model-digest`, the same as a released copy's, or the URI's own @sha256 digest)."""

import re
from typing import Any

from mlops_k8s import isvc_containers, metadata_map

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
URI_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
RUN_ID = re.compile(r"/[0-9a-f]{32}/")
REGISTRY_VERSION = re.compile(r"^models:/[^/@]+/\d+$")
COPY_DIGEST = re.compile(r"/sha256-([0-9a-f]{64})/")
MUTABLE = re.compile(r"latest|champion|production|staging|@", re.IGNORECASE)
DIGEST_ANNOTATION = "mlops.platform/model-digest"


def pinned(uri: str) -> bool:
    if uri.startswith("file://"):  # a file on one machine (the embedded demo), not a release
        return False
    if uri.startswith("oci://"):
        return bool(URI_DIGEST.search(uri))
    if MUTABLE.search(uri):
        return False
    return bool(
        REGISTRY_VERSION.match(uri) or RUN_ID.search(uri + "/") or COPY_DIGEST.search(uri + "/")
    )


class InferenceServiceStorageUriPinned(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="InferenceService storageUri is pinned to an immutable version with a digest",
            id="CKV_MLOPS_2",
            categories=[CheckCategories.SUPPLY_CHAIN],
            supported_entities=["InferenceService"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        uris = [c.get("storageUri") for _, _, c in isvc_containers(conf) if c.get("storageUri")]
        if not uris or not all(isinstance(uri, str) and pinned(uri) for uri in uris):
            return CheckResult.FAILED
        digest = str(metadata_map(conf, "annotations").get(DIGEST_ANNOTATION, ""))
        copies = {m.group(1) for uri in uris if (m := COPY_DIGEST.search(uri + "/"))}
        if copies and copies != {digest.removeprefix("sha256:")}:
            return CheckResult.FAILED  # the copy named is not the model the release records
        if DIGEST.match(digest) or all(URI_DIGEST.search(uri) for uri in uris):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = InferenceServiceStorageUriPinned()
