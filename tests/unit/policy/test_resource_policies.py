"""Every per-resource policy rejects a realistic misconfiguration, with a message that names the
control and the fix. Props are shaped as pulumi-aws v7 hands them to the analyzer (camelCase inputs,
numbers as floats, policies as JSON text), and go through the policy's own ``validate`` callback."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from policy.guardrails import POLICIES, api, compute, iam, keys, monitoring, s3
from tests.unit.policy.harness import validate_resource

ACCOUNT = "123456789012"
BUCKET_ARN = "arn:aws:s3:::docs-dev-123456789012-us-east-1"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def managed_group(name: str, *, override: str = "none", counted: tuple[str, ...] = ()) -> dict[str, Any]:
    """A web ACL rule running an AWS managed rule group, in the shape the provider hands over."""
    return {
        "name": name,
        "priority": 1,
        "overrideAction": {override: {}},
        "statement": {
            "managedRuleGroupStatement": {
                "name": name,
                "vendorName": "AWS",
                "ruleActionOverrides": [{"name": rule, "actionToUse": {"count": {}}} for rule in counted],
            }
        },
    }


RATE_RULE: dict[str, Any] = {
    "name": "RateLimitPerIp",
    "priority": 3,
    "action": {"block": {}},
    "statement": {"rateBasedStatement": {"limit": 1000, "aggregateKeyType": "IP"}},
}


def web_acl(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"scope": "REGIONAL", "defaultAction": {"allow": {}}, "rules": list(rules)}


class Case(NamedTuple):
    policy: str
    resource_type: str
    props: dict[str, Any]
    expected: tuple[str, ...]
    """Fragments every one of which must appear in one reported message."""


CASES: list[Case] = [
    Case(
        "project-malware-plan-tags-results",
        "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan",
        {
            "role": f"arn:aws:iam::{ACCOUNT}:role/doc-ingest-dev-malware-scan",
            "protectedResource": {
                "s3Bucket": {"bucketName": "doc-ingest-dev", "objectPrefixes": ["ingest/"]}
            },
            "actions": [{"taggings": [{"status": "DISABLED"}]}],
        },
        ("does not tag scanned objects", "'ENABLED'"),
    ),
    Case(
        "s3-2-s3-3-ckv-aws-20-57-no-public-acl",
        "aws:s3/bucketAcl:BucketAcl",
        {"bucket": "docs", "acl": "public-read"},
        ("S3.2/S3.3", "'public-read'", "BucketOwnerEnforced"),
    ),
    Case(
        "s3-8-ckv-aws-53-54-55-56-public-access-block",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {"bucket": "docs", "blockPublicAcls": True, "blockPublicPolicy": False, "ignorePublicAcls": True},
        ("S3.8 (CKV_AWS_54)", "blockPublicPolicy", "BucketPublicAccessBlock"),
    ),
    Case(
        "s3-12-ckv2-aws-65-acls-disabled",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        {"bucket": "docs", "rule": {"objectOwnership": "ObjectWriter"}},
        ("S3.12", "'ObjectWriter'", "object_ownership='BucketOwnerEnforced'"),
    ),
    Case(
        "s3-14-ckv-aws-21-versioning-enabled",
        "aws:s3/bucketVersioning:BucketVersioning",
        {"bucket": "docs", "versioningConfiguration": {"status": "Suspended"}},
        ("S3.14 (CKV_AWS_21)", "'Suspended'", "status='Enabled'"),
    ),
    Case(
        "ckv-aws-19-default-encryption",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {"bucket": "docs", "rules": [{"bucketKeyEnabled": False}]},
        ("CKV_AWS_19", "sse_algorithm"),
    ),
    Case(
        "s3-17-ckv-aws-145-sse-kms-advisory",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        {"bucket": "docs", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        ("S3.17 (CKV_AWS_145)", "encryptionMode=KMS"),
    ),
    Case(
        "s3-13-ckv2-aws-61-lifecycle",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        {"bucket": "docs", "rules": [{"id": "old", "status": "Disabled", "expiration": {"days": 30.0}}]},
        ("S3.13 (CKV2_AWS_61)", "no enabled rule"),
    ),
    Case(
        "s3-9-ckv-aws-18-logging-target",
        "aws:s3/bucketLogging:BucketLogging",
        {"bucket": "docs", "targetBucket": "docs", "targetPrefix": "logs/"},
        ("S3.9 (CKV_AWS_18)", "logs into itself"),
    ),
    Case(
        "s3-2-s3-3-s3-5-ckv-aws-70-93-bucket-policy",
        "aws:s3/bucketPolicy:BucketPolicy",
        {
            "bucket": "docs",
            "policy": doc(
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{BUCKET_ARN}/*"}
            ),
        },
        ("S3.2/S3.3 (CKV_AWS_70)", "every principal"),
    ),
    Case(
        "lambda-1-ckv-aws-301-364-permission-not-public",
        "aws:lambda/permission:Permission",
        {"action": "lambda:InvokeFunction", "function": "doc-processor-dev", "principal": "*"},
        ("Lambda.1 (CKV_AWS_301)", "to anyone"),
    ),
    Case(
        "project-waf-managed-rules-block",
        "aws:wafv2/webAcl:WebAcl",
        # The usual shortcut when the common rule set blocks uploads: count the whole group.
        web_acl(
            managed_group("AWSManagedRulesAmazonIpReputationList"),
            managed_group("AWSManagedRulesCommonRuleSet", override="count"),
            managed_group("AWSManagedRulesKnownBadInputsRuleSet"),
            RATE_RULE,
        ),
        ("'AWSManagedRulesCommonRuleSet'", "override_action count", "count-only"),
    ),
    Case(
        "lambda-1-ckv-aws-258-function-url-iam-auth",
        "aws:lambda/functionUrl:FunctionUrl",
        {"functionName": "doc-processor-dev", "authorizationType": "NONE"},
        ("Lambda.1 (CKV_AWS_258)", "'NONE'", "authorization_type='AWS_IAM'"),
    ),
    Case(
        "lambda-2-ckv-aws-363-supported-runtime",
        "aws:lambda/function:Function",
        {"name": "legacy", "runtime": "python3.8", "handler": "app.handler", "role": "arn"},
        ("Lambda.2 (CKV_AWS_363)", "'python3.8'"),
    ),
    Case(
        "lambda-3-lambda-5-ckv-aws-117-in-vpc",
        "aws:lambda/function:Function",
        {
            "name": "f",
            "runtime": "python3.13",
            "vpcConfig": {"subnetIds": ["subnet-a"], "securityGroupIds": ["sg"]},
        },
        ("Lambda.5", "1 subnet(s)", "at least 2"),
    ),
    Case(
        "ckv-aws-50-lambda-xray-tracing",
        "aws:lambda/function:Function",
        {"name": "f", "runtime": "python3.13", "tracingConfig": {"mode": "PassThrough"}},
        ("CKV_AWS_50", "'PassThrough'", "tracing_config.mode='Active'"),
    ),
    Case(
        "ckv-aws-45-lambda-no-secrets-in-environment",
        "aws:lambda/function:Function",
        {"name": "f", "environment": {"variables": {"DB_PASSWORD": "hunter2", "LOG_LEVEL": "INFO"}}},
        ("CKV_AWS_45", "'DB_PASSWORD'", "Secrets Manager"),
    ),
    Case(
        "project-lambda-json-logs-own-group",
        "aws:lambda/function:Function",
        {"name": "f", "runtime": "python3.13", "loggingConfig": {"logFormat": "Text"}},
        ("log_format='JSON'",),
    ),
    Case(
        "ckv-aws-115-lambda-reserved-concurrency-advisory",
        "aws:lambda/function:Function",
        {"name": "f", "runtime": "python3.13", "reservedConcurrentExecutions": -1.0},
        ("CKV_AWS_115", "reservedConcurrency"),
    ),
    Case(
        "ckv-aws-59-ckv2-aws-53-70-method-iam-auth-validated",
        "aws:apigateway/method:Method",
        {"restApi": "a1b2c3", "resourceId": "r", "httpMethod": "GET", "authorization": "NONE"},
        ("CKV_AWS_59/CKV2_AWS_70", "'NONE'", "authorization='AWS_IAM'"),
    ),
    Case(
        "apigateway-3-ckv-aws-73-76-stage-tracing-access-logs",
        "aws:apigateway/stage:Stage",
        {"restApi": "a1b2c3", "deployment": "d", "stageName": "dev", "xrayTracingEnabled": False},
        ("APIGateway.3 (CKV_AWS_73)", "xray_tracing_enabled=True"),
    ),
    Case(
        "apigateway-1-5-ckv2-aws-4-ckv-aws-225-276-method-settings",
        "aws:apigateway/methodSettings:MethodSettings",
        {
            "restApi": "a1b2c3",
            "stageName": "dev",
            "methodPath": "*/*",
            "settings": {"loggingLevel": "INFO", "dataTraceEnabled": True, "metricsEnabled": True},
        },
        ("CKV_AWS_276", "data_trace_enabled=False"),
    ),
    Case(
        "ec2-2-ckv2-aws-12-default-security-group-no-rules",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        {"vpcId": "vpc-1", "ingress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}]},
        ("EC2.2 (CKV2_AWS_12)", "ingress rules", "ingress=[]"),
    ),
    Case(
        "ec2-15-ckv-aws-130-no-public-ip-on-launch",
        "aws:ec2/subnet:Subnet",
        {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": True},
        ("EC2.15 (CKV_AWS_130)", "map_public_ip_on_launch=False"),
    ),
    Case(
        "ec2-18-ec2-19-ckv-aws-24-25-260-277-no-open-ingress-security-group",
        "aws:ec2/securityGroup:SecurityGroup",
        {
            "vpcId": "vpc-1",
            "ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}],
        },
        ("EC2.18/EC2.19", "tcp 22-22", "0.0.0.0/0"),
    ),
    Case(
        "ec2-18-ec2-19-ckv-aws-24-25-260-277-no-open-ingress-security-group-rule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        {
            "type": "ingress",
            "securityGroupId": "sg-1",
            "protocol": "tcp",
            "fromPort": 3389.0,
            "toPort": 3389.0,
            "ipv6CidrBlocks": ["::/0"],
        },
        ("EC2.18/EC2.19", "tcp 3389-3389", "::/0"),
    ),
    Case(
        "ec2-18-ec2-19-ckv-aws-24-25-260-277-no-open-ingress-ingress-rule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"securityGroupId": "sg-1", "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
        ("EC2.18/EC2.19", "all ports", "0.0.0.0/0"),
    ),
    Case(
        "ec2-6-ckv2-aws-11-flow-log-settings",
        "aws:ec2/flowLog:FlowLog",
        {"vpcId": "vpc-1", "trafficType": "ACCEPT", "logDestination": "arn:aws:logs:us-east-1:1:log-group:x"},
        ("EC2.6", "'ACCEPT'", "'REJECT'"),
    ),
    Case(
        "cloudwatch-16-ckv-aws-66-338-log-retention",
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/aws/lambda/doc-processor-dev", "retentionInDays": 30.0},
        ("CloudWatch.16 (CKV_AWS_338)", "30 days", "365"),
    ),
    Case(
        "ckv-aws-158-log-group-kms-advisory",
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/aws/lambda/doc-processor-dev", "retentionInDays": 365.0},
        ("CKV_AWS_158", "encryptionMode=KMS"),
    ),
    Case(
        "cloudwatch-15-17-alarm-actions",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"name": "errors", "metricName": "Errors", "alarmActions": [], "actionsEnabled": False},
        ("CloudWatch.15", "set alarm_actions"),
    ),
    Case(
        "kms-3-kms-4-ckv-aws-7-227-key-settings",
        "aws:kms/key:Key",
        {"description": "docs", "enableKeyRotation": False, "deletionWindowInDays": 30.0, "policy": doc()},
        ("KMS.4 (CKV_AWS_7)", "enable_key_rotation=True"),
    ),
    Case(
        "kms-5-ckv-aws-33-ckv2-aws-64-key-policy",
        "aws:kms/key:Key",
        {
            "enableKeyRotation": True,
            "policy": doc(
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ),
        },
        ("KMS.5 (CKV_AWS_33)", "'Open'", "every principal"),
    ),
    Case(
        "iam-1-iam-21-ckv-aws-1-62-355-identity-policies",
        "aws:iam/rolePolicy:RolePolicy",
        {"role": "r", "policy": doc({"Sid": "Logs", "Effect": "Allow", "Action": "logs:*", "Resource": "*"})},
        ("IAM.21", "['logs:*']"),
    ),
    Case(
        "iam-1-iam-21-ckv-aws-60-61-roles",
        "aws:iam/role:Role",
        {"assumeRolePolicy": doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
        ("CKV_AWS_60/61", "every principal"),
    ),
    Case(
        "iam-1-ckv-aws-274-ckv2-aws-56-no-admin-attachments",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ("IAM.1", "AdministratorAccess", "least-privilege"),
    ),
]

TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/doc-processor-dev-catalogue"
COMPLIANT_TABLE: dict[str, Any] = {
    "name": "doc-processor-dev-catalogue",
    "billingMode": "PAY_PER_REQUEST",
    "hashKey": "pk",
    "rangeKey": "sk",
    "pointInTimeRecovery": {"enabled": True},
    "deletionProtectionEnabled": True,
    "ttl": {"attributeName": "expiresAt", "enabled": True},
}

CASES += [
    Case(
        "dynamodb-2-ckv-aws-28-table-point-in-time-recovery",
        "aws:dynamodb/table:Table",
        {**COMPLIANT_TABLE, "pointInTimeRecovery": {"enabled": False}},
        ("DynamoDB.2 (CKV_AWS_28)", "point_in_time_recovery.enabled=True"),
    ),
    Case(
        "dynamodb-6-table-deletion-protection",
        "aws:dynamodb/table:Table",
        {**COMPLIANT_TABLE, "deletionProtectionEnabled": False},
        ("DynamoDB.6", "deletion_protection_enabled=True", "force-destroy.json"),
    ),
    Case(
        "dynamodb-1-table-on-demand",
        "aws:dynamodb/table:Table",
        {**COMPLIANT_TABLE, "billingMode": "PROVISIONED", "readCapacity": 5.0, "writeCapacity": 5.0},
        ("DynamoDB.1", "'PROVISIONED'", "billing_mode='PAY_PER_REQUEST'"),
    ),
    Case(
        "ckv-aws-119-dynamodb-cmk-advisory",
        "aws:dynamodb/table:Table",
        # enabled without a key ARN is the AWS-managed aws/dynamodb key, not a customer-managed one.
        {**COMPLIANT_TABLE, "serverSideEncryption": {"enabled": True}},
        ("CKV_AWS_119", "encryptionMode=KMS"),
    ),
    Case(
        "sqs-1-ckv-aws-27-queue-encrypted",
        "aws:sqs/queue:Queue",
        {"name": "doc-reconciler-dev-failures", "sqsManagedSseEnabled": False},
        ("SQS.1 (CKV_AWS_27)", "sqs_managed_sse_enabled=True"),
    ),
    Case(
        "project-egress-https-to-prefix-lists-only",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        {"securityGroupId": "sg-1", "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
        ("egress all ports to 0.0.0.0/0", "prefix_list_id"),
    ),
    Case(
        "project-gateway-endpoint-policy-explicit",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        {
            "serviceName": "com.amazonaws.us-east-1.dynamodb",
            "vpcEndpointType": "Gateway",
            "policy": doc(
                {"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "dynamodb:*", "Resource": "*"}
            ),
        },
        ("statement 'All'", "wildcard actions ['dynamodb:*']"),
    ),
]

RESOURCE_POLICIES = {p.name: p for p in POLICIES if isinstance(p, ResourceValidationPolicy)}


def test_every_resource_policy_has_a_negative_case() -> None:
    assert {case.policy for case in CASES} == set(RESOURCE_POLICIES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.policy}" for c in CASES])
def test_policy_reports_the_misconfiguration(case: Case) -> None:
    messages = validate_resource(RESOURCE_POLICIES[case.policy], case.resource_type, case.props)

    assert any(all(fragment in message for fragment in case.expected) for message in messages), messages


@pytest.mark.parametrize("case", CASES, ids=[f"{c.policy}" for c in CASES])
def test_policy_ignores_other_resource_types(case: Case) -> None:
    assert validate_resource(RESOURCE_POLICIES[case.policy], "aws:sns/topic:Topic", case.props) == []


# --- details of individual checks ---------------------------------------------------------------


def test_public_access_block_names_each_missing_flag() -> None:
    messages = s3.public_access_block_violations({"blockPublicAcls": True})

    assert [m.split(":")[0] for m in messages] == [
        "S3.8 (CKV_AWS_54)",
        "S3.8 (CKV_AWS_55)",
        "S3.8 (CKV_AWS_56)",
    ]


def test_bucket_policy_without_tls_deny_is_reported() -> None:
    policy = doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:GetObject"}
    )

    assert s3.bucket_policy_violations({"policy": policy}) == [
        "S3.5: the bucket policy does not deny requests without TLS; add a Deny of 's3:*' to "
        "Principal '*' with Condition Bool aws:SecureTransport='false'."
    ]


def test_blanket_deny_outside_the_endpoint_locks_out_management() -> None:
    """The reference implementation's bug: ``s3:*`` denied unless via the endpoint."""
    policy = doc(
        {
            "Sid": "OnlyViaEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )

    messages = s3.bucket_policy_violations({"policy": policy})

    assert len(messages) == 1
    assert messages[0].startswith("CKV_AWS_93: statement 'OnlyViaEndpoint' denies bucket management")


def test_denying_list_bucket_outside_the_endpoint_breaks_head_bucket() -> None:
    """S3 authorises HeadBucket (which the provider calls on every read) with s3:ListBucket."""
    policy = doc(
        {
            "Sid": "DenyListingOutsideEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
        },
    )

    messages = s3.bucket_policy_violations({"policy": policy})

    assert messages[0].startswith(
        "CKV_AWS_93: statement 'DenyListingOutsideEndpoint' denies bucket management"
    )


def test_wildcard_action_patterns_count_as_the_actions_they_match() -> None:
    """``s3:Put*`` covers ``s3:PutBucketPolicy``: denying it outside the endpoint is a lock-out too."""
    policy = doc(
        {
            "Sid": "DenyWritesOutsideEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:Put*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )

    messages = s3.bucket_policy_violations({"policy": policy})

    assert [m.split(":")[0] for m in messages] == ["CKV_AWS_93"]


def test_bucket_policy_that_is_not_json_is_reported() -> None:
    assert s3.bucket_policy_violations({"policy": "{not json"})[0].startswith(
        "S3.5: the policy is not valid JSON"
    )


def test_service_permission_without_source_is_a_confused_deputy() -> None:
    messages = compute.permission_violations(
        {"action": "lambda:InvokeFunction", "function": "f", "principal": "apigateway.amazonaws.com"}
    )

    assert len(messages) == 1
    assert messages[0].startswith("CKV_AWS_364: the permission lets 'apigateway.amazonaws.com' invoke")


@pytest.mark.parametrize(
    ("source_arn", "wide"),
    [
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3d4e5/*/*", "stage, method"),
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3d4e5/*/GET/documents", "stage"),
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3d4e5/dev/*/documents", "method"),
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:*/dev/GET/documents", "api"),
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3d4e5", "api, stage, method"),
    ],
)
def test_api_gateway_permission_must_name_one_api_stage_and_method(source_arn: str, wide: str) -> None:
    messages = compute.permission_violations(
        {
            "action": "lambda:InvokeFunction",
            "function": "f",
            "principal": "apigateway.amazonaws.com",
            "sourceArn": source_arn,
        }
    )

    assert len(messages) == 1
    assert messages[0].startswith(f"Lambda.1 (CKV_AWS_364): source_arn {source_arn!r}")
    assert f"(wildcard or missing: {wide})" in messages[0]


def test_api_gateway_permission_for_one_method_path_with_a_parameter_passes() -> None:
    source_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3d4e5/dev/GET/documents/*/content"

    assert (
        compute.permission_violations(
            {
                "principal": "apigateway.amazonaws.com",
                "action": "lambda:InvokeFunction",
                "sourceArn": source_arn,
            }
        )
        == []
    )


COMMON_BODY_RULES: dict[str, str] = {
    "SizeRestrictions_BODY": "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
    "CrossSiteScripting_BODY": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
    "GenericLFI_BODY": "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
}
UPLOAD_EXEMPTION: dict[str, Any] = {
    "notStatement": {
        "statement": {
            "andStatement": {
                "statements": [
                    {
                        "byteMatchStatement": {
                            "fieldToMatch": {"method": {}},
                            "positionalConstraint": "EXACTLY",
                            "searchString": "POST",
                            "textTransformations": [{"priority": 0.0, "type": "NONE"}],
                        }
                    },
                    {
                        "regexMatchStatement": {
                            "fieldToMatch": {"uriPath": {}},
                            "regexString": "^(/[^/]+)*/documents$",
                            "textTransformations": [{"priority": 0.0, "type": "NONE"}],
                        }
                    },
                ]
            }
        }
    }
}


