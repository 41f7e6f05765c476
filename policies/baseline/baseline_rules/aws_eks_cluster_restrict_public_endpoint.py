"""aws-eks-cluster-restrict-public-endpoint: a public Kubernetes API endpoint must be limited to
narrow, named CIDR ranges (an office or VPN egress range). EKS makes the endpoint public to the
whole internet unless told otherwise, and a few wide ranges (0.0.0.0/1 and 128.0.0.0/1) are the
whole internet too."""

from ipaddress import ip_network

from mlops_policy_kit.values import as_bool, as_list, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
DEFAULT_MIN_PREFIX = 16


def _too_wide(cidr: str, min_prefix: int) -> bool:
    try:
        network = ip_network(cidr, strict=False)
    except ValueError:
        return True
    # an IPv6 prefix is compared at the same share of its address space
    prefix = network.prefixlen if network.version == 4 else network.prefixlen // 4
    return prefix < min_prefix


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    if as_bool(dig(args.props, "vpcConfig", "endpointPublicAccess")) is False:
        return
    min_prefix = int(args.get_config().get("minPrefixLength", DEFAULT_MIN_PREFIX))
    cidrs = [str(cidr) for cidr in as_list(dig(args.props, "vpcConfig", "publicAccessCidrs"))]
    if not cidrs:
        report_violation(
            "the API endpoint is public and vpcConfig.publicAccessCidrs is unset "
            "(EKS then allows 0.0.0.0/0)",
            None,
        )
        return
    wide = [cidr for cidr in cidrs if _too_wide(cidr, min_prefix)]
    if wide:
        report_violation(
            f"vpcConfig.publicAccessCidrs {', '.join(wide)} wider than /{min_prefix}", None
        )


POLICY = ResourceValidationPolicy(
    name="aws-eks-cluster-restrict-public-endpoint",
    description="A public EKS API endpoint is reachable only from narrow, named CIDR ranges.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minPrefixLength": {
                "type": "integer",
                "minimum": 0,
                "maximum": 32,
                "default": DEFAULT_MIN_PREFIX,
            }
        }
    ),
    remediation_steps="Set exposure.api_endpoint: private, or list your office or VPN egress "
    "ranges (a /16 or narrower) in exposure.public_access_cidrs.",
)
