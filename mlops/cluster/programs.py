"""The command line of each control-plane program, as a managed (EKS) cluster runs it, bound to
127.0.0.1: TLS everywhere with client-certificate authentication, RBAC and Node authorization,
anonymous requests refused, Secrets encrypted at rest, and the admission plugins EKS enables
(PodSecurity, ResourceQuota, LimitRanger, ExtendedResourceToleration for GPU pods, ...)."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import yaml

from mlops.cluster.pki import Authority, Pair, signing_key
from mlops.cluster.state import Layout

SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
# The admission plugins of an EKS cluster (docs: "Amazon EKS cluster platform versions").
ADMISSION_PLUGINS = (
    "NamespaceLifecycle", "LimitRanger", "ServiceAccount", "DefaultStorageClass",
    "ResourceQuota", "DefaultTolerationSeconds", "NodeRestriction", "MutatingAdmissionWebhook",
    "ValidatingAdmissionWebhook", "PodSecurity", "TaintNodesByCondition", "Priority",
    "StorageObjectInUseProtection", "PersistentVolumeClaimResize", "ExtendedResourceToleration",
    "CertificateApproval", "CertificateSigning", "CertificateSubjectRestriction",
    "ClusterTrustBundleAttest", "DefaultIngressClass", "RuntimeClass",
    "ValidatingAdmissionPolicy",
)  # fmt: skip
# Client identities: user (CN) and groups (O), as the API server's bootstrap RBAC expects them.
# kwok acts as every node's kubelet at once, so it runs as an administrator, as kwokctl runs it.
IDENTITIES = {
    "admin": ("mlops-admin", ("system:masters",)),
    "controller-manager": ("system:kube-controller-manager", ()),
    "scheduler": ("system:kube-scheduler", ()),
    "kwok": ("kwok-controller", ("system:masters",)),
}
KWOK_ANNOTATION = "kwok.x-k8s.io/node"


def kubeconfig(path: Path, server: str, ca: Path, client: Pair, context: str) -> None:
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": context, "user": {"client-certificate": str(client.cert), "client-key": str(client.key)}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    }  # fmt: skip
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def encryption_config(path: Path) -> None:
    """Secrets encrypted at rest with a fresh key (EKS: envelope encryption with KMS)."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    document = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [{"resources": ["secrets"], "providers": [
            {"secretbox": {"keys": [{"name": "key1", "secret": key}]}}, {"identity": {}}]}],
    }  # fmt: skip
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def command_lines(layout: Layout, ports: dict[str, int], binaries: dict[str, Path], stages: Path,
                  context: str) -> dict[str, list[str]]:  # fmt: skip
    """Write certificates, keys and kubeconfigs; return each program's arguments."""
    pki = layout.pki
    authority = Authority(pki)
    ca = authority.pair.cert
    etcd = authority.issue("etcd", "etcd", serving=True)
    etcd_client = authority.issue("apiserver-etcd-client", "kube-apiserver-etcd-client")
    apiserver = authority.issue("apiserver", "kube-apiserver", serving=True)
    service_accounts = signing_key(pki)
    encryption = pki / "encryption.yaml"
    encryption_config(encryption)
    server = f"https://127.0.0.1:{ports['apiserver']}"
    for identity, (user, groups) in IDENTITIES.items():
        pair = authority.issue(identity, user, groups)
        path = layout.kubeconfig if identity == "admin" else layout.component_kubeconfig(identity)
        kubeconfig(path, server, ca, pair, context)
    etcd_url = f"https://127.0.0.1:{ports['etcd']}"
    peer_url = f"https://127.0.0.1:{ports['etcd_peer']}"
    tls = [f"--cert-file={etcd.cert}", f"--key-file={etcd.key}", f"--trusted-ca-file={ca}",
           "--client-cert-auth"]  # fmt: skip
    peer_tls = [f"--peer-cert-file={etcd.cert}", f"--peer-key-file={etcd.key}",
                f"--peer-trusted-ca-file={ca}", "--peer-client-cert-auth"]  # fmt: skip

    def component(name: str, port: str) -> list[str]:
        config = layout.component_kubeconfig(name)
        return [f"--kubeconfig={config}", f"--authentication-kubeconfig={config}",
                f"--authorization-kubeconfig={config}", "--bind-address=127.0.0.1",
                f"--secure-port={ports[port]}", "--leader-elect=false",
                f"--cert-dir={layout.root / name}"]  # fmt: skip

    return {
        "etcd": [
            str(binaries["etcd"]), "--name=mlops", f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=mlops={peer_url}", *tls, *peer_tls,
            "--listen-metrics-urls=", "--log-level=warn",
            "--unsafe-no-fsync",  # a throwaway test cluster: durability is not wanted, speed is
        ],
        "kube-apiserver": [
            str(binaries["kube-apiserver"]), "--bind-address=127.0.0.1",
            f"--secure-port={ports['apiserver']}",
            f"--etcd-servers={etcd_url}", f"--etcd-cafile={ca}",
            f"--etcd-certfile={etcd_client.cert}", f"--etcd-keyfile={etcd_client.key}",
            f"--tls-cert-file={apiserver.cert}", f"--tls-private-key-file={apiserver.key}",
            f"--client-ca-file={ca}", "--anonymous-auth=false",
            "--authorization-mode=Node,RBAC",
            f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={service_accounts.cert}",
            f"--service-account-signing-key-file={service_accounts.key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--encryption-provider-config={encryption}",
            "--allow-privileged=true", "--profiling=false",
            f"--cert-dir={layout.root / 'kube-apiserver'}",
        ],
        "kube-controller-manager": [
            str(binaries["kube-controller-manager"]),
            *component("controller-manager", "controller_manager"),
            f"--service-account-private-key-file={service_accounts.key}",
            f"--root-ca-file={ca}", f"--cluster-signing-cert-file={ca}",
            f"--cluster-signing-key-file={authority.pair.key}",
            "--use-service-account-credentials=true", f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--profiling=false",
        ],
        "kube-scheduler": [
            str(binaries["kube-scheduler"]), *component("scheduler", "scheduler"),
            "--profiling=false",
        ],
        "kwok": [
            str(binaries["kwok"]), f"--kubeconfig={layout.component_kubeconfig('kwok')}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_ANNOTATION}=fake",
            f"--config={stages}", f"--cidr={POD_CIDR}", "--node-ip=127.0.0.1",
        ],
    }  # fmt: skip
