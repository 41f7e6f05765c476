from components.network import Network, NetworkArgs
from mlops.config.model import NetworkConfig
from mlops.plan.runner import capture
from tests.components.helpers import of_type

TAGS = {"managed-by": "pulumi"}


def declare(settings: NetworkConfig) -> list:
    return capture("test", lambda: Network("network", NetworkArgs("mlops-test", settings, TAGS)))


def test_prod_spreads_over_three_zones_with_a_nat_gateway_each(stack_configs):
    resources = declare(stack_configs["prod"].network)
    subnets = of_type(resources, "aws:ec2/subnet:Subnet")
    assert len({s.inputs["availabilityZone"] for s in subnets}) == 3
    assert len(of_type(resources, "aws:ec2/natGateway:NatGateway")) == 3
    private_routes = [
        r for r in of_type(resources, "aws:ec2/routeTable:RouteTable") if "private" in r.name
    ]
    assert len({r.inputs["routes"][0]["natGatewayId"] for r in private_routes}) == 3


def test_a_single_nat_gateway_serves_every_private_subnet_in_dev(stack_configs):
    resources = declare(stack_configs["dev"].network)
    assert len(of_type(resources, "aws:ec2/natGateway:NatGateway")) == 1
    private_routes = [
        r for r in of_type(resources, "aws:ec2/routeTable:RouteTable") if "private" in r.name
    ]
    assert len(private_routes) == 2
    assert len({r.inputs["routes"][0]["natGatewayId"] for r in private_routes}) == 1


def test_subnets_are_tagged_for_load_balancers_and_never_assign_public_ips():
    resources = declare(NetworkConfig(vpc_cidr="10.1.0.0/16", availability_zones=2))
    subnets = of_type(resources, "aws:ec2/subnet:Subnet")
    public = [s for s in subnets if "public" in s.name]
    private = [s for s in subnets if "private" in s.name]
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in public)
    cidrs = [s.inputs["cidrBlock"] for s in subnets]
    assert len(set(cidrs)) == 4 and all(c.startswith("10.1.") and c.endswith("/20") for c in cidrs)


def test_flow_logs_and_a_closed_default_security_group():
    resources = declare(NetworkConfig())
    (flow_log,) = of_type(resources, "aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    (default_group,) = of_type(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default_group.inputs.get("ingress") and not default_group.inputs.get("egress")
