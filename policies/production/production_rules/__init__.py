"""The production pack's rules (int and prod), one module per rule, on top of the baseline."""

from pulumi_policy import Policy

from production_rules import (
    aws_eks_cluster_disallow_public_endpoint,
    aws_rds_instance_require_deletion_protection,
    kubernetes_deployment_require_disruption_budget,
    kubernetes_deployment_require_replicas,
    kubernetes_namespace_require_default_deny,
    kubernetes_pod_require_allowed_registry,
    kubernetes_route_require_authentication,
)

POLICIES: list[Policy] = [
    module.POLICY
    for module in (
        aws_eks_cluster_disallow_public_endpoint,
        aws_rds_instance_require_deletion_protection,
        kubernetes_pod_require_allowed_registry,
        kubernetes_deployment_require_replicas,
        kubernetes_deployment_require_disruption_budget,
        kubernetes_namespace_require_default_deny,
        kubernetes_route_require_authentication,
    )
]
