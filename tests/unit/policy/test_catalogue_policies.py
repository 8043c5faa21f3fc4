"""The catalogue's policies (issue 13) in detail: each passes the compliant resource it is meant for and
reports each way of getting it wrong, on small hand-built resources and stacks (the real synthesized
stack's shapes are covered in ``test_stack_policies``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy

from policy.guardrails import POLICIES, catalogue, compute, network
from tests.unit.policy.harness import policy_resource, validate_resource
from tests.unit.policy.test_resource_policies import COMPLIANT_TABLE

ACCOUNT = "123456789012"
TABLE = "doc-processor-dev-catalogue"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TABLE}"
INDEX_ARN = f"{TABLE_ARN}/index/byType"
OTHER_TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/payroll"
BUCKET = "docs-dev-123456789012-us-east-1"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
FUNCTION = "doc-reconciler-dev"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION}"
QUEUE = "doc-reconciler-dev-failures"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{QUEUE}"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:doc-processor-dev-alarms"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ITEM_ACTIONS = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]

RESOURCE_POLICIES = {p.name: p for p in POLICIES if isinstance(p, ResourceValidationPolicy)}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def endpoint_policy(*resources: str, action: Any = None) -> str:
    return doc(
        {
            "Sid": "OnlyOurTable",
            "Effect": "Allow",
            "Principal": "*",
            "Action": action if action is not None else ITEM_ACTIONS,
            "Resource": list(resources),
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
        }
    )


# --- per-resource: the compliant resource passes -------------------------------------------------

HTTPS_TO_PREFIX_LIST: dict[str, Any] = {
    "securityGroupId": "sg-1",
    "ipProtocol": "tcp",
    "fromPort": 443.0,
    "toPort": 443.0,
    "prefixListId": "pl-02cd2c6b",
}

COMPLIANT: list[tuple[str, str, dict[str, Any]]] = [
    ("dynamodb-2-ckv-aws-28-table-point-in-time-recovery", "aws:dynamodb/table:Table", COMPLIANT_TABLE),
    ("dynamodb-6-table-deletion-protection", "aws:dynamodb/table:Table", COMPLIANT_TABLE),
    ("dynamodb-1-table-on-demand", "aws:dynamodb/table:Table", COMPLIANT_TABLE),
    (
        "ckv-aws-119-dynamodb-cmk-advisory",
        "aws:dynamodb/table:Table",
        {**COMPLIANT_TABLE, "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN}},
    ),
    (
        "sqs-1-ckv-aws-27-queue-encrypted",
        "aws:sqs/queue:Queue",
        {"name": QUEUE, "sqsManagedSseEnabled": True},
    ),
    ("sqs-1-ckv-aws-27-queue-encrypted", "aws:sqs/queue:Queue", {"name": QUEUE, "kmsMasterKeyId": KEY_ARN}),
    (
        "project-egress-https-to-prefix-lists-only",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        HTTPS_TO_PREFIX_LIST,
    ),
    (
        "project-egress-https-to-prefix-lists-only",
        "aws:ec2/securityGroup:SecurityGroup",
        {
            "ingress": [],
            "egress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "prefixListIds": ["pl-1"]}],
        },
    ),
    (
        "project-gateway-endpoint-policy-explicit",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        {
            "serviceName": "com.amazonaws.us-east-1.dynamodb",
            "vpcEndpointType": "Gateway",
            "policy": endpoint_policy(TABLE_ARN, INDEX_ARN),
        },
    ),
    (
        "project-gateway-endpoint-policy-explicit",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        {
            "serviceName": "com.amazonaws.us-east-1.s3",
            "policy": endpoint_policy(BUCKET_ARN, f"{BUCKET_ARN}/*", action=["s3:GetObject"]),
        },
    ),
    (
        "lambda-1-ckv-aws-301-364-permission-not-public",
        "aws:lambda/permission:Permission",
        {
            "action": "lambda:InvokeFunction",
            "function": FUNCTION,
            "principal": "s3.amazonaws.com",
            "sourceArn": BUCKET_ARN,
            "sourceAccount": ACCOUNT,
        },
    ),
]


@pytest.mark.parametrize(
    ("policy", "resource_type", "props"), COMPLIANT, ids=[f"{p}-{t.split(':')[-1]}" for p, t, _ in COMPLIANT]
)
def test_compliant_resource_passes(policy: str, resource_type: str, props: dict[str, Any]) -> None:
    assert validate_resource(RESOURCE_POLICIES[policy], resource_type, props) == []


# --- per-resource: details -----------------------------------------------------------------------


def test_table_without_any_recovery_or_protection_settings_is_reported_for_each() -> None:
    """The provider's defaults (nothing set) are the insecure ones: PITR off, protection off."""
    bare = {"name": TABLE, "hashKey": "pk"}

    assert catalogue.table_recovery_violations(bare)[0].startswith("DynamoDB.2 (CKV_AWS_28)")
    assert catalogue.table_deletion_protection_violations(bare)[0].startswith("DynamoDB.6")
    assert "'unset (PROVISIONED)'" in catalogue.table_capacity_violations(bare)[0]


