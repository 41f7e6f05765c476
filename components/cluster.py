"""The EKS cluster: secrets encrypted with a rotating KMS key, every control-plane log type on,
a private API endpoint (public only to listed CIDRs where a stack allows it), OIDC for workload
identity, the three node pools, and the add-ons the platform needs (EBS CSI for volumes)."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import yaml

from components.iam import STS_AUDIENCE, managed_policy_arn, service_trust_policy
from components.kms import rotating_key
from components.node_pool import NodePool, NodePoolArgs
from components.workload_identity import ServiceAccountRole, ServiceAccountRoleArgs
from mlops.config.model import ExposureConfig, NodePools

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
CLUSTER_POLICIES = ["AmazonEKSClusterPolicy"]
NODE_POLICIES = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
]


@dataclass(frozen=True)
class EksClusterArgs:
    cluster_name: str
    kubernetes_version: str
    node_pools: NodePools
    exposure: ExposureConfig
    private_subnet_ids: Sequence[pulumi.Input[str]]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    tags: dict[str, str]


class EksCluster(pulumi.ComponentResource):
    """One environment's Kubernetes cluster on EKS."""

    name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    node_pools: dict[str, NodePool]

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:cluster:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = rotating_key(
            f"{name}-secrets",
            f"{args.cluster_name}: Kubernetes secrets and node volumes",
            args.tags,
            child,
        )
        cluster_role = self._role(
            f"{name}-control-plane", "eks.amazonaws.com", CLUSTER_POLICIES, args
        )
        private_endpoint_only = args.exposure.api_endpoint == "private"
        cluster = aws.eks.Cluster(
            name,
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=[*args.private_subnet_ids, *args.public_subnet_ids],
                endpoint_private_access=True,
                endpoint_public_access=not private_endpoint_only,
                public_access_cidrs=None
                if private_endpoint_only
                else args.exposure.public_access_cidrs,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            tags=args.tags,
            opts=child,
        )
        issuer = cluster.identities.apply(_oidc_issuer)
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=[STS_AUDIENCE],
            tags=args.tags,
            opts=child,
        )
        node_role = self._role(f"{name}-nodes", "ec2.amazonaws.com", NODE_POLICIES, args)
        self.node_pools = {
            pool: NodePool(
                f"{name}-{pool.replace('_', '-')}",
                NodePoolArgs(
                    cluster_name=cluster.name,
                    pool_name=pool.replace("_", "-"),
                    settings=getattr(args.node_pools, pool),
                    node_role_arn=node_role.arn,
                    subnet_ids=list(args.private_subnet_ids),
                    kms_key_arn=key.arn,
                    tags=args.tags,
                ),
                opts=child,
            )
            for pool in ("system", "training_gpu", "inference_gpu")
        }
        self._addons(name, cluster, oidc, issuer, args)
        self.name = cluster.name
        self.oidc_provider_arn = oidc.arn
        self.oidc_issuer = issuer
        self.kms_key_arn = key.arn
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                cluster.name, cluster.endpoint, cluster.certificate_authority.data
            ).apply(lambda values: _kubeconfig(*values))
        )
        self.register_outputs(
            {"name": cluster.name, "oidc_issuer": issuer, "kubeconfig": self.kubeconfig}
        )

    def _role(
        self, name: str, service: str, policies: list[str], args: EksClusterArgs
    ) -> aws.iam.Role:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name, assume_role_policy=service_trust_policy(service), tags=args.tags, opts=child
        )
        for policy in policies:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=role.name,
                policy_arn=managed_policy_arn(policy),
                opts=child,
            )
        return role

    def _addons(
        self,
        name: str,
        cluster: aws.eks.Cluster,
        oidc: aws.iam.OpenIdConnectProvider,
        issuer: pulumi.Output[str],
        args: EksClusterArgs,
    ) -> None:
        """Core add-ons managed by EKS; the EBS CSI driver gets its own IRSA role."""
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(self.node_pools.values()))
        ebs_role = ServiceAccountRole(
            f"{name}-ebs-csi",
            ServiceAccountRoleArgs(
                oidc_provider_arn=oidc.arn,
                oidc_issuer=issuer,
                namespace="kube-system",
                service_accounts=("ebs-csi-controller-sa",),
                managed_policy_arns=(managed_policy_arn("service-role/AmazonEBSCSIDriverPolicy"),),
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for addon in ("vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"):
            aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=cluster.name,
                addon_name=addon,
                resolve_conflicts_on_update="OVERWRITE",
                service_account_role_arn=ebs_role.arn if addon == "aws-ebs-csi-driver" else None,
                tags=args.tags,
                opts=after_nodes,
            )


def _kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str) -> str:
    """A kubeconfig that authenticates through `aws eks get-token` (no long-lived credential)."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {
                        "server": endpoint,
                        "certificate-authority-data": certificate_authority,
                    },
                }
            ],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name],
                        }
                    },
                }
            ],
        },
        sort_keys=False,
    )


def _oidc_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    """The URL of the cluster's OIDC issuer (EKS reports it once the cluster exists)."""
    oidcs = (identities[0].oidcs if identities else None) or []
    if not oidcs or not oidcs[0].issuer:
        raise ValueError("EKS reported no OIDC issuer for the cluster")
    return oidcs[0].issuer