def label_rule(
    labels: list[str],
    *,
    action: str = "block",
    priority: float = 3.0,
    exemptions: tuple[dict[str, Any], ...] = (UPLOAD_EXEMPTION,),
) -> dict[str, Any]:
    """A custom rule re-blocking the counted rules' labels except for what ``exemptions`` negate."""
    any_label = {
        "orStatement": {"statements": [{"labelMatchStatement": {"scope": "LABEL", "key": k}} for k in labels]}
    }
    return {
        "name": "BodyInspectionOutsideUploads",
        "priority": priority,
        "action": {action: {}},
        "statement": {"andStatement": {"statements": [any_label, *exemptions]}} if exemptions else any_label,
    }


def body_scoped_acl(counted: tuple[str, ...], *extra: dict[str, Any]) -> dict[str, Any]:
    return web_acl(
        managed_group("AWSManagedRulesAmazonIpReputationList"),
        managed_group("AWSManagedRulesCommonRuleSet", counted=counted),
        managed_group("AWSManagedRulesKnownBadInputsRuleSet"),
        *extra,
        RATE_RULE,
    )


def test_web_acl_may_count_body_rules_that_a_later_label_rule_re_blocks_outside_uploads() -> None:
    counted = tuple(COMMON_BODY_RULES)

    assert (
        api.web_acl_violations(body_scoped_acl(counted, label_rule(list(COMMON_BODY_RULES.values())))) == []
    )
    # Blocking the label everywhere (no exemption) is stricter still, and fine.
    assert (
        api.web_acl_violations(
            body_scoped_acl(counted, label_rule(list(COMMON_BODY_RULES.values()), exemptions=()))
        )
        == []
    )


