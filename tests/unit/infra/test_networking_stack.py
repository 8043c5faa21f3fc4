"""NetworkingStack in the synthesized default stack: subnets, routes, endpoint, security groups, flow logs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lib.settings import TapStackArgs
from tests.unit.infra.conftest import of_type, one, policy_of
from tests.unit.infra.synth import (
    MOCK_ACCOUNT_ID,
    MOCK_DYNAMODB_PREFIX_LIST_ID,
    MOCK_S3_PREFIX_LIST_ID,
    MOCK_US_EAST_1_ZONES,
    synthesize_stack,
)

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource, Synthesis

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
S3_ENDPOINT = "tap-networking-s3-endpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ZONES_INVOKE = "aws:index/getAvailabilityZones:getAvailabilityZones"


def test_vpc_has_dns_and_the_documented_cidr(resources: list[CapturedResource]) -> None:
    vpc = one(resources, "aws:ec2/vpc:Vpc")

    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True


def zone_ids_by_tier(resources: list[CapturedResource]) -> dict[str, list[str]]:
    """Each tier's subnets' zone IDs, in subnet order (first, second zone)."""
    subnets = sorted(of_type(resources, SUBNET), key=lambda subnet: subnet.name)
    return {
        tier: [s.inputs["availabilityZoneId"] for s in subnets if s.inputs["tags"]["Tier"] == tier]
        for tier in ("public", "private")
    }


def test_public_and_private_subnets_span_two_azs_and_never_assign_public_ips(
    resources: list[CapturedResource],
) -> None:
    vpc = one(resources, "aws:ec2/vpc:Vpc")
    subnets = of_type(resources, SUBNET)

    # The mock account's us-east-1a is use1-az3 (no Lambda): zones go by ID, lowest supported first.
    assert zone_ids_by_tier(resources) == {
        "public": ["use1-az1", "use1-az2"],
        "private": ["use1-az1", "use1-az2"],
    }
    assert all("availabilityZone" not in s.inputs for s in subnets)
    assert {s.inputs["tags"]["Name"] for s in subnets} == {
        f"doc-processor-dev-{tier}-{zone}"
        for tier in ("public", "private")
        for zone in ("use1-az1", "use1-az2")
    }
    assert len(subnets) == 4
    assert all(s.inputs["vpcId"] == vpc.id for s in subnets)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_no_nat_and_only_the_public_route_table_reaches_the_internet(
    resources: list[CapturedResource],
) -> None:
    public_rt = one(resources, ROUTE_TABLE, "tap-networking-public-rt")
    private_rt = one(resources, ROUTE_TABLE, "tap-networking-private-rt")
    igw = one(resources, "aws:ec2/internetGateway:InternetGateway")

    assert not of_type(resources, "aws:ec2/natGateway:NatGateway")
    assert not of_type(resources, "aws:ec2/eip:Eip")
    (route,) = of_type(resources, "aws:ec2/route:Route")
    assert route.inputs["routeTableId"] == public_rt.id
    assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
    assert route.inputs["gatewayId"] == igw.id
    assert not private_rt.inputs.get("routes")


def test_private_subnets_use_the_private_route_table_and_public_ones_the_public(
    resources: list[CapturedResource],
) -> None:
    tables = {
        one(resources, ROUTE_TABLE, f"tap-networking-{tier}-rt").id: tier for tier in ("public", "private")
    }
    subnet_tiers = {s.id: s.inputs["tags"]["Tier"] for s in of_type(resources, SUBNET)}

    associations = of_type(resources, ASSOCIATION)
    assert len(associations) == 4
    for association in associations:
        assert tables[association.inputs["routeTableId"]] == subnet_tiers[association.inputs["subnetId"]]


def test_s3_gateway_endpoint_serves_the_private_route_table_and_only_our_buckets(
    resources: list[CapturedResource],
) -> None:
    endpoint = one(resources, ENDPOINT, S3_ENDPOINT)
    private_rt = one(resources, ROUTE_TABLE, "tap-networking-private-rt")
    bucket_arns = sorted(b.state["arn"] for b in of_type(resources, "aws:s3/bucket:Bucket"))

    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint.inputs["routeTableIds"] == [private_rt.id]
    (allow,) = policy_of(endpoint)["Statement"]
    assert allow["Effect"] == "Allow"
    assert sorted(allow["Resource"]) == sorted([*bucket_arns, *(f"{arn}/*" for arn in bucket_arns)])
    assert allow["Condition"] == {"StringEquals": {"aws:PrincipalAccount": MOCK_ACCOUNT_ID}}


def test_lambda_security_group_has_no_ingress_and_only_https_to_the_two_endpoint_prefix_lists(
    resources: list[CapturedResource],
) -> None:
    group = one(resources, SECURITY_GROUP)
    s3 = one(resources, ENDPOINT, S3_ENDPOINT)
    dynamodb = one(resources, ENDPOINT, "tap-catalogue-dynamodb-endpoint")

    assert not group.inputs.get("ingress")
    assert group.inputs["vpcId"] == one(resources, "aws:ec2/vpc:Vpc").id
    rules = [r for r in of_type(resources, EGRESS_RULE) if r.inputs["securityGroupId"] == group.id]
    assert len(rules) == len(of_type(resources, EGRESS_RULE)) == 2
    assert sorted(rule.inputs["prefixListId"] for rule in rules) == sorted(
        [s3.state["prefixListId"], dynamodb.state["prefixListId"]]
    )
    assert {s3.state["prefixListId"], dynamodb.state["prefixListId"]} == {
        MOCK_S3_PREFIX_LIST_ID,
        MOCK_DYNAMODB_PREFIX_LIST_ID,
    }
    for rule in rules:
        # Exactly these inputs: no CIDR, IPv6 range or group reference beside the prefix list.
        assert set(rule.inputs) == {
            "securityGroupId",
            "ipProtocol",
            "fromPort",
            "toPort",
            "prefixListId",
            "description",
            "tags",
        }
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == (
            "tcp",
            443,
            443,
        )
    assert not of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert not of_type(resources, "aws:ec2/securityGroupRule:SecurityGroupRule")


def test_lambda_security_group_has_no_inline_egress_so_the_provider_revokes_the_default(
    resources: list[CapturedResource],
) -> None:
    """Built without `egress`: terraform-provider-aws revokes AWS's default allow-all egress (0.0.0.0/0
    and ::/0) right after CreateSecurityGroup (resourceSecurityGroupCreate, internal/service/ec2/
    vpc_security_group.go), and leaves the rule resources' rules alone afterwards (`egress` is
    Optional+Computed). `egress=[]` would instead make every update revoke those rules: inline and
    separate rules must not be mixed."""
    group = one(resources, SECURITY_GROUP)

    assert "egress" not in group.inputs


def test_default_security_group_is_taken_over_with_no_rules(resources: list[CapturedResource]) -> None:
    default = one(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")

    assert default.inputs["vpcId"] == one(resources, "aws:ec2/vpc:Vpc").id
    assert not default.inputs.get("ingress")
    assert not default.inputs.get("egress")


def test_flow_logs_capture_all_traffic_into_their_log_group_through_a_scoped_role(
    resources: list[CapturedResource],
) -> None:
    flow_log = one(resources, "aws:ec2/flowLog:FlowLog")
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-networking-flow-logs")
    role = one(resources, "aws:iam/role:Role", "tap-networking-flow-logs-role")
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-networking-flow-logs-policy")

    assert flow_log.inputs["vpcId"] == one(resources, "aws:ec2/vpc:Vpc").id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == group.state["arn"]
    assert flow_log.inputs["iamRoleArn"] == role.state["arn"]
    assert role_policy.urn in flow_log.dependencies
    assert group.inputs["retentionInDays"] == 365
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-1:{MOCK_ACCOUNT_ID}:vpc-flow-log/*"},
    }
    assert role_policy.inputs["role"] == role.id
    (write,) = policy_of(role_policy)["Statement"]
    assert sorted(write["Resource"]) == [group.state["arn"], f"{group.state['arn']}:*"]


def test_zones_come_from_the_regions_available_regular_zones_through_the_explicit_provider(
    default_stack: Synthesis,
) -> None:
    (lookup,) = [c for c in default_stack.calls if c.token == ZONES_INVOKE]
    provider = one(default_stack.resources, "pulumi:providers:aws")

    assert lookup.args["state"] == "available"
    assert lookup.args["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    assert lookup.provider == f"{provider.urn}::{provider.id}"
    assert default_stack.value["availabilityZoneIds"] == ["use1-az1", "use1-az2"]


def test_the_choice_does_not_depend_on_the_order_aws_lists_zones_in() -> None:
    for zones in (tuple(reversed(MOCK_US_EAST_1_ZONES)), tuple(sorted(MOCK_US_EAST_1_ZONES))):
        synthesis = synthesize_stack(TapStackArgs(), zones=zones)

        assert zone_ids_by_tier(synthesis.resources)["private"] == ["use1-az1", "use1-az2"]
        assert synthesis.value["availabilityZoneIds"] == ["use1-az1", "use1-az2"]


def test_configured_zone_ids_are_used_in_their_order() -> None:
    # A configured zone the account lacks stops the program with ZoneChoiceError's message (raised in
    # the same apply); its wording is tested in test_zones.py, without a stack: under the mocks an
    # exception inside an apply can leave the run waiting on registrations that never finish.
    synthesis = synthesize_stack(TapStackArgs(availability_zone_ids=("use1-az6", "use1-az4")))

    assert zone_ids_by_tier(synthesis.resources) == {
        "public": ["use1-az6", "use1-az4"],
        "private": ["use1-az6", "use1-az4"],
    }
