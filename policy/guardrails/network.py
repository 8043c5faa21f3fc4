"""Network: EC2.2, EC2.6, EC2.15, EC2.18/19 (CKV2_AWS_11/12, CKV_AWS_24/25/130/260/277) and the
project's network invariants: no NAT gateway, the Lambda subnets have no route to the internet, the
Lambda security groups only speak HTTPS to the gateway endpoints' prefix lists (S3 and DynamoDB),
every egress rule is HTTPS to a prefix list, gateway endpoint policies list their actions and name
concrete ARNs, and the S3 endpoint reaches only our buckets (DESIGN §3 "Network", §4.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from . import tokens
from ._support import (
    Finding,
    PolicyDocumentError,
    StackResource,
    actions,
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
    typed_resource_policy,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulumi_policy import Policy, ResourceValidationPolicy

    from ._support import Props

GATEWAY_SERVICES: Final = ("s3", "dynamodb")
"""The services with gateway endpoints (free, no NAT): everything the functions reach."""
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


def is_gateway_endpoint(props: Props) -> bool:
    """Gateway is the endpoint type's default, so an unset type is a gateway endpoint."""
    return text(props.get("vpcEndpointType")) in ("", "Gateway")


def gateway_endpoints(resources_: Sequence[StackResource], service: str) -> list[StackResource]:
    """The stack's gateway endpoints for ``service`` (``s3``, ``dynamodb``)."""
    return [
        e
        for e in of_type(resources_, tokens.VPC_ENDPOINT)
        if text(e.props.get("serviceName")).endswith(f".{service}") and is_gateway_endpoint(e.props)
    ]


def s3_gateway_endpoints(resources_: Sequence[StackResource]) -> list[StackResource]:
    return gateway_endpoints(resources_, "s3")


def gateway_prefix_lists(resources_: Sequence[StackResource]) -> set[str]:
    """The managed prefix lists of the S3 and DynamoDB gateway endpoints: the only egress targets."""
    return {
        text(e.props.get("prefixListId"))
        for service in GATEWAY_SERVICES
        for e in gateway_endpoints(resources_, service)
    } - {""}


def endpoint_policy_values(endpoint: StackResource, resources_: Sequence[StackResource]) -> list[Any]:
    """The endpoint's policy documents: its own ``policy`` and any ``VpcEndpointPolicy`` naming it."""
    separate = of_type(resources_, tokens.VPC_ENDPOINT_POLICY)
    raw = [endpoint.props.get("policy")] + [
        p.props.get("policy") for p in separate if refers_to(p.props.get("vpcEndpointId"), endpoint)
    ]
    return [r for r in raw if r]


def _bucket_arns(resources_: Sequence[StackResource]) -> set[str]:
    return {text(b.props.get("arn")) for b in of_type(resources_, tokens.BUCKET)} - {""}


def _within_buckets(resource_arn: str, bucket_arns: set[str]) -> bool:
    return any(resource_arn == arn or resource_arn.startswith(f"{arn}/") for arn in bucket_arns)


def endpoint_policy_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: the S3 gateway endpoint's policy allows only this stack's buckets (no exfiltration)."""
    bucket_arns = _bucket_arns(resources_)
    findings: list[Finding] = []
    for endpoint in s3_gateway_endpoints(resources_):
        raw = endpoint_policy_values(endpoint, resources_)
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


def function_route_tables(resources_: Sequence[StackResource], function: StackResource) -> set[str]:
    """The route tables of the function's subnets (through this stack's associations)."""
    subnets = {text(i) for i in as_list(_vpc_config(function).get("subnetIds"))}
    return {
        text(a.props.get("routeTableId"))
        for a in of_type(resources_, tokens.ROUTE_TABLE_ASSOCIATION)
        if text(a.props.get("subnetId")) in subnets
    } - {""}


def _vpc_config(function: StackResource) -> Mapping[str, Any]:
    config = function.props.get("vpcConfig")
    if isinstance(config, list | tuple) and config:
        config = config[0]
    return config if isinstance(config, Mapping) else {}


def _egress_targets(rule: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """A rule's prefix lists, and every other destination it names (CIDRs, security groups)."""
    listed = [text(p) for p in as_list(rule.get("prefixListIds"))] + [text(rule.get("prefixListId"))]
    others = (
        as_list(rule.get("cidrBlocks"))
        + as_list(rule.get("ipv6CidrBlocks"))
        + as_list(rule.get("securityGroups"))
        + [
            v
            for v in (
                rule.get("cidrIpv4"),
                rule.get("cidrIpv6"),
                rule.get("referencedSecurityGroupId"),
                rule.get("sourceSecurityGroupId"),
            )
            if v
        ]
    )
    if is_true(rule.get("self")):
        others.append("self")
    return [p for p in listed if p], others