def test_web_acl_may_not_count_a_rule_that_does_not_inspect_the_body() -> None:
    labels = [*COMMON_BODY_RULES.values(), "awswaf:managed:aws:core-rule-set:NoUserAgent_Header"]

    messages = api.web_acl_violations(body_scoped_acl(("NoUserAgent_HEADER",), label_rule(labels)))

    assert len(messages) == 1
    assert "AWSManagedRulesCommonRuleSet/NoUserAgent_HEADER is overridden to ['count']" in messages[0]
    assert "only the body rules" in messages[0]


@pytest.mark.parametrize(
    ("reblock", "why"),
    [
        (None, "no label rule at all (the shortcut: count the body rules and stop there)"),
        (label_rule(list(COMMON_BODY_RULES.values()), action="count"), "the label rule only counts"),
        (
            label_rule(list(COMMON_BODY_RULES.values()), priority=0.5),
            "evaluated before the group adds labels",
        ),
        (label_rule(list(COMMON_BODY_RULES.values())[:2]), "GenericLFI_Body is not matched"),
        (
            label_rule(
                ["awswaf:managed:aws:core-rule-set:GenericLFI_BODY", *list(COMMON_BODY_RULES.values())[:2]]
            ),
            "the rule name, not the label (labels end in _Body)",
        ),
        (
            label_rule(
                list(COMMON_BODY_RULES.values()),
                exemptions=(
                    {
                        "notStatement": {
                            "statement": UPLOAD_EXEMPTION["notStatement"]["statement"]["andStatement"][
                                "statements"
                            ][1]
                        }
                    },
                ),
            ),
            "the exemption names a path but any method",
        ),
        (
            label_rule(
                list(COMMON_BODY_RULES.values()),
                exemptions=(
                    {
                        "notStatement": {
                            "statement": {
                                "andStatement": {
                                    "statements": [
                                        {
                                            "byteMatchStatement": {
                                                "fieldToMatch": {"method": {}},
                                                "positionalConstraint": "EXACTLY",
                                                "searchString": "GET",
                                            }
                                        },
                                        UPLOAD_EXEMPTION["notStatement"]["statement"]["andStatement"][
                                            "statements"
                                        ][1],
                                    ]
                                }
                            }
                        }
                    },
                ),
            ),
            "the exemption's method carries no body",
        ),
        (
            label_rule(
                list(COMMON_BODY_RULES.values()),
                exemptions=(UPLOAD_EXEMPTION, {"byteMatchStatement": {"fieldToMatch": {"uriPath": {}}}}),
            ),
            "an extra condition narrows the re-block",
        ),
    ],
)
def test_counted_body_rules_without_a_real_re_block_are_reported(
    reblock: dict[str, Any] | None, why: str
) -> None:
    extra = (reblock,) if reblock is not None else ()

    messages = api.web_acl_violations(body_scoped_acl(tuple(COMMON_BODY_RULES), *extra))

    unblocked = [m for m in messages if "is counted but no later blocking rule re-blocks its label" in m]
    assert unblocked, why
    assert all("not(and(the upload's method, the upload's uri_path))" in m for m in unblocked)
    if reblock is not None and why == "GenericLFI_Body is not matched":
        assert len(unblocked) == 1
        assert "'awswaf:managed:aws:core-rule-set:GenericLFI_Body'" in unblocked[0]


