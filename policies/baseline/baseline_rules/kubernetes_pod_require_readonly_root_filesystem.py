"""kubernetes-pod-require-readonly-root-filesystem: containers cannot write to their image's
filesystem, so an intruder cannot drop tools into it; scratch space is an emptyDir volume.

Advisory: several upstream images (model servers among them) need a writable root; the
finding is reported on every check without blocking it. A pack config can make it mandatory
(`{"kubernetes-pod-require-readonly-root-filesystem": "mandatory"}`)."""

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
        if as_bool(dig(container.spec, "securityContext", "readOnlyRootFilesystem")) is not True:
            report_violation(
                f"container '{container.name}' ({container.path}) does not set "
                "securityContext.readOnlyRootFilesystem: true",
                None,
            )
    values = helm_values(args.resource_type, args.props)
    for finding in helm_findings(values, "readOnlyRootFilesystem", False):
        report_violation(f"{finding.path} is false", None)


POLICY = ResourceValidationPolicy(
    name="kubernetes-pod-require-readonly-root-filesystem",
    description="Containers run with a read-only root filesystem.",
    validate=validate,
    enforcement_level=EnforcementLevel.ADVISORY,
    remediation_steps="Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir "
    "where the process writes (for example /tmp).",
)
