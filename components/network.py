"""Network: a VPC over several availability zones, public subnets for load balancers only,
private subnets for nodes and databases, NAT for egress, and flow logs for the audit trail."""

from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from components.iam import allow, policy_document, service_trust_policy
from mlops.config.model import NetworkConfig

SUBNET_PREFIX_EXTRA_BITS = 4  # a /16 VPC yields /20 subnets: 4096 addresses each for pod IPs
FLOW_LOG_RETENTION_DAYS = 365


@dataclass(frozen=True)
class NetworkArgs:
    cluster_name: str
    settings: NetworkConfig
    tags: dict[str, str]


class Network(pulumi.ComponentResource):
    """The VPC of one environment."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        zones = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self)
        )
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**args.tags, "Name": f"{args.cluster_name}-vpc"},
            opts=child,
        )
        self._lock_down_default_security_group(name, vpc, args.tags, child)
        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=args.tags, opts=child
        )
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[
                aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=internet_gateway.id)
            ],
            tags={**args.tags, "Name": f"{args.cluster_name}-public"},
            opts=child,
        )
        cluster_tag = f"kubernetes.io/cluster/{args.cluster_name}"
        subnets = list(
            IPv4Network(settings.vpc_cidr).subnets(prefixlen_diff=SUBNET_PREFIX_EXTRA_BITS)
        )
        nat_count = settings.availability_zones if settings.nat_gateways == "one_per_az" else 1
        self.public_subnet_ids, self.private_subnet_ids = [], []
        nat_gateways: list[aws.ec2.NatGateway] = []
        for index in range(settings.availability_zones):
            zone = zones.names[index]
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=str(subnets[index]),
                map_public_ip_on_launch=False,
                tags={**args.tags, cluster_tag: "shared", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}",
                subnet_id=public.id,
                route_table_id=public_routes.id,
                opts=child,
            )
            self.public_subnet_ids.append(public.id)
            if index < nat_count:
                address = aws.ec2.Eip(
                    f"{name}-nat-{index}", domain="vpc", tags=args.tags, opts=child
                )
                nat_gateways.append(
                    aws.ec2.NatGateway(
                        f"{name}-nat-{index}",
                        subnet_id=public.id,
                        allocation_id=address.id,
                        tags=args.tags,
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway]),
                    )
                )
        for index in range(settings.availability_zones):
            private = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                availability_zone=zones.names[index],
                cidr_block=str(subnets[settings.availability_zones + index]),
                tags={**args.tags, cluster_tag: "shared", "kubernetes.io/role/internal-elb": "1"},
                opts=child,
            )
            routes = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                routes=[
                    aws.ec2.RouteTableRouteArgs(
                        cidr_block="0.0.0.0/0", nat_gateway_id=nat_gateways[index % nat_count].id
                    )
                ],
                tags={**args.tags, "Name": f"{args.cluster_name}-private-{index}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}",
                subnet_id=private.id,
                route_table_id=routes.id,
                opts=child,
            )
            self.private_subnet_ids.append(private.id)
        self._flow_logs(name, vpc, args.tags, child)
        self.vpc_id = vpc.id
        self.vpc_cidr = settings.vpc_cidr
        self.register_outputs(
            {
                "vpc_id": vpc.id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    @staticmethod
    def _lock_down_default_security_group(
        name: str, vpc: aws.ec2.Vpc, tags: dict[str, str], opts: pulumi.ResourceOptions
    ) -> None:
        """Adopt the VPC's default security group with no rules, so nothing uses it by accident."""
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags=tags, opts=opts)

    @staticmethod
    def _flow_logs(
        name: str, vpc: aws.ec2.Vpc, tags: dict[str, str], opts: pulumi.ResourceOptions
    ) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", retention_in_days=FLOW_LOG_RETENTION_DAYS, tags=tags, opts=opts
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=service_trust_policy("vpc-flow-logs.amazonaws.com"),
            tags=tags,
            opts=opts,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: policy_document(
                    allow(
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [f"{arn}:*"],
                    )
                )
            ),
            opts=opts,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            tags=tags,
            opts=opts,
        )
