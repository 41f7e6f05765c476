"""aws-ec2-securitygroup-disallow-open-admin-ports: no security group lets the whole internet
(0.0.0.0/0 or ::/0) reach an administrative port (SSH, RDP, databases, etcd, the kubelet)."""

from collections.abc import Iterator, Mapping
from typing import Any

from mlops_policy_kit.aws import OPEN_CIDRS
from mlops_policy_kit.values import as_list, as_number, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_ADMIN_PORTS = [22, 3389, 2379, 2380, 3306, 5432, 6379, 10250]
ALL_PROTOCOLS = {"-1", "all"}


def _ingress_rules(resource_type: str, props: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Each ingress rule normalised to {protocol, from, to, cidrs}."""
    if resource_type == SECURITY_GROUP:
        for rule in as_list(dig(props, "ingress")):
            yield _normalise(rule, dig(rule, "protocol"), _cidrs(rule))
    elif resource_type == SECURITY_GROUP_RULE and dig(props, "type") == "ingress":
        yield _normalise(props, dig(props, "protocol"), _cidrs(props))
    elif resource_type == INGRESS_RULE:
        cidrs = [dig(props, "cidrIpv4"), dig(props, "cidrIpv6")]
        yield _normalise(props, dig(props, "ipProtocol"), [c for c in cidrs if c])


def _cidrs(rule: Any) -> list[str]:
    return [str(c) for c in as_list(dig(rule, "cidrBlocks")) + as_list(dig(rule, "ipv6CidrBlocks"))]


def _normalise(rule: Any, protocol: Any, cidrs: list[str]) -> dict[str, Any]:
    return {
        "protocol": str(protocol if protocol is not None else "-1"),
        "from": as_number(dig(rule, "fromPort")),
        "to": as_number(dig(rule, "toPort")),
        "cidrs": cidrs,
    }


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    ports = list(args.get_config().get("adminPorts", DEFAULT_ADMIN_PORTS))
    for rule in _ingress_rules(args.resource_type, args.props):
        open_to = sorted(OPEN_CIDRS.intersection(rule["cidrs"]))
        if not open_to:
            continue
        every_port = rule["protocol"] in ALL_PROTOCOLS
        low, high = rule["from"], rule["to"]
        exposed = [
            port
            for port in ports
            if every_port or (low is not None and high is not None and low <= port <= high)
        ]
        if exposed:
            report_violation(
                f"ingress from {', '.join(open_to)} reaches admin port(s) "
                f"{', '.join(str(port) for port in exposed)}",
                None,
            )


POLICY = ResourceValidationPolicy(
    name="aws-ec2-securitygroup-disallow-open-admin-ports",
    description="Security groups do not open administrative ports to 0.0.0.0/0 or ::/0.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "adminPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "default": DEFAULT_ADMIN_PORTS,
            }
        }
    ),
    remediation_steps="Allow the port from the VPC CIDR, a bastion's security group or a VPN "
    "range instead of the internet; reach nodes with SSM Session Manager.",
)
