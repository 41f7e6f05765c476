import json

import pulumi
import yaml

from components.cluster import EksCluster, EksClusterArgs
from mlops.config.model import StackConfig
from mlops.plan.runner import capture
from tests.components.helpers import of_type
from tests.components.pulumi_mocks import pulumi_mocks  # noqa: F401 - fixture

SUBNETS = ["subnet-a", "subnet-b"]


def cluster_args(config: StackConfig) -> EksClusterArgs:
    return EksClusterArgs(
        cluster_name=f"mlops-{config.environment}",
        kubernetes_version=config.kubernetes_version,
        node_pools=config.node_pools,
        exposure=config.exposure,
        private_subnet_ids=SUBNETS,
        public_subnet_ids=["subnet-public"],
        tags={},
    )


def declare(config: StackConfig) -> list:
    return capture("test", lambda: EksCluster("cluster", cluster_args(config)))


def test_secrets_are_encrypted_with_a_rotating_key(stack_configs):
    resources = declare(stack_configs["int"])
    (key,) = of_type(resources, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    (cluster,) = of_type(resources, "aws:eks/cluster:Cluster")
    assert (
        cluster.inputs["encryptionConfig"]["provider"]["keyArn"]
        == "arn:aws:kms::123456789012:cluster-secrets"
    )


def test_workload_identity_provider_trusts_sts(stack_configs):
    resources = declare(stack_configs["prod"])
    (oidc,) = of_type(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc.inputs["url"] == "https://oidc.eks.mock/id/cluster"


def test_ebs_driver_role_is_bound_to_its_service_account_only(stack_configs):
    resources = declare(stack_configs["prod"])
    role = next(r for r in of_type(resources, "aws:iam/role:Role") if r.name == "cluster-ebs-csi")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    condition = trust["Condition"]["StringEquals"]
    assert (
        condition["oidc.eks.mock/id/cluster:sub"]
        == "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    )
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    addons = {a.inputs["addonName"] for a in of_type(resources, "aws:eks/addon:Addon")}
    assert addons == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}


def test_nodes_run_in_private_subnets(stack_configs):
    resources = declare(stack_configs["dev"])
    for group in of_type(resources, "aws:eks/nodeGroup:NodeGroup"):
        assert group.inputs["subnetIds"] == SUBNETS


@pulumi.runtime.test
def test_kubeconfig_is_a_secret_that_authenticates_through_aws(pulumi_mocks, stack_configs):  # noqa: F811
    cluster = EksCluster("cluster", cluster_args(stack_configs["dev"]))

    def check(values: list) -> None:
        kubeconfig, is_secret = values
        assert is_secret
        document = yaml.safe_load(kubeconfig)
        assert document["clusters"][0]["cluster"]["server"] == "https://cluster.eks.mock"
        assert document["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]

    return pulumi.Output.all(
        cluster.kubeconfig, pulumi.Output.from_input(cluster.kubeconfig.is_secret())
    ).apply(check)
