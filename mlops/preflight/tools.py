"""The pinned programs preflight runs, from the project's toolchain (mlops.toolchain): Helm 3,
the major version pulumi-kubernetes' `helm.v3.Release` embeds, and kubectl (its kustomize)."""

from mlops.preflight.run import Tools
from mlops.toolchain import binary

HELM = "helm3"


def tools() -> Tools:
    return Tools(helm=binary(HELM), kubectl=binary("kubectl"))
