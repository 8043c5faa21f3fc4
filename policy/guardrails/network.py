"""Network: EC2.2, EC2.6, EC2.15, EC2.18/19 (CKV2_AWS_11/12, CKV_AWS_24/25/130/260/277) and the
project's network invariants: no NAT gateway, the Lambda subnets have no route to the internet, the
Lambda security group only speaks HTTPS to S3's prefix list, and the S3 endpoint reaches only our
buckets (DESIGN §3 "Network").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from . import tokens
from ._support import (
    Finding,
    PolicyDocumentError,
    StackResource,
    as_list,
    effect,
    identifiers,
    is_true,
    label,
    number,
    of_type,
    policy_document,
    props_only,
    refers_to,
    resource_policy,
    resources,
    resources_only,
    stack_policy,
    statements,
    text,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulumi_policy import Policy, ResourceValidationPolicy

    from ._support import Props

OPEN_IPV4: Final = "0.0.0.0/0"
OPEN_IPV6: Final = "::/0"
HTTPS_PORT: Final = 443
FLOW_LOG_TRAFFIC_TYPES: Final = frozenset({"ALL", "REJECT"})


# --- per-resource checks -------------------------------------------------------------------------


def default_security_group_violations(props: Props) -> list[str]:
    """EC2.2, CKV2_AWS_12: the adopted default security group has no rules at all."""
    problems = []
    for direction in ("ingress", "egress"):
        if as_list(props.get(direction)):
            problems.append(
                f"EC2.2 (CKV2_AWS_12): the VPC's default security group has {direction} rules; adopt it "
                f"with {direction}=[] so anything placed in it by accident can reach nothing."
            )
    return problems


def subnet_public_ip_violations(props: Props) -> list[str]:
    """EC2.15, CKV_AWS_130: subnets never assign public IPv4 addresses."""
    if is_true(props.get("mapPublicIpOnLaunch")):
        return [
            "EC2.15 (CKV_AWS_130): map_public_ip_on_launch is true, so every interface launched here "
            "gets a public IP; set map_public_ip_on_launch=False."
        ]
    return []


def _open_sources(rule: Mapping[str, Any]) -> list[str]:
    sources = [str(c) for c in as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))]
    sources += [text(rule.get("cidrIpv4")), text(rule.get("cidrIpv6"))]
    return [s for s in sources if s in (OPEN_IPV4, OPEN_IPV6)]


def _port_range(rule: Mapping[str, Any]) -> str:
    low, high = number(rule.get("fromPort")), number(rule.get("toPort"))
    protocol = text(rule.get("protocol")) or text(rule.get("ipProtocol"))
    if protocol in ("-1", "all") or low is None:
        return "all ports"
    return f"{protocol} {int(low)}-{int(high if high is not None else low)}"


def open_ingress_violations(props: Props, resource_type: str) -> list[str]:
    """EC2.18/EC2.19, CKV_AWS_24/25/260/277: no ingress from the whole internet, on any port."""
    if resource_type in tokens.SECURITY_GROUP:
        rules = [r for r in as_list(props.get("ingress")) if isinstance(r, Mapping)]
    elif resource_type in tokens.SECURITY_GROUP_RULE:
        rules = [props] if text(props.get("type")) == "ingress" else []
    else:
        rules = [props]
    return [
        f"EC2.18/EC2.19 (CKV_AWS_24/25/260/277): ingress on {_port_range(rule)} from {source}; nothing in "
        "this stack is reached over the network, remove the rule (or narrow the source to a known CIDR "
        "or security group)."
        for rule in rules
        for source in _open_sources(rule)
    ]


def flow_log_violations(props: Props) -> list[str]:
    """EC2.6: flow logs capture at least rejected traffic and go somewhere."""
    problems = []
    traffic = text(props.get("trafficType"))
    if traffic not in FLOW_LOG_TRAFFIC_TYPES:
        problems.append(
            f"EC2.6 (CKV2_AWS_11): traffic_type is {traffic or 'unset'!r}; set 'ALL' (or at least 'REJECT')."
        )
    if not text(props.get("logDestination")):
        problems.append("EC2.6 (CKV2_AWS_11): the flow log has no log_destination; point it at a log group.")
    return problems


# --- stack checks --------------------------------------------------------------------------------


def _vpcs_missing(resources_: Sequence[StackResource], types: tuple[str, ...], message: str) -> list[Finding]:
    companions = [text(r.props.get("vpcId")) for r in of_type(resources_, types)]
    return [
        Finding(f"VPC {label(vpc)}: {message}", vpc.urn)
        for vpc in of_type(resources_, tokens.VPC)
        if not any(refers_to(c, vpc) for c in companions)
    ]


def vpc_flow_log_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """EC2.6, CKV2_AWS_11: every VPC has a flow log."""
    return _vpcs_missing(
        resources_,
        tokens.FLOW_LOG,
        "EC2.6 (CKV2_AWS_11): no flow log; add aws.ec2.FlowLog(vpc_id=..., traffic_type='ALL') into a "
        "log group with retention.",
    )


def vpc_default_security_group_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """EC2.2, CKV2_AWS_12: every VPC's default security group is adopted (and emptied)."""
    return _vpcs_missing(
        resources_,
        tokens.DEFAULT_SECURITY_GROUP,
        "EC2.2 (CKV2_AWS_12): the default security group is not adopted, so it keeps AWS's "
        "allow-all-within-group rules; add aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], egress=[]).",
    )


