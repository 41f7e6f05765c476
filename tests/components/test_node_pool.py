from components.node_pool import NodePool, NodePoolArgs
from mlops.config.model import NodePool as NodePoolConfig
from mlops.plan.runner import capture
from tests.components.helpers import of_type


def declare(pool_name: str, settings: NodePoolConfig) -> list:
    args = NodePoolArgs(
        cluster_name="mlops-test",
        pool_name=pool_name,
        settings=settings,
        node_role_arn="arn:aws:iam::123456789012:role/nodes",
        subnet_ids=["subnet-a"],
        kms_key_arn="arn:aws:kms::123456789012:key",
        tags={},
    )
    return capture("test", lambda: NodePool("pool", args))


def test_gpu_pool_uses_the_nvidia_image_and_repels_other_pods(stack_configs):
    resources = declare("training-gpu", stack_configs["prod"].node_pools.training_gpu)
    (group,) = of_type(resources, "aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group.inputs["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]
    assert group.inputs["labels"]["mlops.platform/pool"] == "training-gpu"
    assert group.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 4, "desiredSize": 0}


def test_nodes_require_imdsv2_and_encrypt_their_disks(stack_configs):
    resources = declare("system", stack_configs["dev"].node_pools.system)
    (template,) = of_type(resources, "aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    ebs = template.inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["kmsKeyId"] == "arn:aws:kms::123456789012:key"
    (group,) = of_type(resources, "aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert not group.inputs.get("taints")
