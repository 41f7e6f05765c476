"""A managed node group: IMDSv2 only, encrypted disks, labels and taints from config; GPU pools
use the NVIDIA AMI, carry the `nvidia.com/gpu` taint and may scale to zero.

A pool at zero nodes has no node the cluster autoscaler could copy, so its Auto Scaling group
carries node-template tags (labels, taints, GPUs): with them the autoscaler knows that a pending
GPU pod fits this pool and no other. (EKS gives the autoscaler a managed group's labels and
taints only until its first scale-up; the tags hold after it.)"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mlops.config.model import GPU_RESOURCE
from mlops.config.model import NodePool as NodePoolConfig

POOL_LABEL = "mlops.platform/pool"
NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
CPU_AMI = "AL2023_x86_64_STANDARD"
GPU_AMI = "AL2023_x86_64_NVIDIA"


@dataclass(frozen=True)
class NodePoolArgs:
    cluster_name: pulumi.Input[str]
    pool_name: str  # system, training-gpu, inference-gpu
    settings: NodePoolConfig
    node_role_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    tags: dict[str, str]


class NodePool(pulumi.ComponentResource):
    node_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:node_pool:NodePool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        launch_template = aws.ec2.LaunchTemplate(
            name,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",  # IMDSv2 only
                http_put_response_hop_limit=1,  # pods cannot reach the node's credentials
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=settings.disk_size_gb,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=args.kms_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags={**args.tags, POOL_LABEL: args.pool_name}
                )
            ],
            tags=args.tags,
            opts=child,
        )
        node_group = aws.eks.NodeGroup(
            name,
            cluster_name=args.cluster_name,
            node_group_name_prefix=f"{args.pool_name}-",
            node_role_arn=args.node_role_arn,
            subnet_ids=args.subnet_ids,
            instance_types=settings.instance_types,
            ami_type=GPU_AMI if settings.gpu_count else CPU_AMI,
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.min_size,
                max_size=settings.max_size,
                desired_size=settings.desired_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=launch_template.id, version=launch_template.latest_version.apply(str)
            ),
            labels={**settings.labels, POOL_LABEL: args.pool_name},
            taints=[
                aws.eks.NodeGroupTaintArgs(
                    key=taint.key, value=taint.value, effect=TAINT_EFFECTS[taint.effect]
                )
                for taint in settings.taints
            ],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )
        group = node_group.resources.apply(_autoscaling_group)
        for key, value in node_template_tags(args.pool_name, settings).items():
            aws.autoscaling.Tag(
                f"{name}-{key.removeprefix(NODE_TEMPLATE + '/').replace('/', '-')}",
                autoscaling_group_name=group,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=child,
            )
        self.node_group_name = node_group.node_group_name
        self.register_outputs({"node_group_name": node_group.node_group_name})


def node_template_tags(pool_name: str, settings: NodePoolConfig) -> dict[str, str]:
    """What a node of the pool will look like, as the autoscaler reads it from the ASG's tags."""
    tags = {f"{NODE_TEMPLATE}/label/{key}": value for key, value in settings.labels.items()}
    tags[f"{NODE_TEMPLATE}/label/{POOL_LABEL}"] = pool_name
    for taint in settings.taints:
        tags[f"{NODE_TEMPLATE}/taint/{taint.key}"] = f"{taint.value}:{taint.effect}"
    if settings.gpu_count:
        tags[f"{NODE_TEMPLATE}/resources/{GPU_RESOURCE}"] = str(settings.gpu_count)
    return tags


def _autoscaling_group(resources: Sequence[aws.eks.outputs.NodeGroupResource]) -> str:
    """The name of the Auto Scaling group EKS made for a node group (reported once it exists)."""
    groups = (resources[0].autoscaling_groups if resources else None) or []
    if not groups or not groups[0].name:
        raise ValueError("EKS reported no Auto Scaling group for the node group")
    return groups[0].name