def nat_gateway_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: no NAT gateway (the function must not reach the internet; S3 goes via the endpoint)."""
    return [
        Finding(
            f"{label(nat)}: the design forbids NAT gateways: the function reaches S3 through the gateway "
            "endpoint and nothing else; remove the NAT gateway (and its route).",
            nat.urn,
        )
        for nat in of_type(resources_, tokens.NAT_GATEWAY)
    ]


def s3_gateway_endpoints(resources_: Sequence[StackResource]) -> list[StackResource]:
    return [
        e
        for e in of_type(resources_, tokens.VPC_ENDPOINT)
        if text(e.props.get("serviceName")).endswith(".s3")
        and text(e.props.get("vpcEndpointType")) in ("", "Gateway")
    ]


def _bucket_arns(resources_: Sequence[StackResource]) -> set[str]:
    return {text(b.props.get("arn")) for b in of_type(resources_, tokens.BUCKET)} - {""}


def _within_buckets(resource_arn: str, bucket_arns: set[str]) -> bool:
    return any(resource_arn == arn or resource_arn.startswith(f"{arn}/") for arn in bucket_arns)


def endpoint_policy_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: the S3 gateway endpoint's policy allows only this stack's buckets (no exfiltration)."""
    bucket_arns = _bucket_arns(resources_)
    separate = of_type(resources_, tokens.VPC_ENDPOINT_POLICY)
    findings: list[Finding] = []
    for endpoint in s3_gateway_endpoints(resources_):
        raw = [endpoint.props.get("policy")] + [
            p.props.get("policy") for p in separate if refers_to(p.props.get("vpcEndpointId"), endpoint)
        ]
        raw = [r for r in raw if r]
        if not raw:
            findings.append(
                Finding(
                    f"{label(endpoint)}: the S3 endpoint has no policy, so it reaches every bucket in "
                    "every account; set policy to allow only this stack's bucket ARNs.",
                    endpoint.urn,
                )
            )
            continue
        for value in raw:
            try:
                document = policy_document(value)
            except PolicyDocumentError as error:
                findings.append(Finding(f"{label(endpoint)}: endpoint {error}.", endpoint.urn))
                continue
            for statement in statements(document):
                if effect(statement) != "Allow":
                    continue
                stray = [r for r in resources(statement) if not _within_buckets(r, bucket_arns)]
                if statement.get("NotResource") is not None or not resources(statement) or stray:
                    findings.append(
                        Finding(
                            f"{label(endpoint)}: endpoint policy statement "
                            f"{statement.get('Sid', '(no Sid)')!r} allows {stray or 'every resource'}, "
                            f"outside this stack's buckets {sorted(bucket_arns)}; list only "
                            "'<bucket arn>' and '<bucket arn>/*' of our buckets.",
                            endpoint.urn,
                        )
                    )
    return findings


def function_security_groups(
    resources_: Sequence[StackResource], function: StackResource
) -> list[StackResource]:
    ids = [text(i) for i in as_list(_vpc_config(function).get("securityGroupIds"))]
    return [sg for sg in of_type(resources_, tokens.SECURITY_GROUP) if any(refers_to(i, sg) for i in ids)]


