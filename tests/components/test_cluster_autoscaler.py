"""The cluster autoscaler: pools scale from zero, GPU pods only onto GPU pools, and its identity
may scale this cluster's groups and nothing else."""

import json

from components.cluster_autoscaler import (
    NAMESPACE,
    SCALE,
    SERVICE_ACCOUNT,
    ClusterAutoscaler,
    ClusterAutoscalerArgs,
)
from components.node_pool import NODE_TEMPLATE, POOL_LABEL, NodePool, NodePoolArgs
from mlops.config.model import StackConfig
from mlops.plan.runner import capture
from tests.components.helpers import of_type

RELEASE = "kubernetes:helm.sh/v3:Release"


def declare(config: StackConfig) -> list:
    args = ClusterAutoscalerArgs(
        cluster_name=f"mlops-{config.environment}",
        region=config.cloud.region or "",
        oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.mock/id/x",
        oidc_issuer="https://oidc.eks.mock/id/x",
        chart=config.charts.cluster_autoscaler,
        system_node_labels={POOL_LABEL: "system"},
        tags={},
    )
    return capture(config.environment, lambda: ClusterAutoscaler("cluster-autoscaler", args))


def test_only_this_clusters_groups_may_be_scaled(stack_configs):
    resources = declare(stack_configs["prod"])
    (policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    scaling = [s for s in statements if set(s["Action"]) & set(SCALE)]
    assert len(scaling) == 1 and set(scaling[0]["Action"]) == set(SCALE)
    assert scaling[0]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/mlops-prod": "owned"}
    }
    others = [action for s in statements if s is not scaling[0] for action in s["Action"]]
    assert all(action.split(":")[1].startswith(("Describe", "Get")) for action in others)
    (role,) = of_type(resources, "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    subjects = trust["Condition"]["StringEquals"]
    assert f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}" in subjects.values()


def test_the_release_discovers_this_cluster_and_runs_restricted_on_the_system_pool(stack_configs):
    prod = stack_configs["prod"]
    (release,) = [r.inputs for r in of_type(declare(prod), RELEASE)]
    assert release["version"] == prod.charts.cluster_autoscaler.version
    values = release["values"]
    assert values["autoDiscovery"] == {"clusterName": "mlops-prod"}
    assert values["awsRegion"] == prod.cloud.region
    assert values["rbac"]["serviceAccount"]["name"] == SERVICE_ACCOUNT
    assert "eks.amazonaws.com/role-arn" in values["rbac"]["serviceAccount"]["annotations"]
    assert values["nodeSelector"] == {POOL_LABEL: "system"}
    container = values["containerSecurityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["seccompProfile"] == {"type": "RuntimeDefault"} and container["runAsNonRoot"]


def test_a_gpu_pool_at_zero_tells_the_autoscaler_its_gpus_labels_and_taints(stack_configs):
    pool = stack_configs["prod"].node_pools.training_gpu
    assert pool.min_size == 0  # the case the tags exist for
    args = NodePoolArgs(
        cluster_name="mlops-prod", pool_name="training-gpu", settings=pool,
        node_role_arn="arn:aws:iam::123456789012:role/nodes", subnet_ids=["subnet-a"],
        kms_key_arn="arn:aws:kms::123456789012:key", tags={},
    )  # fmt: skip
    resources = capture("prod", lambda: NodePool("pool", args))
    tags = {
        tag.inputs["tag"]["key"]: tag.inputs["tag"]["value"]
        for tag in of_type(resources, "aws:autoscaling/tag:Tag")
    }
    assert tags[f"{NODE_TEMPLATE}/resources/nvidia.com/gpu"] == str(pool.gpu_count)
    assert tags[f"{NODE_TEMPLATE}/taint/nvidia.com/gpu"] == "present:NoSchedule"
    assert tags[f"{NODE_TEMPLATE}/label/{POOL_LABEL}"] == "training-gpu"
    for key, value in pool.labels.items():
        assert tags[f"{NODE_TEMPLATE}/label/{key}"] == value
    asg = {
        tag.inputs["autoscalingGroupName"] for tag in of_type(resources, "aws:autoscaling/tag:Tag")
    }
    assert asg == {"eks-pool-asg"}  # the managed group's own Auto Scaling group


def test_a_cpu_pool_claims_no_gpus(stack_configs):
    args = NodePoolArgs(
        cluster_name="mlops-dev", pool_name="system", settings=stack_configs["dev"].node_pools.system,
        node_role_arn="arn:aws:iam::123456789012:role/nodes", subnet_ids=["subnet-a"],
        kms_key_arn="arn:aws:kms::123456789012:key", tags={},
    )  # fmt: skip
    resources = capture("dev", lambda: NodePool("pool", args))
    keys = [tag.inputs["tag"]["key"] for tag in of_type(resources, "aws:autoscaling/tag:Tag")]
    assert f"{NODE_TEMPLATE}/label/{POOL_LABEL}" in keys
    assert not [key for key in keys if "/resources/" in key or "/taint/" in key]