def _is_https_to(rule: Mapping[str, Any], prefix_lists: set[str] | None = None) -> bool:
    """TCP 443 to prefix lists only (to those in ``prefix_lists`` when given), nothing else."""
    protocol = text(rule.get("protocol")) or text(rule.get("ipProtocol"))
    listed, other_targets = _egress_targets(rule)
    return (
        protocol in ("tcp", "6")
        and number(rule.get("fromPort")) == HTTPS_PORT
        and number(rule.get("toPort")) == HTTPS_PORT
        and bool(listed)
        and (prefix_lists is None or set(listed) <= prefix_lists)
        and not other_targets
    )


def egress_violations(props: Props, resource_type: str) -> list[str]:
    """Project: every egress rule in the stack is TCP 443 to a prefix list (the gateway endpoints'),
    whether inline on a security group or a rule resource of its own."""
    if resource_type in tokens.SECURITY_GROUP:
        rules = [r for r in as_list(props.get("egress")) if isinstance(r, Mapping)]
    elif resource_type in tokens.SECURITY_GROUP_RULE:
        rules = [props] if text(props.get("type")) == "egress" else []
    else:
        rules = [props]
    return [
        f"egress {_port_range(rule)} to {_describe_targets(rule)}: nothing in this stack may leave the "
        f"VPC except HTTPS to the S3 and DynamoDB gateway endpoints; use ip_protocol='tcp', "
        f"from_port=to_port={HTTPS_PORT} and prefix_list_id=<the endpoint's prefix_list_id> only."
        for rule in rules
        if not _is_https_to(rule)
    ]


def _describe_targets(rule: Mapping[str, Any]) -> str:
    listed, others = _egress_targets(rule)
    return ", ".join(str(t) for t in [*listed, *others]) or "no destination"


def gateway_endpoint_policy_violations(props: Props, resource_type: str) -> list[str]:
    """Project (DESIGN §3, §4.1): a gateway endpoint's policy lists its actions (no ``*``, no
    ``service:*``) and names concrete ARNs (no ``*`` resource, no wildcard bucket or table name).

    Which ARNs (this stack's buckets, tables) is checked by the stack policies; a missing policy
    too, since it may come from a separate ``VpcEndpointPolicy``.
    """
    if resource_type in tokens.VPC_ENDPOINT and not is_gateway_endpoint(props):
        return []
    value = props.get("policy")
    if not value:
        return []
    try:
        document = policy_document(value)
    except PolicyDocumentError as error:
        return [f"the endpoint {error}."]
    problems: list[str] = []
    for statement in statements(document):
        if effect(statement) != "Allow":
            continue
        sid = statement.get("Sid", "(no Sid)")
        if statement.get("NotAction") is not None or statement.get("NotResource") is not None:
            problems.append(
                f"endpoint policy statement {sid!r} uses NotAction/NotResource, which allows everything "
                "not listed; list the actions and the ARNs."
            )
        wide = sorted(a for a in actions(statement) if "*" in a or "?" in a)
        if wide:
            problems.append(
                f"endpoint policy statement {sid!r} allows wildcard actions {wide}; list the item or "
                "object actions the functions call (e.g. 'dynamodb:GetItem', 's3:GetObject')."
            )
        loose = sorted(r for r in resources(statement) if not concrete_arn(r))
        if loose or not resources(statement):
            problems.append(
                f"endpoint policy statement {sid!r} allows {loose or 'no named resource'}; name this "
                "stack's concrete ARNs ('<bucket arn>', '<bucket arn>/*', '<table arn>', "
                "'<table arn>/index/<name>')."
            )
    return problems