def test_queue_left_to_the_service_default_is_reported() -> None:
    assert catalogue.queue_encryption_violations({"name": QUEUE})[0].startswith("SQS.1 (CKV_AWS_27)")


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            {**HTTPS_TO_PREFIX_LIST, "prefixListId": None, "cidrIpv4": "52.216.0.0/15"},
            "egress tcp 443-443 to 52.216.0.0/15",
        ),
        (
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            {**HTTPS_TO_PREFIX_LIST, "fromPort": 0.0, "toPort": 65535.0},
            "egress tcp 0-65535 to pl-02cd2c6b",
        ),
        (
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            {**HTTPS_TO_PREFIX_LIST, "referencedSecurityGroupId": "sg-2"},
            "egress tcp 443-443 to pl-02cd2c6b, sg-2",
        ),
        (
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            {
                "type": "egress",
                "securityGroupId": "sg-1",
                "protocol": "udp",
                "fromPort": 53.0,
                "toPort": 53.0,
                "cidrBlocks": ["10.0.0.2/32"],
            },
            "egress udp 53-53 to 10.0.0.2/32",
        ),
        (
            "aws:ec2/securityGroup:SecurityGroup",
            {"egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}]},
            "egress all ports to 0.0.0.0/0",
        ),
    ],
)
def test_egress_that_is_not_https_to_a_prefix_list_is_reported(
    resource_type: str, props: dict[str, Any], expected: str
) -> None:
    messages = validate_resource(
        RESOURCE_POLICIES["project-egress-https-to-prefix-lists-only"], resource_type, props
    )

    assert len(messages) == 1
    assert messages[0].startswith(f"{expected}:"), messages


def test_ingress_rule_resources_are_not_egress() -> None:
    """``SecurityGroupRule`` carries both directions; ingress is the open-ingress policies' business."""
    props = {
        "type": "ingress",
        "protocol": "tcp",
        "fromPort": 22.0,
        "toPort": 22.0,
        "cidrBlocks": ["10.0.0.0/8"],
    }

    assert network.egress_violations(props, "aws:ec2/securityGroupRule:SecurityGroupRule") == []


