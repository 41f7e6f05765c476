"""kubernetes-pod-disallow-privileged: no container runs privileged (a privileged container is
root on the node). Covers typed workloads, KServe runtimes and `privileged: true` in Helm values."""

from mlops_policy_kit.kubernetes import containers, helm_findings, helm_values
from mlops_policy_kit.values import as_bool, dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for container in containers(args.resource_type, args.props):
        if as_bool(dig(container.spec, "securityContext", "privileged")):
            report_violation(
                f"container '{container.name}' ({container.path}) sets "
                "securityContext.privileged: true",
                None,
            )
    for finding in helm_findings(helm_values(args.resource_type, args.props), "privileged", True):
        report_violation(f"{finding.path} is true", None)


POLICY = ResourceValidationPolicy(
    name="kubernetes-pod-disallow-privileged",
    description="Containers do not run privileged.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Remove securityContext.privileged; add only the capabilities the process "
    "needs (capabilities.add) and keep allowPrivilegeEscalation: false.",
)
