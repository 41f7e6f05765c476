"""kubernetes-deployment-require-disruption-budget: every replicated serving workload has a
PodDisruptionBudget, so a node drain never takes all its replicas at once. A stack policy: the
budget is a resource of its own that selects the workload's pods by label."""

from typing import Any

from mlops_policy_kit.kubernetes import (
    DEPLOYMENT_PATCH,
    POD_DISRUPTION_BUDGET,
    REPLICATED_TYPES,
    label_selector_matches,
    namespace_of,
    object_name,
    pod_template_labels,
)
from mlops_policy_kit.values import as_number, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

DEFAULT_NAMESPACES = ["models", "kserve"]


def _covered(workload: Any, budgets: list[Any]) -> bool:
    namespace = namespace_of(workload.resource_type, workload.props)
    labels = pod_template_labels(workload.resource_type, workload.props)
    name = object_name(workload.resource_type, workload.props)
    for budget in budgets:
        if dig(budget.props, "metadata", "namespace") != namespace:
            continue
        selector = dig(budget.props, "spec", "selector", default={})
        if labels and label_selector_matches(selector, labels):
            return True
        if (
            workload.resource_type == DEPLOYMENT_PATCH
            and object_name(budget.resource_type, budget.props) == name
        ):
            return True  # a patched chart Deployment: its labels are the chart's
    return False


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    namespaces = args.get_config().get("namespaces", DEFAULT_NAMESPACES)
    budgets = [r for r in args.resources if r.resource_type == POD_DISRUPTION_BUDGET]
    for workload in args.resources:
        if workload.resource_type not in REPLICATED_TYPES:
            continue
        namespace = namespace_of(workload.resource_type, workload.props)
        if namespace not in namespaces:
            continue
        if as_number(dig(workload.props, "spec", "replicas")) is None and (
            workload.resource_type == DEPLOYMENT_PATCH
        ):
            continue
        if not _covered(workload, budgets):
            report_violation(
                f"'{object_name(workload.resource_type, workload.props)}' in namespace "
                f"'{namespace}' has no PodDisruptionBudget selecting its pods",
                workload.urn,
            )


POLICY = StackValidationPolicy(
    name="kubernetes-deployment-require-disruption-budget",
    description="Serving Deployments and StatefulSets have a PodDisruptionBudget.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "namespaces": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_NAMESPACES,
            }
        }
    ),
    remediation_steps="Declare a PodDisruptionBudget (components/disruption_budget.py) "
    "whose selector matches the pod template's labels.",
)
