"""A PodDisruptionBudget for the platform's highly available services."""

import pulumi
import pulumi_kubernetes as k8s


def disruption_budget(
    name: str, *, namespace: str, match_labels: dict[str, str], opts: pulumi.ResourceOptions
) -> k8s.policy.v1.PodDisruptionBudget:
    """Keep at least one replica of a highly available service up during node drains."""
    return k8s.policy.v1.PodDisruptionBudget(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            min_available=1,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=match_labels),
        ),
        opts=opts,
    )
