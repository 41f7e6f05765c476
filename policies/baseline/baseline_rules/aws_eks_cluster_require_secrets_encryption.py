"""aws-eks-cluster-require-secrets-encryption: Kubernetes Secrets are envelope-encrypted with a
customer-managed KMS key, so a copy of etcd alone reveals nothing."""

from mlops_policy_kit.values import as_list, dig, is_sequence
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    configs = dig(args.props, "encryptionConfig", default={})
    configs = list(configs) if is_sequence(configs) else [configs]
    if not any(
        "secrets" in as_list(dig(config, "resources")) and dig(config, "provider", "keyArn")
        for config in configs
    ):
        report_violation(
            "encryptionConfig does not encrypt 'secrets' with a KMS key (provider.keyArn)", None
        )


POLICY = ResourceValidationPolicy(
    name="aws-eks-cluster-require-secrets-encryption",
    description="EKS encrypts Kubernetes Secrets with a customer-managed KMS key.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Give the cluster encryptionConfig {resources: [secrets], provider: "
    "{keyArn: <KMS key ARN>}} (components/cluster.py does).",
)
