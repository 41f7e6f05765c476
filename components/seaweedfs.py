"""SeaweedFS, the in-cluster S3 store of stacks without S3 (local, dev): the maintained server
Kubeflow Pipelines' own manifests moved to when MinIO's was archived (kubeflow/pipelines#11965).

One `weed mini` process (master, volume server, filer and S3 gateway; no WebDAV, admin UI, IAM
API or telemetry) on a persistent volume sized from the stack. Each consumer namespace has its
own identity, scoped to its bucket (`identities`); there is no anonymous or admin identity. The
buckets are created at start (`-bucket`) and versioned by `weed shell` (`versioning_commands`);
chunks are encrypted on the volume (`-filer.encryptVolumeData`, AES-256-GCM; the keys are in the
filer's metadata on the same volume, so a copy of the whole volume is readable: encrypt the
volume itself with the StorageClass where the cluster offers it). Plain HTTP, confined by a
NetworkPolicy to the consumers' namespaces. The command line, identity file and bucket commands
are mlops.objectstore.server's, which the tests and benchmarks run with the same binary.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from mlops.config.object_store import IN_CLUSTER_SERVICE, Grant
from mlops.objectstore.server import Ports, identities, post_start_script, server_args

APP = {"app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/part-of": "mlops-platform"}
IDENTITIES_SECRET = "seaweedfs-identities"
IDENTITIES_FILE = "identities.json"
CONFIG_DIR = "/etc/seaweedfs"
DATA_DIR = "/data"
TMP_DIR = "/tmp"  # noqa: S108 (an emptyDir: sockets, and weed shell's history as HOME)
UID = 1000


@dataclass(frozen=True)
class SeaweedFsArgs:
    namespace: str
    image: str  # storage.image
    buckets: tuple[str, ...]  # storage.buckets
    volume_size_gb: int  # storage.volume_size_gb
    grants: dict[str, Grant]  # identity (a consumer namespace, or the promoter's) -> what it may do
    secret_keys: dict[str, pulumi.Input[str]]  # identity -> its generated secret key
    consumer_namespaces: tuple[str, ...]  # the namespaces the NetworkPolicy admits
    monitoring_namespace: str  # Prometheus scrapes the metrics port from here


class SeaweedFs(pulumi.ComponentResource):
    """The server, its volume, its identities, its Service and the NetworkPolicy in front."""

    def __init__(
        self, name: str, args: SeaweedFsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:seaweedfs:SeaweedFs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ports = Ports()
        metadata = k8s.meta.v1.ObjectMetaArgs
        names = sorted(args.grants)
        keys = pulumi.Output.all(*(args.secret_keys[n] for n in names)).apply(
            lambda values: json.dumps(
                identities(args.grants, dict(zip(names, values, strict=True))), indent=2
            )
        )
        config = k8s.core.v1.Secret(
            f"{name}-identities",
            metadata=metadata(name=IDENTITIES_SECRET, namespace=args.namespace, labels=APP),
            string_data={IDENTITIES_FILE: pulumi.Output.secret(keys)},
            opts=child,
        )
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-data",
            metadata=metadata(name=f"{IN_CLUSTER_SERVICE}-data", namespace=args.namespace),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(
                    requests={"storage": f"{args.volume_size_gb}Gi"}
                ),
            ),
            opts=child,
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=metadata(name=IN_CLUSTER_SERVICE, namespace=args.namespace),
            automount_service_account_token=False,
            opts=child,
        )
        k8s.apps.v1.Deployment(
            name,
            metadata=metadata(name=IN_CLUSTER_SERVICE, namespace=args.namespace, labels=APP),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),  # one writer
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=APP),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=metadata(labels=APP),
                    spec=_pod(args, ports, account.metadata.name, config, claim),
                ),
            ),
            opts=child,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata(name=IN_CLUSTER_SERVICE, namespace=args.namespace, labels=APP),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=APP,
                ports=[
                    k8s.core.v1.ServicePortArgs(name="s3", port=ports.s3, target_port=ports.s3),
                    k8s.core.v1.ServicePortArgs(
                        name="metrics", port=ports.metrics, target_port=ports.metrics
                    ),
                ],
            ),
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-consumers-only",
            metadata=metadata(
                name=f"{IN_CLUSTER_SERVICE}-consumers-only", namespace=args.namespace
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=APP),
                policy_types=["Ingress"],
                ingress=[
                    _allow_from(sorted(args.consumer_namespaces), ports.s3),
                    _allow_from([args.monitoring_namespace], ports.metrics),
                ],
            ),
            opts=child,
        )
        self.register_outputs({})


def _allow_from(
    namespaces: Sequence[str], port: int
) -> k8s.networking.v1.NetworkPolicyIngressRuleArgs:
    return k8s.networking.v1.NetworkPolicyIngressRuleArgs(
        from_=[
            k8s.networking.v1.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_expressions=[
                        k8s.meta.v1.LabelSelectorRequirementArgs(
                            key="kubernetes.io/metadata.name",
                            operator="In",
                            values=list(namespaces),
                        )
                    ]
                )
            )
        ],
        ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol="TCP")],
    )


def _pod(
    args: SeaweedFsArgs,
    ports: Ports,
    account: pulumi.Output[str],
    config: k8s.core.v1.Secret,
    claim: k8s.core.v1.PersistentVolumeClaim,
) -> k8s.core.v1.PodSpecArgs:
    """Restricted Pod Security: non-root, read-only root filesystem, no capabilities."""
    probe = k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path="/status", port=ports.s3),
        period_seconds=10,
        failure_threshold=3,
    )
    mount = k8s.core.v1.VolumeMountArgs
    return k8s.core.v1.PodSpecArgs(
        service_account_name=account,
        automount_service_account_token=False,
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True,
            run_as_user=UID,
            run_as_group=UID,
            fs_group=UID,
            fs_group_change_policy="OnRootMismatch",
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        containers=[
            k8s.core.v1.ContainerArgs(
                name="seaweedfs",
                image=args.image,
                command=["weed"],
                args=server_args(
                    args.buckets,
                    data_dir=DATA_DIR,
                    identities_file=f"{CONFIG_DIR}/{IDENTITIES_FILE}",
                    ip="127.0.0.1",  # master, volume server and filer talk inside the pod
                    bind_ip="0.0.0.0",  # noqa: S104 (the NetworkPolicy admits consumers only)
                    ports=ports,
                ),
                # nothing else: `weed` would make an admin of AWS_* keys in its environment
                env=[k8s.core.v1.EnvVarArgs(name="HOME", value=TMP_DIR)],
                ports=[
                    k8s.core.v1.ContainerPortArgs(name="s3", container_port=ports.s3),
                    k8s.core.v1.ContainerPortArgs(name="metrics", container_port=ports.metrics),
                ],
                lifecycle=k8s.core.v1.LifecycleArgs(
                    post_start=k8s.core.v1.LifecycleHandlerArgs(
                        exec_=k8s.core.v1.ExecActionArgs(
                            command=["/bin/sh", "-c", post_start_script(args.buckets, ports)]
                        )
                    )
                ),
                startup_probe=k8s.core.v1.ProbeArgs(
                    http_get=k8s.core.v1.HTTPGetActionArgs(path="/status", port=ports.s3),
                    period_seconds=5,
                    failure_threshold=36,
                ),
                readiness_probe=probe,
                liveness_probe=probe,
                resources=k8s.core.v1.ResourceRequirementsArgs(
                    requests={"cpu": "250m", "memory": "512Mi"},
                    limits={"cpu": "2", "memory": "2Gi"},
                ),
                security_context=k8s.core.v1.SecurityContextArgs(
                    allow_privilege_escalation=False,
                    read_only_root_filesystem=True,
                    run_as_non_root=True,
                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                ),
                volume_mounts=[
                    mount(name="data", mount_path=DATA_DIR),
                    mount(name="identities", mount_path=CONFIG_DIR, read_only=True),
                    mount(name="tmp", mount_path=TMP_DIR),
                ],
            )
        ],
        volumes=[
            k8s.core.v1.VolumeArgs(
                name="data",
                persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(
                    claim_name=claim.metadata.name
                ),
            ),
            k8s.core.v1.VolumeArgs(
                name="identities",
                secret=k8s.core.v1.SecretVolumeSourceArgs(
                    secret_name=config.metadata.name, default_mode=0o440
                ),
            ),
            k8s.core.v1.VolumeArgs(
                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="1Gi")
            ),
        ],
    )