def test_web_acl_without_the_managed_groups_or_a_blocking_rate_rule_is_reported() -> None:
    counting_rate_rule = {**RATE_RULE, "action": {"count": {}}}

    messages = api.web_acl_violations(
        web_acl(managed_group("AWSManagedRulesCommonRuleSet"), counting_rate_rule)
    )

    assert messages == [
        "the web ACL lacks the AWS managed rule groups ['AWSManagedRulesAmazonIpReputationList', "
        "'AWSManagedRulesKnownBadInputsRuleSet']; add each with override_action none.",
        "the web ACL has no blocking rate-based rule; add one (aggregate_key_type 'IP').",
    ]


def test_function_url_with_credentialed_wildcard_cors_is_reported() -> None:
    messages = compute.function_url_violations(
        {"authorizationType": "AWS_IAM", "cors": {"allowOrigins": ["*"], "allowCredentials": True}}
    )

    assert messages == [
        "Lambda.1: the function URL's CORS allows credentials from any origin ('*'); list the allowed "
        "origins explicitly or set allow_credentials=False."
    ]


def test_function_outside_a_vpc_fails_lambda_3() -> None:
    assert compute.vpc_violations({"runtime": "python3.13"})[0].startswith("Lambda.3 (CKV_AWS_117)")


def test_access_key_value_is_a_secret_whatever_its_name() -> None:
    messages = compute.environment_secret_violations(
        {"environment": {"variables": {"UPSTREAM": "AKIAIOSFODNN7EXAMPLE"}}}
    )

    assert messages[0].startswith("CKV_AWS_45: environment variable 'UPSTREAM' looks like a secret")


