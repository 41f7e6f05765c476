"""The restricted Pod Security settings every pod the platform renders into gitops/ runs with
(the batch-scoring CronJob, the evidence collector): one copy, so the two cannot drift apart."""

from typing import Any

# a non-root user with a fixed uid, so files on mounted volumes have one owner
POD_SECURITY: dict[str, Any] = {
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY: dict[str, Any] = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
