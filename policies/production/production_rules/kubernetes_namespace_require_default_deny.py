"""kubernetes-namespace-require-default-deny: every namespace starts from "no traffic" (a
NetworkPolicy selecting all pods, for Ingress and Egress, with no rules); the allowed flows are
added on top. A stack policy: it pairs each Namespace with the policies declared in it."""

from typing import Any

from mlops_policy_kit.kubernetes import NAMESPACE, NETWORK_POLICY
from mlops_policy_kit.values import as_list, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

DEFAULT_POLICY_TYPES = ["Ingress", "Egress"]


def is_default_deny(policy: Any, policy_types: list[str]) -> bool:
    spec = dig(policy.props, "spec", default={})
    return (
        not dig(spec, "podSelector", default={})
        and set(policy_types) <= {str(kind) for kind in as_list(dig(spec, "policyTypes"))}
        and not as_list(dig(spec, "ingress"))
        and not as_list(dig(spec, "egress"))
    )


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    policy_types = list(args.get_config().get("policyTypes", DEFAULT_POLICY_TYPES))
    denied = {
        dig(policy.props, "metadata", "namespace")
        for policy in args.resources
        if policy.resource_type == NETWORK_POLICY and is_default_deny(policy, policy_types)
    }
    for namespace in args.resources:
        if namespace.resource_type != NAMESPACE:
            continue
        name = dig(namespace.props, "metadata", "name")
        if name not in denied:
            report_violation(
                f"namespace '{name}' has no default-deny NetworkPolicy "
                f"(podSelector {{}}, policyTypes {', '.join(policy_types)}, no rules)",
                namespace.urn,
            )


POLICY = StackValidationPolicy(
    name="kubernetes-namespace-require-default-deny",
    description="Every namespace has a default-deny NetworkPolicy.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "policyTypes": {
                "type": "array",
                "items": {"type": "string", "enum": ["Ingress", "Egress"]},
                "default": DEFAULT_POLICY_TYPES,
            }
        }
    ),
    remediation_steps="Set security.default_deny_network_policies: true in the stack; tenancy "
    "then declares the default-deny policy and the catalog's allowed flows.",
)
