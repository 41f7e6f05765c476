"""aws-eks-cluster-restrict-public-endpoint: a public Kubernetes API endpoint must be limited to
named CIDR ranges. EKS makes the endpoint public to the whole internet unless told otherwise."""

from mlops_policy_kit.aws import OPEN_CIDRS
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
    public = as_bool(dig(args.props, "vpcConfig", "endpointPublicAccess"))
    if public is False:
        return
    cidrs = [str(cidr) for cidr in as_list(dig(args.props, "vpcConfig", "publicAccessCidrs"))]
    if not cidrs:
        report_violation(
            "the API endpoint is public and vpcConfig.publicAccessCidrs is unset "
            "(EKS then allows 0.0.0.0/0)",
            None,
        )
    elif open_ranges := sorted(OPEN_CIDRS.intersection(cidrs)):
        report_violation(f"vpcConfig.publicAccessCidrs contains {', '.join(open_ranges)}", None)


POLICY = ResourceValidationPolicy(
    name="aws-eks-cluster-restrict-public-endpoint",
    description="A public EKS API endpoint is reachable only from named CIDR ranges.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set exposure.api_endpoint: private, or list your office or VPN egress "
    "ranges in exposure.public_access_cidrs.",
)