def concrete_arn(arn: str) -> bool:
    """Whether ``arn`` names one bucket or table: no wildcard in partition, service, region, account,
    bucket name or table name (object keys and index names may be patterns)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or any(_wild(p) for p in parts[1:5]):
        return False
    service, resource = parts[2], parts[5]
    segments = resource.split("/")
    if service == "dynamodb":
        return len(segments) >= 2 and segments[0] == "table" and bool(segments[1]) and not _wild(segments[1])
    return bool(segments[0]) and not _wild(segments[0])


def _wild(value: str) -> bool:
    return "*" in value or "?" in value


def lambda_security_group_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: the functions' security groups have no ingress, and their egress (inline and rule
    resources alike) is only TCP 443 to the S3 and DynamoDB gateway endpoints' prefix lists."""
    prefix_lists = gateway_prefix_lists(resources_)
    findings: list[Finding] = []
    fix = (
        f"allow only egress protocol='tcp', from_port=to_port={HTTPS_PORT} to the S3/DynamoDB gateway "
        f"endpoints' prefix_list_id (found prefix lists {sorted(prefix_lists)}) and no ingress."
    )
    rule_types = (
        *tokens.SECURITY_GROUP_RULE,
        *tokens.SECURITY_GROUP_EGRESS_RULE,
        *tokens.SECURITY_GROUP_INGRESS_RULE,
    )
    groups: list[StackResource] = []
    for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
        groups += [g for g in function_security_groups(resources_, function) if g not in groups]
    for group in groups:
        inline_ingress = as_list(group.props.get("ingress"))
        egress = [r for r in as_list(group.props.get("egress")) if isinstance(r, Mapping)]
        separate_rules = [
            r for r in of_type(resources_, rule_types) if refers_to(r.props.get("securityGroupId"), group)
        ]
        ingress_rules = [
            r
            for r in separate_rules
            if r.resource_type in tokens.SECURITY_GROUP_INGRESS_RULE or text(r.props.get("type")) == "ingress"
        ]
        egress += [r.props for r in separate_rules if not any(r is i for i in ingress_rules)]
        if inline_ingress or ingress_rules:
            findings.append(
                Finding(f"security group {label(group)} of the function has ingress rules; {fix}", group.urn)
            )
        if not egress:
            findings.append(
                Finding(
                    f"security group {label(group)} of the function has no egress, so it cannot reach "
                    f"S3 or DynamoDB; {fix}",
                    group.urn,
                )
            )
        for rule in egress:
            if not _is_https_to(rule, prefix_lists):
                findings.append(
                    Finding(
                        f"security group {label(group)} of the function allows egress "
                        f"{_port_range(rule)} to {_describe_targets(rule)}, beyond HTTPS to the gateway "
                        f"endpoints; {fix}",
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
    typed_resource_policy(
        name="project-egress-https-to-prefix-lists-only",
        description="Every egress rule (inline, SecurityGroupRule, SecurityGroupEgressRule) is TCP 443 to "
        "a prefix list (DESIGN §3).",
        resource_types=(
            *tokens.SECURITY_GROUP,
            *tokens.SECURITY_GROUP_RULE,
            *tokens.SECURITY_GROUP_EGRESS_RULE,
        ),
        check=egress_violations,
    ),
    typed_resource_policy(
        name="project-gateway-endpoint-policy-explicit",
        description="Gateway endpoint policies list their actions (no '*' or 'service:*') and name "
        "concrete bucket/table ARNs, never '*' (DESIGN §3, §4.1).",
        resource_types=(*tokens.VPC_ENDPOINT, *tokens.VPC_ENDPOINT_POLICY),
        check=gateway_endpoint_policy_violations,
    ),
    stack_policy(
        name="project-lambda-security-group-https-to-gateway-endpoints-only",
        description="The functions' security groups: no ingress; egress, inline and rule resources "
        "alike, only TCP 443 to the S3 and DynamoDB gateway endpoints' prefix lists (DESIGN §3, §4.1).",
        check=resources_only(lambda_security_group_findings),
    ),
    stack_policy(
        name="project-lambda-subnets-private",
        description="The function's subnets have no route to the internet (DESIGN §3).",
        check=resources_only(private_subnet_findings),
    ),
]
