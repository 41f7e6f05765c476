"""Hand-built resources for the rule tests: compliant by default, one mistake at a time."""

import copy
from typing import Any

from mlops.plan.capture import PlannedResource
from tests.policies.conftest import resource

ECR = "123456789012.dkr.ecr.eu-central-1.amazonaws.com"
IMAGE = f"{ECR}/predictor:1.4.0"
KMS_ARN = "arn:aws:kms:eu-central-1:123456789012:key/1"


def merged(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """`base` with `change` merged in; a None value deletes the key."""
    result = copy.deepcopy(base)
    for key, value in change.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def eks(**change: Any) -> PlannedResource:
    inputs = {
        "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True},
        "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KMS_ARN}},
        "enabledClusterLogTypes": ["api", "audit", "authenticator"],
    }
    return resource("aws:eks/cluster:Cluster", "cluster", merged(inputs, change))


def node_group(**change: Any) -> PlannedResource:
    inputs = {"instanceTypes": ["m6i.large"], "amiType": "AL2023_x86_64_STANDARD", "taints": []}
    return resource("aws:eks/nodeGroup:NodeGroup", "pool", merged(inputs, change))


GPU_TAINT = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]


def launch_template(**change: Any) -> PlannedResource:
    inputs = {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}}
    return resource("aws:ec2/launchTemplate:LaunchTemplate", "lt", merged(inputs, change))


def rds(**change: Any) -> PlannedResource:
    inputs = {
        "storageEncrypted": True,
        "publiclyAccessible": False,
        "backupRetentionPeriod": 7,
        "deletionProtection": True,
    }
    return resource("aws:rds/instance:Instance", "db", merged(inputs, change))


def kms(**change: Any) -> PlannedResource:
    return resource("aws:kms/key:Key", "key", merged({"enableKeyRotation": True}, change))


def security_group(*ingress: dict[str, Any]) -> PlannedResource:
    return resource("aws:ec2/securityGroup:SecurityGroup", "sg", {"ingress": list(ingress)})


def rule(from_port: int, to_port: int, cidr: str, protocol: str = "tcp") -> dict[str, Any]:
    key = "ipv6CidrBlocks" if ":" in cidr else "cidrBlocks"
    return {"fromPort": from_port, "toPort": to_port, "protocol": protocol, key: [cidr]}


def ecr(**change: Any) -> PlannedResource:
    inputs = {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}}
    return resource("aws:ecr/repository:Repository", "repo", merged(inputs, change))


def bucket_stack(
    name: str = "data",
    *,
    block: dict[str, Any] | None = None,
    encryption: str | None = "aws:kms",
    versioning: str | None = "Enabled",
    with_block: bool = True,
    acl: str | None = None,
) -> list[PlannedResource]:
    """A bucket and the resources pulumi-aws 7 splits its settings into, linked by `bucket`."""
    ref = f"{name}-id"  # the mocks' id of the bucket
    switches = {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    resources = [resource("aws:s3/bucket:Bucket", name, {"bucketPrefix": f"{name}-"})]
    if with_block:
        resources.append(
            resource(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                name,
                {"bucket": ref, **switches, **(block or {})},
            )
        )
    if encryption:
        default = {"sseAlgorithm": encryption}
        resources.append(
            resource(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                name,
                {"bucket": ref, "rules": [{"applyServerSideEncryptionByDefault": default}]},
            )
        )
    if versioning:
        resources.append(
            resource(
                "aws:s3/bucketVersioning:BucketVersioning",
                name,
                {"bucket": ref, "versioningConfiguration": {"status": versioning}},
            )
        )
    if acl:
        resources.append(resource("aws:s3/bucketAcl:BucketAcl", name, {"bucket": ref, "acl": acl}))
    return resources


def container(**change: Any) -> dict[str, Any]:
    base = {
        "name": "app",
        "image": IMAGE,
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
    }
    return merged(base, change)


def pod(*containers: dict[str, Any], namespace: str = "models") -> PlannedResource:
    return resource(
        "kubernetes:core/v1:Pod",
        "pod",
        {
            "metadata": {"name": "pod", "namespace": namespace},
            "spec": {"containers": list(containers) or [container()]},
        },
    )


def deployment(
    replicas: int | None = 2, namespace: str = "models", name: str = "web"
) -> PlannedResource:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name, "tier": "serving"}},
            "spec": {"containers": [container()]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return resource(
        "kubernetes:apps/v1:Deployment",
        name,
        {"metadata": {"name": name, "namespace": namespace}, "spec": spec},
    )


def pdb(selector: dict[str, Any], namespace: str = "models", name: str = "web") -> PlannedResource:
    return resource(
        "kubernetes:policy/v1:PodDisruptionBudget",
        f"{name}-pdb",
        {
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"minAvailable": 1, "selector": selector},
        },
    )


def helm(values: dict[str, Any], namespace: str = "monitoring", **change: Any) -> PlannedResource:
    inputs = {"chart": "example", "version": "1.2.3", "namespace": namespace, "values": values}
    return resource("kubernetes:helm.sh/v3:Release", "release", merged(inputs, change))


def namespace(name: str = "models", **labels: str) -> PlannedResource:
    levels = {
        f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")
    }
    return resource(
        "kubernetes:core/v1:Namespace",
        f"ns-{name}",
        {"metadata": {"name": name, "labels": {**levels, **labels}}},
    )


def network_policy(namespace: str, spec: dict[str, Any]) -> PlannedResource:
    return resource(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        f"{namespace}-np-{len(spec)}",
        {"metadata": {"name": "default-deny", "namespace": namespace}, "spec": spec},
    )


DEFAULT_DENY = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