def test_runtime_allow_list_comes_from_policy_config() -> None:
    policy = RESOURCE_POLICIES["lambda-2-ckv-aws-363-supported-runtime"]
    props = {"runtime": "python3.13"}

    assert validate_resource(policy, "aws:lambda/function:Function", props) == []
    assert validate_resource(
        policy, "aws:lambda/function:Function", props, config={"supportedRuntimes": ["python3.14"]}
    ) == [
        "Lambda.2 (CKV_AWS_363): runtime 'python3.13' is not a supported Lambda runtime (supported: "
        "python3.14); move to a current one such as 'python3.13'."
    ]


def test_container_image_functions_have_no_runtime_to_check() -> None:
    assert compute.runtime_violations({"packageType": "Image", "imageUri": "1.dkr.ecr/x:1"}) == []


def test_log_group_without_retention_keeps_logs_forever() -> None:
    assert monitoring.retention_violations({"name": "g"})[0].startswith(
        "CKV_AWS_66: the log group has no retention"
    )


def test_retention_minimum_comes_from_policy_config() -> None:
    policy = RESOURCE_POLICIES["cloudwatch-16-ckv-aws-66-338-log-retention"]
    props = {"name": "g", "retentionInDays": 400.0}

    assert validate_resource(policy, "aws:cloudwatch/logGroup:LogGroup", props) == []
    assert validate_resource(
        policy, "aws:cloudwatch/logGroup:LogGroup", props, config={"minimumRetentionDays": 731}
    )[0].startswith("CloudWatch.16 (CKV_AWS_338): retention is 400 days")


