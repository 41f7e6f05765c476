"""aws-eks-nodegroup-require-gpu-taint: a node group on GPU hardware repels pods that do not ask
for a GPU, or ordinary workloads fill the most expensive nodes and GPU jobs cannot schedule.

A node group counts as a GPU pool by what it runs on (a GPU instance family or a GPU AMI), not by
what it is called."""

import re

from mlops_policy_kit.aws import GPU_INSTANCE
from mlops_policy_kit.values import as_list, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEFAULT_TAINT_KEY = "nvidia.com/gpu"
REPELLING_EFFECTS = {"NO_SCHEDULE", "NO_EXECUTE", "NoSchedule", "NoExecute"}


def is_gpu_node_group(props: object) -> bool:
    instance_types = [str(kind) for kind in as_list(dig(props, "instanceTypes"))]
    ami_type = str(dig(props, "amiType", default=""))
    return any(re.match(GPU_INSTANCE, kind) for kind in instance_types) or any(
        marker in ami_type for marker in ("NVIDIA", "GPU")
    )


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NODE_GROUP or not is_gpu_node_group(args.props):
        return
    key = args.get_config().get("taintKey", DEFAULT_TAINT_KEY)
    if not any(
        dig(taint, "key") == key and dig(taint, "effect") in REPELLING_EFFECTS
        for taint in as_list(dig(args.props, "taints"))
    ):
        kinds = ", ".join(str(kind) for kind in as_list(dig(args.props, "instanceTypes")))
        report_violation(
            f"GPU node group ({kinds or dig(args.props, 'amiType')}) has no '{key}' taint "
            "with effect NO_SCHEDULE or NO_EXECUTE",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="aws-eks-nodegroup-require-gpu-taint",
    description="EKS node groups on GPU instances carry the GPU taint (NoSchedule).",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={"taintKey": {"type": "string", "default": DEFAULT_TAINT_KEY}}
    ),
    remediation_steps="Put GPU instance types only in a GPU pool (node_pools.training_gpu or "
    "inference_gpu, which require the taint), or add taints: [{key: nvidia.com/gpu, effect: "
    "NoSchedule}] to the pool.",
)
