"""kubernetes-namespace-require-pod-security-labels: every namespace names its Pod Security level
(enforce, and audit and warn), so admission rejects pods that break it."""

from mlops_policy_kit.kubernetes import NAMESPACE
from mlops_policy_kit.values import dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "audit", "warn")
LEVELS = {"privileged", "baseline", "restricted"}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NAMESPACE:
        return
    labels = dig(args.props, "metadata", "labels", default={})
    problems = [
        f"{PREFIX}{mode} is {labels.get(PREFIX + mode)!r}"
        for mode in MODES
        if labels.get(PREFIX + mode) not in LEVELS
    ]
    if problems:
        report_violation("; ".join(problems) + f" (allowed: {', '.join(sorted(LEVELS))})", None)


POLICY = ResourceValidationPolicy(
    name="kubernetes-namespace-require-pod-security-labels",
    description="Namespaces carry Pod Security enforce, audit and warn labels.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Create namespaces through the tenancy component, which labels them from "
    "security.pod_security_level and the namespace catalog.",
)
