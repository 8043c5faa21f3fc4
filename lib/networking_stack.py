"""NetworkingStack: a VPC whose private subnets reach S3 only, through a gateway endpoint.

(CatalogueStack adds the DynamoDB gateway endpoint and its egress rule.)

No NAT gateway and no route to the internet from the private subnets: the function can talk to our
bucket and nothing else. The public subnets exist for future ingress only; nothing is placed in
them and they never assign public IPs.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pulumi
import pulumi_aws as aws

from lib import naming, policies
from lib.log_groups import managed_log_group
from lib.zones import REQUIRED_ZONE_COUNT

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

DEFAULT_VPC_CIDR: Final = "10.0.0.0/16"
DEFAULT_PUBLIC_SUBNET_CIDRS: Final = ("10.0.0.0/24", "10.0.1.0/24")
DEFAULT_PRIVATE_SUBNET_CIDRS: Final = ("10.0.10.0/24", "10.0.11.0/24")
ZONE_POSITIONS: Final = ("a", "b")
"""Logical-name suffixes of the first and second zone: positions, not zone names (zones go by ID)."""
HTTPS_PORT: Final = 443


@dataclass(frozen=True)
class NetworkingStackArgs:
    """What the network needs from the rest of the stack."""

    environment_suffix: str
    """Part of every name."""
    region: str
    """Region of the S3 endpoint's service name and the flow-log role's conditions."""
    availability_zone_ids: pulumi.Input[Sequence[str]]
    """The two zone IDs (``lib.zones.choose_zone_ids``), in subnet order."""
    account_id: pulumi.Input[str]
    """For the endpoint policy and the flow-log role's confused-deputy conditions."""
    partition: pulumi.Input[str]
    """ARN partition of this account (``aws``, ``aws-cn``, ...)."""
    service_name_prefix: pulumi.Input[str]
    """Endpoint service-name prefix of the partition (``com.amazonaws``, ``cn.com.amazonaws``)."""
    bucket_arns: pulumi.Input[list[str]]
    """The only buckets the S3 endpoint lets traffic reach."""
    log_retention_days: int
    """Flow-log group retention."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Encrypts the flow-log group (KMS mode); default none."""
    vpc_cidr: str = DEFAULT_VPC_CIDR
    """Default ``10.0.0.0/16``."""
    public_subnet_cidrs: tuple[str, str] = DEFAULT_PUBLIC_SUBNET_CIDRS
    """One per AZ; default ``10.0.0.0/24``, ``10.0.1.0/24``."""
    private_subnet_cidrs: tuple[str, str] = DEFAULT_PRIVATE_SUBNET_CIDRS
    """One per AZ; default ``10.0.10.0/24``, ``10.0.11.0/24``."""