def test_unscoped_resource_wildcard_is_reported_but_eni_and_xray_actions_are_not() -> None:
    policy = doc(
        {
            "Sid": "Eni",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface", "xray:PutTraceSegments"],
            "Resource": "*",
        },
        {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
    )

    assert iam.identity_policy_violations(policy) == [
        "CKV_AWS_355: statement 'Read' allows ['s3:GetObject'] on Resource '*' although they support "
        "resource-level permissions; name the ARNs."
    ]


def test_full_admin_statement_fails_iam_1() -> None:
    messages = iam.identity_policy_violations(
        doc({"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"})
    )

    assert messages[0].startswith("IAM.1 (CKV_AWS_1/62): statement 'Admin' allows every action")


def test_alarm_with_disabled_actions_fails_cloudwatch_17() -> None:
    props = {"alarmActions": ["arn:aws:sns:us-east-1:123456789012:alarms"], "actionsEnabled": False}

    assert monitoring.alarm_violations(props) == [
        "CloudWatch.17: the alarm's actions are disabled; set actions_enabled=True."
    ]


def test_disabled_key_with_a_short_deletion_window_fails_kms_3() -> None:
    props = {"enableKeyRotation": True, "isEnabled": False, "deletionWindowInDays": 7.0}

    assert [message.split(":")[0] for message in keys.key_violations(props)] == [
        "KMS.3 (CKV_AWS_227)",
        "KMS.3",
    ]


def test_advisory_policies_are_exactly_the_documented_opt_ins() -> None:
    advisory = {p.name for p in POLICIES if p.enforcement_level is EnforcementLevel.ADVISORY}

    assert advisory == {
        "s3-1-account-public-access-block",
        "s3-17-ckv-aws-145-sse-kms-advisory",
        "ckv-aws-115-lambda-reserved-concurrency-advisory",
        "ckv-aws-158-log-group-kms-advisory",
        "ckv-aws-119-dynamodb-cmk-advisory",
    }
