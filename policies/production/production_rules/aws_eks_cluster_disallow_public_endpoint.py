"""aws-eks-cluster-disallow-public-endpoint: in int and prod the Kubernetes API has no public
endpoint at all (CI and operators reach it from inside the VPC), not even a CIDR-restricted one."""

from mlops_policy_kit.values import as_bool, as_list, dig
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
    if as_bool(dig(args.props, "vpcConfig", "endpointPublicAccess")) is not False:
        cidrs = ", ".join(
            str(c) for c in as_list(dig(args.props, "vpcConfig", "publicAccessCidrs"))
        )
        report_violation(
            "vpcConfig.endpointPublicAccess is not false (EKS defaults to public)"
            + (f"; public to {cidrs}" if cidrs else ""),
            None,
        )
    if as_bool(dig(args.props, "vpcConfig", "endpointPrivateAccess")) is not True:
        report_violation("vpcConfig.endpointPrivateAccess is not true", None)


POLICY = ResourceValidationPolicy(
    name="aws-eks-cluster-disallow-public-endpoint",
    description="The EKS API endpoint is private only.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set exposure.api_endpoint: private in the stack; reach the API through "
    "the VPC (VPN, bastion or CI runners inside it).",
)