class NetworkingStack(pulumi.ComponentResource):
    """VPC, public/private subnets in two AZs, S3 gateway endpoint, Lambda SG, flow logs."""

    vpc_id: pulumi.Output[str]
    vpc_cidr_block: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    private_route_table_id: pulumi.Output[str]
    s3_endpoint_id: pulumi.Output[str]
    s3_prefix_list_id: pulumi.Output[str]
    lambda_security_group_id: pulumi.Output[str]
    flow_log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: NetworkingStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:networking:NetworkingStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.environment_suffix
        prefix = naming.function_name(env)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": prefix},
            opts=child,
        )
        # Take over the default security group and leave it without rules, so nothing that lands
        # in it by accident can talk to anything.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[], opts=child)

        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={"Name": prefix}, opts=child
        )
        public_route_table = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": f"{prefix}-public"}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default-route",
            route_table_id=public_route_table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=internet_gateway.id,
            opts=child,
        )
        # One private route table without any default route: only the endpoint's S3 prefix-list
        # route gets added to it.
        private_route_table = aws.ec2.RouteTable(
            f"{name}-private-rt", vpc_id=vpc.id, tags={"Name": f"{prefix}-private"}, opts=child
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        zone_ids = pulumi.Output.from_input(args.availability_zone_ids).apply(_exactly_two_zones)
        for index, az_suffix in enumerate(ZONE_POSITIONS):
            # By zone ID: a zone name maps to a different physical zone in every account.
            zone_id = zone_ids.apply(functools.partial(_at, index))
            public = aws.ec2.Subnet(
                f"{name}-public-{az_suffix}",
                vpc_id=vpc.id,
                cidr_block=args.public_subnet_cidrs[index],
                availability_zone_id=zone_id,
                map_public_ip_on_launch=False,
                tags=zone_id.apply(lambda zone: {"Name": f"{prefix}-public-{zone}", "Tier": "public"}),
                opts=child,
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{az_suffix}",
                vpc_id=vpc.id,
                cidr_block=args.private_subnet_cidrs[index],
                availability_zone_id=zone_id,
                map_public_ip_on_launch=False,
                tags=zone_id.apply(lambda zone: {"Name": f"{prefix}-private-{zone}", "Tier": "private"}),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{az_suffix}-rta",
                subnet_id=public.id,
                route_table_id=public_route_table.id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{az_suffix}-rta",
                subnet_id=private.id,
                route_table_id=private_route_table.id,
                opts=child,
            )
            public_subnets.append(public)
            private_subnets.append(private)

        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=vpc.id,
            service_name=pulumi.Output.from_input(args.service_name_prefix).apply(
                lambda prefix: f"{prefix}.{args.region}.s3"
            ),
            vpc_endpoint_type="Gateway",
            route_table_ids=[private_route_table.id],
            policy=pulumi.Output.all(args.bucket_arns, args.account_id).apply(
                lambda values: json.dumps(
                    policies.s3_endpoint_policy(bucket_arns=tuple(values[0]), account_id=values[1])
                )
            ),
            tags={"Name": f"{prefix}-s3"},
            opts=child,
        )

        # No ingress at all (the function is invoked by Lambda, not over the network); egress only
        # HTTPS to the gateway endpoints' prefix lists, each one a SecurityGroupEgressRule resource
        # (S3's below, DynamoDB's in CatalogueStack). The group is built without `egress`: inline
        # rules and rule resources must not be mixed (each would revoke the other's rules), and an
        # explicit `egress=[]` would make the provider remove the rule resources' rules on every
        # update. Without inline rules, AWS's default allow-all egress still goes: the provider
        # revokes it right after CreateSecurityGroup ("AWS defaults all Security Groups to have an
        # ALLOW ALL egress rule. Here we revoke that rule, so users don't unknowingly have/use it.":
        # resourceSecurityGroupCreate in hashicorp/terraform-provider-aws
        # internal/service/ec2/vpc_security_group.go, which pulumi-aws wraps as
        # aws.ec2.SecurityGroup). tests/unit/infra/test_networking_stack.py holds both sides of it.
        lambda_security_group = aws.ec2.SecurityGroup(
            f"{name}-lambda-sg",
            name=f"{prefix}-lambda",
            # Kept as first deployed although DynamoDB joined S3: the description cannot be changed in
            # place, and replacing a named group that functions use fails on the name.
            description=f"{prefix}: no ingress; HTTPS egress to S3 via the gateway endpoint only",
            vpc_id=vpc.id,
            ingress=[],
            tags={"Name": f"{prefix}-lambda"},
            opts=child,
        )
        https_egress_rule(
            f"{name}-lambda-sg-s3-egress",
            security_group_id=lambda_security_group.id,
            prefix_list_id=endpoint.prefix_list_id,
            description="HTTPS to S3 through the gateway endpoint",
            tags={"Name": f"{prefix}-lambda-s3"},
            opts=child,
        )

        flow_log_group = managed_log_group(
            f"{name}-flow-logs",
            name=naming.flow_log_group_name(env),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        flow_log_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=f"{prefix}-flow-logs",
            description="VPC flow logs delivery to CloudWatch Logs",
            assume_role_policy=pulumi.Output.all(args.partition, args.account_id).apply(
                lambda values: json.dumps(
                    policies.service_assume_role_policy(
                        "vpc-flow-logs.amazonaws.com",
                        source_account=values[1],
                        source_arn_like=f"arn:{values[0]}:ec2:{args.region}:{values[1]}:vpc-flow-log/*",
                    )
                )
            ),
            opts=child,
        )
        flow_log_policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=flow_log_role.id,
            policy=flow_log_group.arn.apply(
                lambda arn: json.dumps(policies.flow_log_delivery_policy(log_group_arn=arn))
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_log_group.arn,
            # The role's ARN only after its policy exists, so delivery never starts unauthorised.
            iam_role_arn=pulumi.Output.all(flow_log_role.arn, flow_log_policy.id).apply(
                lambda values: values[0]
            ),
            tags={"Name": prefix},
            opts=child,
        )

        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in private_subnets])
        self.private_route_table_id = private_route_table.id
        self.s3_endpoint_id = endpoint.id
        self.s3_prefix_list_id = endpoint.prefix_list_id
        self.lambda_security_group_id = lambda_security_group.id
        self.flow_log_group_name = flow_log_group.name
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidrBlock": self.vpc_cidr_block,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "s3VpcEndpointId": self.s3_endpoint_id,
                "lambdaSecurityGroupId": self.lambda_security_group_id,
                "flowLogGroupName": self.flow_log_group_name,
            }
        )


def https_egress_rule(
    resource_name: str,
    *,
    security_group_id: pulumi.Input[str],
    prefix_list_id: pulumi.Input[str],
    description: str,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.vpc.SecurityGroupEgressRule:
    """One egress rule: TCP 443 to one gateway endpoint's prefix list, nothing else."""
    return aws.vpc.SecurityGroupEgressRule(
        resource_name,
        security_group_id=security_group_id,
        description=description,
        ip_protocol="tcp",
        from_port=HTTPS_PORT,
        to_port=HTTPS_PORT,
        prefix_list_id=prefix_list_id,
        tags=dict(tags),
        opts=opts,
    )


def _at(index: int, values: Sequence[str]) -> str:
    return values[index]


def _exactly_two_zones(zone_ids: Sequence[str]) -> list[str]:
    """The subnet CIDRs come in pairs: one zone per CIDR, no more, no fewer, no repeats."""
    ids = list(zone_ids)
    if len(ids) != REQUIRED_ZONE_COUNT or len(set(ids)) != REQUIRED_ZONE_COUNT:
        raise ValueError(f"NetworkingStack needs {REQUIRED_ZONE_COUNT} distinct zone IDs; got {ids}")
    return ids
