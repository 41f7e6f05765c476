"""The Kubernetes cluster autoscaler: scales every managed node group between its configured
minimum and maximum, GPU pools from zero, by the pods that are pending.

It discovers the groups by the tags EKS puts on their Auto Scaling groups
(`k8s.io/cluster-autoscaler/<cluster>`), reads what a node of an empty group would look like
from the node-template tags the node pools set (labels, taints, GPUs), so a GPU pod scales a GPU
pool and nothing else. Its workload identity may change the desired size only of Auto Scaling
groups tagged as this cluster's; everything else it may only describe.
"""

from dataclasses import dataclass

import pulumi

from components.helm import pinned_release
from components.iam import allow, policy_document
from components.workload_identity import ServiceAccountRole, ServiceAccountRoleArgs
from mlops.config.model import ChartPin

NAMESPACE = "kube-system"  # where the autoscaler runs on every managed cluster
SERVICE_ACCOUNT = "cluster-autoscaler"
DESCRIBE = [
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "eks:DescribeNodegroup",
]
SCALE = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "runAsGroup": 65534,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class ClusterAutoscalerArgs:
    cluster_name: str
    region: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    chart: ChartPin
    system_node_labels: dict[str, str]  # the autoscaler runs on the system pool, never a GPU node
    tags: dict[str, str]


class ClusterAutoscaler(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:cluster_autoscaler:ClusterAutoscaler", name, None, opts)
        role = ServiceAccountRole(
            f"{name}-identity",
            ServiceAccountRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=NAMESPACE,
                service_accounts=(SERVICE_ACCOUNT,),
                policy=scaling_policy(args.cluster_name),
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        pinned_release(
            "cluster-autoscaler",
            args.chart,
            NAMESPACE,
            autoscaler_values(args, role.arn),
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"role_arn": role.arn})


def scaling_policy(cluster_name: str) -> str:
    """Describe anything; scale only the Auto Scaling groups EKS tagged as this cluster's."""
    scale = allow(SCALE, ["*"]) | {
        "Condition": {
            "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
        }
    }
    return policy_document(allow(DESCRIBE, ["*"]), scale)


def autoscaler_values(args: ClusterAutoscalerArgs, role_arn: pulumi.Input[str]) -> dict:
    return {
        "cloudProvider": "aws",
        "awsRegion": args.region,
        "autoDiscovery": {"clusterName": args.cluster_name},
        "rbac": {
            "serviceAccount": {
                "name": SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            }
        },
        "extraArgs": {
            "balance-similar-node-groups": True,
            "expander": "least-waste",  # the cheapest fit: a CPU pod never takes a GPU node
            "skip-nodes-with-system-pods": False,
            "scale-down-unneeded-time": "10m",
        },
        "nodeSelector": dict(args.system_node_labels),
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containerSecurityContext": RESTRICTED,
        "resources": {
            "requests": {"cpu": "100m", "memory": "300Mi"},
            "limits": {"cpu": "500m", "memory": "600Mi"},
        },
    }