def _vpc_config(function: StackResource) -> Mapping[str, Any]:
    config = function.props.get("vpcConfig")
    if isinstance(config, list | tuple) and config:
        config = config[0]
    return config if isinstance(config, Mapping) else {}


def _is_https_to(rule: Mapping[str, Any], prefix_lists: set[str]) -> bool:
    protocol = text(rule.get("protocol")) or text(rule.get("ipProtocol"))
    listed = [text(p) for p in as_list(rule.get("prefixListIds"))] + [text(rule.get("prefixListId"))]
    listed = [p for p in listed if p]
    other_targets = (
        as_list(rule.get("cidrBlocks"))
        + as_list(rule.get("ipv6CidrBlocks"))
        + as_list(rule.get("securityGroups"))
        + [
            v
            for v in (rule.get("cidrIpv4"), rule.get("cidrIpv6"), rule.get("referencedSecurityGroupId"))
            if v
        ]
    )
    return (
        protocol in ("tcp", "6")
        and number(rule.get("fromPort")) == HTTPS_PORT
        and number(rule.get("toPort")) == HTTPS_PORT
        and bool(listed)
        and set(listed) <= prefix_lists
        and not other_targets
    )


def lambda_security_group_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: the function's security groups have no ingress and egress only TCP 443 to the S3
    gateway endpoint's prefix list."""
    prefix_lists = {text(e.props.get("prefixListId")) for e in s3_gateway_endpoints(resources_)} - {""}
    findings: list[Finding] = []
    fix = (
        f"allow only egress protocol='tcp', from_port=to_port={HTTPS_PORT}, prefix_list_ids=[<S3 gateway "
        f"endpoint prefix_list_id>] (found prefix lists {sorted(prefix_lists)}) and no ingress."
    )
    for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
        for group in function_security_groups(resources_, function):
            inline_ingress = as_list(group.props.get("ingress"))
            egress = [r for r in as_list(group.props.get("egress")) if isinstance(r, Mapping)]
            separate_rules = [
                r
                for r in of_type(
                    resources_,
                    (
                        *tokens.SECURITY_GROUP_RULE,
                        *tokens.SECURITY_GROUP_EGRESS_RULE,
                        *tokens.SECURITY_GROUP_INGRESS_RULE,
                    ),
                )
                if refers_to(r.props.get("securityGroupId"), group)
            ]
            ingress_rules = [
                r
                for r in separate_rules
                if r.resource_type in tokens.SECURITY_GROUP_INGRESS_RULE
                or text(r.props.get("type")) == "ingress"
            ]
            egress += [r.props for r in separate_rules if not any(r is i for i in ingress_rules)]
            if inline_ingress or ingress_rules:
                findings.append(
                    Finding(
                        f"security group {label(group)} of the function has ingress rules; {fix}", group.urn
                    )
                )
            if not egress:
                findings.append(
                    Finding(
                        f"security group {label(group)} of the function has no egress, so it cannot "
                        f"reach S3; {fix}",
                        group.urn,
                    )
                )
            for rule in egress:
                if not _is_https_to(rule, prefix_lists):
                    findings.append(
                        Finding(
                            f"security group {label(group)} of the function allows egress "
                            f"{_port_range(rule)} beyond HTTPS to S3; {fix}",
                            group.urn,
                        )
                    )
    return findings