@pytest.mark.parametrize(
    ("arn", "concrete"),
    [
        (TABLE_ARN, True),
        (INDEX_ARN, True),
        (f"{TABLE_ARN}/index/*", True),
        (BUCKET_ARN, True),
        (f"{BUCKET_ARN}/documents/*", True),
        ("*", False),
        (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/*", False),
        (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/doc-processor-*", False),
        (f"arn:aws:dynamodb:*:{ACCOUNT}:table/{TABLE}", False),
        (f"arn:aws:dynamodb:us-east-1:*:table/{TABLE}", False),
        ("arn:aws:s3:::*", False),
        ("arn:aws:s3:::docs-*/*", False),
        (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:{TABLE}", False),
    ],
)
def test_endpoint_policies_name_one_bucket_or_table(arn: str, concrete: bool) -> None:
    assert network.concrete_arn(arn) is concrete


def test_endpoint_policy_with_not_action_and_a_wildcard_table_is_reported() -> None:
    policy = doc(
        {
            "Sid": "Loose",
            "Effect": "Allow",
            "Principal": "*",
            "NotAction": "dynamodb:DeleteTable",
            "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/*",
        }
    )

    messages = network.gateway_endpoint_policy_violations(
        {"policy": policy}, "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"
    )

    assert [m.split("'Loose' ", 1)[1].split(";")[0] for m in messages] == [
        "uses NotAction/NotResource, which allows everything not listed",
        f"allows ['arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/*']",
    ]


def test_interface_endpoints_and_denies_are_not_judged_as_gateway_policies() -> None:
    open_policy = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    deny = doc({"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": "*"})

    assert (
        network.gateway_endpoint_policy_violations(
            {"vpcEndpointType": "Interface", "policy": open_policy}, "aws:ec2/vpcEndpoint:VpcEndpoint"
        )
        == []
    )
    assert (
        network.gateway_endpoint_policy_violations({"policy": deny}, "aws:ec2/vpcEndpoint:VpcEndpoint") == []
    )


@pytest.mark.parametrize(
    ("source_arn", "source_account", "expected"),
    [
        (BUCKET_ARN, None, "source_account is 'unset'"),
        (None, ACCOUNT, "with source_arn 'unset'"),
        ("arn:aws:s3:::*", ACCOUNT, "with source_arn 'arn:aws:s3:::*'"),
        (f"{BUCKET_ARN}/documents/*", ACCOUNT, "/documents/*'"),
        (BUCKET_ARN, "any", "source_account is 'any'"),
    ],
)
def test_s3_permission_needs_one_bucket_and_the_account(
    source_arn: str | None, source_account: str | None, expected: str
) -> None:
    props = {"action": "lambda:InvokeFunction", "function": FUNCTION, "principal": "s3.amazonaws.com"}
    props |= {k: v for k, v in (("sourceArn", source_arn), ("sourceAccount", source_account)) if v}

    messages = compute.permission_violations(props)

    assert len(messages) == 1, messages
    assert messages[0].startswith("CKV_AWS_364: ")
    assert expected in messages[0]


# --- stack checks on hand-built stacks -----------------------------------------------------------


def table(**overrides: Any) -> Any:
    return policy_resource(
        "aws:dynamodb/table:Table",
        {"id": TABLE, "name": TABLE, "arn": TABLE_ARN, **overrides},
        name="catalogue",
    )


def dynamodb_endpoint(policy: str | None, **overrides: Any) -> Any:
    props: dict[str, Any] = {
        **overrides,
        "id": "vpce-ddb",
        "serviceName": "com.amazonaws.us-east-1.dynamodb",
        "vpcEndpointType": "Gateway",
        "prefixListId": "pl-02cd2c6b",
    }
    if policy is not None:
        props["policy"] = policy
    return policy_resource("aws:ec2/vpcEndpoint:VpcEndpoint", props, name="dynamodb-endpoint")


def function(name: str = FUNCTION, **overrides: Any) -> Any:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    return policy_resource(
        "aws:lambda/function:Function", {"id": name, "name": name, "arn": arn, **overrides}, name=name
    )


def test_dynamodb_endpoint_naming_our_table_and_index_passes() -> None:
    stack = [table(), function(), dynamodb_endpoint(endpoint_policy(TABLE_ARN, INDEX_ARN))]

    assert catalogue.dynamodb_endpoint_findings(stack) == []


def test_dynamodb_endpoint_reaching_another_table_is_reported() -> None:
    stack = [table(), function(), dynamodb_endpoint(endpoint_policy(TABLE_ARN, OTHER_TABLE_ARN))]

    findings = catalogue.dynamodb_endpoint_findings(stack)

    assert len(findings) == 1
    assert f"allows ['{OTHER_TABLE_ARN}'], outside this stack's tables ['{TABLE_ARN}']" in findings[0].message
    assert findings[0].urn == stack[2].urn


def test_dynamodb_endpoint_without_a_policy_reaches_every_table() -> None:
    stack = [table(), function(), dynamodb_endpoint(None)]

    findings = catalogue.dynamodb_endpoint_findings(stack)

    assert [f.message.split(": ", 1)[1].split(",")[0] for f in findings] == [
        "the DynamoDB endpoint has no policy"
    ]


def test_dynamodb_endpoint_policy_may_come_from_a_separate_resource() -> None:
    separate = policy_resource(
        "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",
        {"vpcEndpointId": "vpce-ddb", "policy": endpoint_policy(OTHER_TABLE_ARN)},
        name="ddb-policy",
    )

    findings = catalogue.dynamodb_endpoint_findings([table(), function(), dynamodb_endpoint(None), separate])

    assert [OTHER_TABLE_ARN in f.message for f in findings] == [True]


def test_dynamodb_endpoint_must_be_on_the_functions_route_tables() -> None:
    endpoint = dynamodb_endpoint(endpoint_policy(TABLE_ARN), routeTableIds=["rtb-private"])
    associations = [
        policy_resource(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            {"subnetId": subnet, "routeTableId": route_table},
            name=f"{subnet}-rta",
        )
        for subnet, route_table in (("subnet-a", "rtb-private"), ("subnet-b", "rtb-other"))
    ]
    reached = function(vpcConfig={"subnetIds": ["subnet-a"], "securityGroupIds": ["sg-1"]})
    stranded = function("doc-processor-dev", vpcConfig={"subnetIds": ["subnet-a", "subnet-b"]})

    assert catalogue.dynamodb_endpoint_findings([table(), endpoint, reached, *associations]) == []
    findings = catalogue.dynamodb_endpoint_findings([table(), endpoint, stranded, *associations])
    assert [(f.message.split(":")[0], f.urn) for f in findings] == [
        ("function 'doc-processor-dev' (aws", stranded.urn)
    ]
    assert "route tables ['rtb-other'] have no route to the DynamoDB gateway endpoint" in findings[0].message


def test_table_without_a_dynamodb_endpoint_is_unreachable_from_the_private_subnets() -> None:
    findings = catalogue.dynamodb_endpoint_findings([table(), function()])

    assert [f.message.split(",")[0] for f in findings] == [
        "the stack has a DynamoDB table but no DynamoDB gateway endpoint"
    ]


def role_with(policy: str) -> list[Any]:
    return [
        table(),
        policy_resource(
            "aws:iam/role:Role",
            {"id": "api-role", "name": "api-role", "arn": "arn:aws:iam::1:role/api-role"},
            name="role",
        ),
        policy_resource(
            "aws:iam/rolePolicy:RolePolicy", {"role": "api-role", "policy": policy}, name="role-policy"
        ),
    ]


def test_explicit_item_actions_on_the_table_and_index_pass() -> None:
    policy = doc(
        {"Sid": "CatalogueItems", "Effect": "Allow", "Action": ITEM_ACTIONS[:3], "Resource": TABLE_ARN},
        {
            "Sid": "CatalogueQuery",
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": [TABLE_ARN, INDEX_ARN],
        },
        {"Sid": "NoScan", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"},
    )

    assert catalogue.dynamodb_grant_findings(role_with(policy)) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Action": "dynamodb:*", "Resource": TABLE_ARN}, "grants DynamoDB action patterns ['dynamodb:*']"),
        (
            {"Action": "dynamodb:Get*", "Resource": TABLE_ARN},
            "grants DynamoDB action patterns ['dynamodb:Get*']",
        ),
        ({"Action": ["dynamodb:Query", "dynamodb:Scan"], "Resource": TABLE_ARN}, "grants ['dynamodb:Scan']"),
        ({"Action": "dynamodb:DeleteTable", "Resource": TABLE_ARN}, "grants ['dynamodb:DeleteTable']"),
        ({"Action": "dynamodb:GetItem", "Resource": "*"}, "grants DynamoDB actions on ['*']"),
        (
            {"Action": "dynamodb:GetItem", "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/*"},
            f"grants DynamoDB actions on ['arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/*']",
        ),
        ({"Action": "dynamodb:GetItem", "Resource": OTHER_TABLE_ARN}, f"on ['{OTHER_TABLE_ARN}']"),
        ({"Action": "dynamodb:GetItem", "NotResource": OTHER_TABLE_ARN}, "on every resource"),
    ],
)
def test_dynamodb_grants_beyond_item_actions_on_our_table_are_reported(
    statement: dict[str, Any], expected: str
) -> None:
    policy = doc({"Sid": "Catalogue", "Effect": "Allow", **statement})

    findings = catalogue.dynamodb_grant_findings(role_with(policy))

    assert len(findings) == 1, findings
    assert findings[0].message.startswith(
        "'role-policy' (aws:iam/rolePolicy:RolePolicy): statement 'Catalogue' "
    )
    assert expected in findings[0].message


def test_inline_role_policies_are_checked_too() -> None:
    role = policy_resource(
        "aws:iam/role:Role",
        {
            "id": "r",
            "inlinePolicies": [
                {
                    "name": "x",
                    "policy": doc({"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": TABLE_ARN}),
                }
            ],
        },
        name="inline-role",
    )

    findings = catalogue.dynamodb_grant_findings([table(), role])

    assert [f.urn for f in findings] == [role.urn]


def async_stack(*, config: dict[str, Any] | None, alarm: dict[str, Any] | None) -> list[Any]:
    """A function S3 notifies, its event invoke config (``config``), the queue and its alarm."""
    stack = [
        function(),
        policy_resource(
            "aws:s3/bucketNotification:BucketNotification",
            {
                "bucket": BUCKET,
                "lambdaFunctions": [{"lambdaFunctionArn": FUNCTION_ARN, "events": ["s3:ObjectCreated:*"]}],
            },
            name="notification",
        ),
        policy_resource(
            "aws:sqs/queue:Queue",
            {"id": f"https://sqs/{QUEUE}", "name": QUEUE, "arn": QUEUE_ARN},
            name="failures",
        ),
        policy_resource("aws:sns/topic:Topic", {"id": TOPIC_ARN, "arn": TOPIC_ARN}, name="alarms"),
    ]
    if config is not None:
        stack.append(
            policy_resource(
                "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
                {"functionName": FUNCTION, "maximumRetryAttempts": 2.0, **config},
                name="invoke-config",
            )
        )
    if alarm is not None:
        stack.append(policy_resource("aws:cloudwatch/metricAlarm:MetricAlarm", alarm, name="failures-alarm"))
    return stack


QUEUE_ALARM: dict[str, Any] = {
    "namespace": "AWS/SQS",
    "metricName": "ApproximateNumberOfMessagesVisible",
    "dimensions": {"QueueName": QUEUE},
    "comparisonOperator": "GreaterThanThreshold",
    "threshold": 0.0,
    "alarmActions": [TOPIC_ARN],
}
ON_FAILURE_QUEUE: dict[str, Any] = {"destinationConfig": {"onFailure": {"destination": QUEUE_ARN}}}


def test_async_function_with_an_alarmed_failure_queue_passes() -> None:
    assert (
        catalogue.async_failure_destination_findings(async_stack(config=ON_FAILURE_QUEUE, alarm=QUEUE_ALARM))
        == []
    )


def test_functions_invoked_only_synchronously_need_no_destination() -> None:
    assert catalogue.async_failure_destination_findings([function("doc-processor-dev")]) == []


@pytest.mark.parametrize(
    ("config", "alarm", "expected"),
    [
        (None, QUEUE_ALARM, "is invoked asynchronously (the S3 notification 'notification'"),
        ({"maximumRetryAttempts": 0.0}, QUEUE_ALARM, "has no on-failure destination"),
        (
            {
                "destinationConfig": {
                    "onFailure": {"destination": "arn:aws:sqs:us-east-1:210987654321:elsewhere"}
                }
            },
            QUEUE_ALARM,
            "elsewhere', which is not an SQS queue or SNS topic of this stack",
        ),
        (ON_FAILURE_QUEUE, None, "failure queue 'failures' (aws:sqs/queue:Queue) of 'doc-reconciler-dev'"),
        (ON_FAILURE_QUEUE, {**QUEUE_ALARM, "dimensions": {"QueueName": "another-queue"}}, "has no alarm"),
        (ON_FAILURE_QUEUE, {**QUEUE_ALARM, "metricName": "NumberOfMessagesSent"}, "has no alarm"),
    ],
)
def test_async_function_without_an_alarmed_destination_is_reported(
    config: dict[str, Any] | None, alarm: dict[str, Any] | None, expected: str
) -> None:
    findings = catalogue.async_failure_destination_findings(async_stack(config=config, alarm=alarm))

    assert len(findings) == 1, findings
    assert expected in findings[0].message


def test_a_dead_letter_queue_counts_as_a_failure_destination() -> None:
    stack = async_stack(config=None, alarm=QUEUE_ALARM)
    stack[0] = function(deadLetterConfig={"targetArn": QUEUE_ARN})

    assert catalogue.async_failure_destination_findings(stack) == []


def test_qualified_targets_are_the_same_function() -> None:
    """An S3 notification may name an alias (``<function arn>:live``); the config then names the function."""
    stack = async_stack(config=None, alarm=QUEUE_ALARM)
    stack[1] = policy_resource(
        "aws:s3/bucketNotification:BucketNotification",
        {"bucket": BUCKET, "lambdaFunctions": [{"lambdaFunctionArn": f"{FUNCTION_ARN}:live"}]},
        name="notification",
    )

    assert [f.urn for f in catalogue.async_failure_destination_findings(stack)] == [stack[0].urn]


def kms_stack(*, table_sse: dict[str, Any] | None, queue: dict[str, Any]) -> list[Any]:
    key = policy_resource(
        "aws:kms/key:Key", {"id": "1234abcd", "arn": KEY_ARN, "keyId": "1234abcd"}, name="key"
    )
    table_props = {} if table_sse is None else {"serverSideEncryption": table_sse}
    return [
        key,
        table(**table_props),
        policy_resource("aws:sqs/queue:Queue", {"name": QUEUE, **queue}, name="failures"),
    ]


def test_kms_mode_table_and_queue_with_the_stacks_key_pass() -> None:
    stack = kms_stack(table_sse={"enabled": True, "kmsKeyArn": KEY_ARN}, queue={"kmsMasterKeyId": KEY_ARN})

    assert catalogue.kms_mode_findings(stack) == []
    # Without a key in the stack (SSE_S3 mode) AWS-owned and SSE-SQS encryption are fine.
    assert catalogue.kms_mode_findings(stack[1:]) == []


def test_kms_mode_table_and_queue_without_the_stacks_key_are_reported() -> None:
    stack = kms_stack(table_sse={"enabled": True}, queue={"sqsManagedSseEnabled": True})

    assert [f.message.split(" must ")[0] for f in catalogue.kms_mode_findings(stack)] == [
        "CKV_AWS_119: in KMS mode table 'catalogue' (aws:dynamodb/table:Table)",
        "SQS.1: in KMS mode queue 'failures' (aws:sqs/queue:Queue)",
    ]


def lambda_sg_stack(*rules: dict[str, Any]) -> list[Any]:
    """A function whose security group has only the given ``SecurityGroupEgressRule`` resources."""
    s3 = policy_resource(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        {"id": "vpce-s3", "serviceName": "com.amazonaws.us-east-1.s3", "prefixListId": "pl-63a5400a"},
        name="s3-endpoint",
    )
    group = policy_resource(
        "aws:ec2/securityGroup:SecurityGroup", {"id": "sg-1", "ingress": []}, name="lambda-sg"
    )
    return [
        s3,
        dynamodb_endpoint(endpoint_policy(TABLE_ARN)),
        group,
        function(vpcConfig={"subnetIds": ["a", "b"], "securityGroupIds": ["sg-1"]}),
        *(
            policy_resource(
                "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                {"securityGroupId": "sg-1", **rule},
                name=f"egress-{i}",
            )
            for i, rule in enumerate(rules)
        ),
    ]


HTTPS: dict[str, Any] = {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0}


def test_lambda_egress_rules_to_both_gateway_endpoints_pass() -> None:
    stack = lambda_sg_stack(
        {**HTTPS, "prefixListId": "pl-63a5400a"}, {**HTTPS, "prefixListId": "pl-02cd2c6b"}
    )

    assert network.lambda_security_group_findings(stack) == []


def test_lambda_egress_rule_to_a_prefix_list_outside_the_stack_is_reported() -> None:
    """A customer-managed prefix list (or another service's) is a way out the endpoints do not police."""
    stack = lambda_sg_stack(
        {**HTTPS, "prefixListId": "pl-63a5400a"}, {**HTTPS, "prefixListId": "pl-0123456789abcdef0"}
    )

    findings = network.lambda_security_group_findings(stack)

    assert len(findings) == 1
    assert "allows egress tcp 443-443 to pl-0123456789abcdef0, beyond HTTPS to the gateway endpoints" in (
        findings[0].message
    )


def test_lambda_group_without_egress_rules_is_reported() -> None:
    findings = network.lambda_security_group_findings(lambda_sg_stack())

    assert ["has no egress, so it cannot reach S3 or DynamoDB" in f.message for f in findings] == [True]