def private_subnet_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: the function's subnets have no default route (to an internet or NAT gateway)."""
    findings: list[Finding] = []
    associations = of_type(resources_, tokens.ROUTE_TABLE_ASSOCIATION)
    tables = of_type(resources_, tokens.ROUTE_TABLE)
    routes = of_type(resources_, tokens.ROUTE)
    for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
        for subnet_id in [text(i) for i in as_list(_vpc_config(function).get("subnetIds"))]:
            table_ids = [
                text(a.props.get("routeTableId"))
                for a in associations
                if text(a.props.get("subnetId")) == subnet_id
            ]
            if not table_ids:
                findings.append(
                    Finding(
                        f"function {label(function)}: subnet {subnet_id!r} has no route table association "
                        "in this stack, so it uses the VPC's main route table, which the stack does not "
                        "control; associate it with the private route table.",
                        function.urn,
                    )
                )
            for table_id in table_ids:
                destinations = [
                    (
                        text(r.props.get("destinationCidrBlock"))
                        or text(r.props.get("destinationIpv6CidrBlock"))
                    )
                    for r in routes
                    if text(r.props.get("routeTableId")) == table_id
                ] + [
                    (text(route.get("cidrBlock")) or text(route.get("ipv6CidrBlock")))
                    for table in tables
                    if table_id in identifiers(table)
                    for route in as_list(table.props.get("routes"))
                    if isinstance(route, Mapping)
                ]
                for destination in destinations:
                    if destination in (OPEN_IPV4, OPEN_IPV6):
                        findings.append(
                            Finding(
                                f"function {label(function)}: subnet {subnet_id!r} routes {destination} "
                                f"(route table {table_id!r}), so the function can reach the internet; the "
                                "function belongs in private subnets without a default route (S3 is "
                                "reached through the gateway endpoint's prefix-list route).",
                                function.urn,
                            )
                        )
    return findings


# --- the policies --------------------------------------------------------------------------------


def _open_ingress_policy(suffix: str, types: tuple[str, ...]) -> ResourceValidationPolicy:
    """One policy per rule-bearing type: each reads its rules from a differently shaped resource."""
    return resource_policy(
        name=f"ec2-18-ec2-19-ckv-aws-24-25-260-277-no-open-ingress-{suffix}",
        description="Security groups allow no ingress from 0.0.0.0/0 or ::/0 (EC2.18, EC2.19; "
        "CKV_AWS_24, CKV_AWS_25, CKV_AWS_260, CKV_AWS_277).",
        resource_types=types,
        check=lambda props, config: open_ingress_violations(props, types[0]),
    )


POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="ec2-2-ckv2-aws-12-default-security-group-no-rules",
        description="The VPC default security group has no rules (EC2.2; CKV2_AWS_12).",
        resource_types=tokens.DEFAULT_SECURITY_GROUP,
        check=props_only(default_security_group_violations),
    ),
    resource_policy(
        name="ec2-15-ckv-aws-130-no-public-ip-on-launch",
        description="Subnets do not assign public IPv4 addresses (EC2.15; CKV_AWS_130).",
        resource_types=tokens.SUBNET,
        check=props_only(subnet_public_ip_violations),
    ),
    _open_ingress_policy("security-group", tokens.SECURITY_GROUP),
    _open_ingress_policy("security-group-rule", tokens.SECURITY_GROUP_RULE),
    _open_ingress_policy("ingress-rule", tokens.SECURITY_GROUP_INGRESS_RULE),
    resource_policy(
        name="ec2-6-ckv2-aws-11-flow-log-settings",
        description="VPC flow logs record at least rejected traffic into a destination (EC2.6; CKV2_AWS_11).",
        resource_types=tokens.FLOW_LOG,
        check=props_only(flow_log_violations),
    ),
    stack_policy(
        name="ec2-6-ckv2-aws-11-every-vpc-flow-log",
        description="Every VPC has flow logging (EC2.6; CKV2_AWS_11).",
        check=resources_only(vpc_flow_log_findings),
    ),
    stack_policy(
        name="ec2-2-ckv2-aws-12-every-vpc-default-security-group",
        description="Every VPC's default security group is adopted and restricts all traffic (EC2.2; "
        "CKV2_AWS_12).",
        check=resources_only(vpc_default_security_group_findings),
    ),
    stack_policy(
        name="project-no-nat-gateway",
        description="The stack has no NAT gateway: the function reaches S3 only (DESIGN §3).",
        check=resources_only(nat_gateway_findings),
    ),
    stack_policy(
        name="project-s3-endpoint-policy-only-our-buckets",
        description="The S3 gateway endpoint's policy allows only this stack's buckets (DESIGN §3).",
        check=resources_only(endpoint_policy_findings),
    ),
    stack_policy(
        name="project-lambda-security-group-https-to-s3-only",
        description="The function's security groups: no ingress, egress only TCP 443 to the S3 prefix "
        "list (DESIGN §3).",
        check=resources_only(lambda_security_group_findings),
    ),
    stack_policy(
        name="project-lambda-subnets-private",
        description="The function's subnets have no route to the internet (DESIGN §3).",
        check=resources_only(private_subnet_findings),
    ),
]
