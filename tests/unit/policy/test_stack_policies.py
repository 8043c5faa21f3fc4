"""Every policy over every resource of every shipped variant: no mandatory violation. Then each stack
policy against the real synthesized stack with one realistic mistake made in it, so the tests prove
the policies find their subjects in the shapes the program really produces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from policy.guardrails import POLICIES
from tests.unit.policy.conftest import PACK_CONFIGS, VARIANTS, edit_policy, find, plus, with_state, without
from tests.unit.policy.harness import load_pack_config, run_pack, stack_resources, validate_stack

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.unit.infra.synth import CapturedResource

Stack = list["CapturedResource"]

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ATTACKER_BUCKET = "arn:aws:s3:::attacker-exfiltration-bucket"


# --- positive: the shipped program passes its own guardrails -------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_has_no_mandatory_violation(synthesized: dict[str, Stack], variant: str) -> None:
    config = load_pack_config(PACK_CONFIGS[variant]) if variant in PACK_CONFIGS else None

    violations = run_pack(POLICIES, synthesized[variant], pack_config=config)

    mandatory = [v for v in violations if v.level is EnforcementLevel.MANDATORY]
    assert mandatory == []


def test_waf_off_needs_its_policy_pack_opt_out(synthesized: dict[str, Stack]) -> None:
    """Turning the WAF off is a deliberate exception: without the shipped opt-out config exactly
    APIGateway.4 blocks, and with it the finding stays visible as advisory."""
    strict = run_pack(POLICIES, synthesized["waf-off"])
    relaxed = run_pack(POLICIES, synthesized["waf-off"], pack_config=load_pack_config("waf-disabled.json"))

    assert {v.policy for v in strict if v.level is EnforcementLevel.MANDATORY} == {
        "apigateway-4-ckv2-aws-29-every-stage-waf"
    }
    assert [v.level for v in relaxed if v.policy == "apigateway-4-ckv2-aws-29-every-stage-waf"] == [
        EnforcementLevel.ADVISORY
    ]


def test_force_destroy_needs_its_policy_pack_opt_out(synthesized: dict[str, Stack]) -> None:
    """``forceDestroy`` (throwaway stacks) turns the table's deletion protection off so that
    ``pulumi destroy`` works: like the WAF opt-out, only together with the shipped pack config."""
    strict = run_pack(POLICIES, synthesized["force-destroy"])
    relaxed = run_pack(
        POLICIES, synthesized["force-destroy"], pack_config=load_pack_config("force-destroy.json")
    )

    assert [(v.policy, v.urn) for v in strict if v.level is EnforcementLevel.MANDATORY] == [
        ("dynamodb-6-table-deletion-protection", find(synthesized["force-destroy"], _TABLE).urn)
    ]
    assert [v.level for v in relaxed if v.policy == "dynamodb-6-table-deletion-protection"] == [
        EnforcementLevel.ADVISORY
    ]


def test_default_stack_reports_the_documented_advisories(synthesized: dict[str, Stack]) -> None:
    advisories = {v.policy for v in run_pack(POLICIES, synthesized["default"])}

    assert advisories == {
        "s3-1-account-public-access-block",
        "s3-17-ckv-aws-145-sse-kms-advisory",
        "ckv-aws-115-lambda-reserved-concurrency-advisory",
        "ckv-aws-158-log-group-kms-advisory",
        "ckv-aws-119-dynamodb-cmk-advisory",
    }


def test_kms_mode_meets_s3_17_and_ckv_aws_158(synthesized: dict[str, Stack]) -> None:
    """In KMS mode only the access-log bucket stays SSE-S3 (S3 log delivery cannot use SSE-KMS)."""
    violations = run_pack(POLICIES, synthesized["kms"])

    kms_advisories = [v for v in violations if v.policy.startswith(("s3-17", "ckv-aws-158"))]
    assert [(v.policy, v.urn) for v in kms_advisories] == [
        (
            "s3-17-ckv-aws-145-sse-kms-advisory",
            find(synthesized["kms"], _ENCRYPTION, "access-logs-encryption").urn,
        )
    ]


def test_reserved_concurrency_clears_its_advisory(synthesized: dict[str, Stack]) -> None:
    """``reservedConcurrency`` reserves for the API function; the reconciler stays unreserved."""
    stack = synthesized["reserved-concurrency"]
    advised = {
        v.urn
        for v in run_pack(POLICIES, stack)
        if v.policy == "ckv-aws-115-lambda-reserved-concurrency-advisory"
    }

    assert find(stack, "aws:lambda/function:Function", "compute-function").urn not in advised
    assert advised <= {c.urn for c in stack if c.type == "aws:lambda/function:Function"}


# --- negative: one realistic mistake in the real stack -------------------------------------------

_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
_TABLE = "aws:dynamodb/table:Table"
_QUEUE = "aws:sqs/queue:Queue"
_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
OTHER_TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/payroll"


def _set(**values: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda state: {**state, **values}


def _principal_deny_names_other_role(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        if (
            "ArnNotEquals" in statement.get("Condition", {})
            and statement["Sid"] == "DenyDataAccessToOtherPrincipals"
        ):
            statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = [
                "arn:aws:iam::123456789012:role/other"
            ]


def _data_denies(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    by_sid = {statement["Sid"]: statement for statement in document["Statement"]}
    return by_sid["DenyDataAccessOutsideVpcEndpoint"], by_sid["DenyDataAccessToOtherPrincipals"]


def _principal_deny_on_the_bucket_only(document: dict[str, Any]) -> None:
    _, principal = _data_denies(document)
    principal["Resource"] = [arn for arn in principal["Resource"] if not arn.endswith("/*")]


def _merge_principal_deny_into_endpoint_deny(document: dict[str, Any]) -> None:
    """One statement with both conditions: they are ANDed, so neither deny holds on its own."""
    endpoint, principal = _data_denies(document)
    endpoint["Condition"] = {**endpoint["Condition"], **principal["Condition"]}
    document["Statement"].remove(principal)


def _exempt_the_role_from_the_endpoint(document: dict[str, Any]) -> None:
    endpoint, principal = _data_denies(document)
    endpoint["Condition"]["ArnNotEquals"] = principal["Condition"]["ArnNotEquals"]


def _deny_current_versions_only(document: dict[str, Any]) -> None:
    for deny in _data_denies(document):
        deny["Action"] = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]


def _drop_source_arn(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            del statement["Condition"]["ArnLike"]


def _add_attacker_bucket(document: dict[str, Any]) -> None:
    document["Statement"][0]["Resource"].append(f"{ATTACKER_BUCKET}/*")


def _widen_object_access(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        if statement.get("Sid") == "DocumentObjects":
            statement["Resource"] = statement["Resource"].replace("/documents/*", "/*")


def _use_the_key_directly(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        if statement.get("Sid") == "DocumentsKeyViaS3":
            del statement["Condition"]


def _auditor_can_list_groups(document: dict[str, Any]) -> None:
    document["Statement"][0]["Action"].append("logs:DescribeLogGroups")


def _drop_mfa_condition(document: dict[str, Any]) -> None:
    del document["Statement"][0]["Condition"]


def _open_egress(state: dict[str, Any]) -> dict[str, Any]:
    return {
        **state,
        "egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}],
    }


class StackCase(NamedTuple):
    policy: str
    variant: str
    mutate: Callable[[Stack], Stack]
    expected: tuple[str, ...]


STACK_CASES: list[StackCase] = [
    StackCase(
        "s3-1-account-public-access-block",
        "default",
        lambda s: plus(
            s,
            "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
            "account-block",
            {
                "blockPublicAcls": False,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        ("S3.1: account-level blockPublicAcls is not true",),
    ),
    StackCase(
        "s3-8-ckv2-aws-6-every-bucket-public-access-block",
        "default",
        lambda s: without(
            s, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "documents-public-access-block"
        ),
        ("tap-storage-documents", "S3.8 (CKV2_AWS_6): no public access block"),
    ),
    StackCase(
        "s3-12-every-bucket-acls-disabled",
        "default",
        lambda s: without(s, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "documents-ownership"),
        ("tap-storage-documents", "S3.12 (CKV2_AWS_65): no ownership controls"),
    ),
    StackCase(
        "s3-14-ckv-aws-21-every-bucket-versioned",
        "default",
        lambda s: without(s, "aws:s3/bucketVersioning:BucketVersioning", "access-logs-versioning"),
        ("tap-storage-access-logs", "S3.14 (CKV_AWS_21): no versioning"),
    ),
    StackCase(
        "ckv-aws-19-every-bucket-encrypted",
        "default",
        lambda s: without(s, _ENCRYPTION, "documents-encryption"),
        ("tap-storage-documents", "CKV_AWS_19: no default encryption"),
    ),
    StackCase(
        "s3-13-ckv2-aws-61-every-bucket-lifecycle",
        "default",
        lambda s: without(
            s, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "access-logs-lifecycle"
        ),
        ("tap-storage-access-logs", "S3.13 (CKV2_AWS_61): no lifecycle configuration"),
    ),
    StackCase(
        "s3-5-every-bucket-policy",
        "default",
        lambda s: without(s, BUCKET_POLICY, "access-logs-policy"),
        ("tap-storage-access-logs", "S3.5: no bucket policy"),
    ),
    StackCase(
        "s3-9-ckv-aws-18-every-bucket-logged",
        "default",
        lambda s: without(s, "aws:s3/bucketLogging:BucketLogging", "documents-logging"),
        ("'tap-storage-documents'", "S3.9 (CKV_AWS_18): no server access logging"),
    ),
    StackCase(
        "project-documents-bucket-policy-denies",
        "default",
        lambda s: with_state(
            s, BUCKET_POLICY, "documents-policy", edit_policy("policy", _principal_deny_names_other_role)
        ),
        ("deny #3 does not name the Lambda function's execution role",),
    ),
    StackCase(
        "project-documents-bucket-policy-denies",
        "default",
        lambda s: with_state(
            s, BUCKET_POLICY, "documents-policy", edit_policy("policy", _principal_deny_on_the_bucket_only)
        ),
        ("'DenyDataAccessToOtherPrincipals'", "does not include the bucket's objects", "/*'"),
    ),
    StackCase(
        "project-documents-bucket-policy-denies",
        "default",
        lambda s: with_state(
            s,
            BUCKET_POLICY,
            "documents-policy",
            edit_policy("policy", _merge_principal_deny_into_endpoint_deny),
        ),
        ("deny #2 exempts the Lambda role",),
    ),
    StackCase(
        "project-documents-bucket-policy-denies",
        "break-glass-and-auditors",
        lambda s: with_state(
            s, BUCKET_POLICY, "documents-policy", edit_policy("policy", _exempt_the_role_from_the_endpoint)
        ),
        ("deny #2 exempts the Lambda role",),
    ),
    StackCase(
        "project-documents-bucket-policy-denies",
        "default",
        lambda s: with_state(
            s, BUCKET_POLICY, "documents-policy", edit_policy("policy", _deny_current_versions_only)
        ),
        ("deny #2 missing", "GetObjectVersion"),
    ),
    StackCase(
        "project-access-log-bucket-policy",
        "default",
        lambda s: with_state(s, BUCKET_POLICY, "access-logs-policy", edit_policy("policy", _drop_source_arn)),
        ("'AllowS3ServerAccessLogDelivery'", "aws:SourceArn (ArnLike)"),
    ),
    StackCase(
        "lambda-5-subnets-in-two-azs",
        "default",
        lambda s: with_state(s, "aws:ec2/subnet:Subnet", "private-b", _set(availabilityZoneId="use1-az1")),
        ("Lambda.5", "['use1-az1']"),
    ),
    StackCase(
        "apigateway-1-ckv2-aws-4-every-stage-execution-logging",
        "default",
        lambda s: without(s, "aws:apigateway/methodSettings:MethodSettings"),
        ("APIGateway.1 (CKV2_AWS_4)", "'tap-api-stage'", "method_path='*/*'"),
    ),
    StackCase(
        "apigateway-5-ckv-aws-225-every-stage-cache-encrypted",
        "default",
        lambda s: with_state(s, "aws:apigateway/stage:Stage", "stage", _set(cacheClusterEnabled=True)),
        ("APIGateway.5 (CKV_AWS_225)", "'tap-api-stage'"),
    ),
    StackCase(
        "apigateway-4-ckv2-aws-29-every-stage-waf",
        "default",
        lambda s: without(s, "aws:wafv2/webAclAssociation:WebAclAssociation"),
        ("APIGateway.4 (CKV2_AWS_29)", "'tap-api-stage'"),
    ),
    StackCase(
        "ec2-6-ckv2-aws-11-every-vpc-flow-log",
        "default",
        lambda s: without(s, "aws:ec2/flowLog:FlowLog"),
        ("EC2.6 (CKV2_AWS_11): no flow log",),
    ),
    StackCase(
        "ec2-2-ckv2-aws-12-every-vpc-default-security-group",
        "default",
        lambda s: without(s, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"),
        ("EC2.2 (CKV2_AWS_12): the default security group is not adopted",),
    ),
    StackCase(
        "project-no-nat-gateway",
        "default",
        lambda s: plus(
            s,
            "aws:ec2/natGateway:NatGateway",
            "nat",
            {"subnetId": "tap-networking-public-a-id", "allocationId": "e"},
        ),
        ("'nat'", "forbids NAT gateways"),
    ),
    StackCase(
        "project-s3-endpoint-policy-only-our-buckets",
        "default",
        lambda s: with_state(
            s, "aws:ec2/vpcEndpoint:VpcEndpoint", "s3-endpoint", edit_policy("policy", _add_attacker_bucket)
        ),
        (f"['{ATTACKER_BUCKET}/*']", "outside this stack's buckets"),
    ),
    StackCase(
        "project-lambda-security-group-https-to-gateway-endpoints-only",
        "default",
        lambda s: with_state(s, "aws:ec2/securityGroup:SecurityGroup", "lambda-sg", _open_egress),
        ("'tap-networking-lambda-sg'", "allows egress all ports to 0.0.0.0/0, beyond HTTPS to the gateway"),
    ),
    StackCase(
        "project-lambda-subnets-private",
        "default",
        lambda s: plus(
            s,
            "aws:ec2/route:Route",
            "private-default-route",
            {
                "routeTableId": find(s, "aws:ec2/routeTable:RouteTable", "private-rt").state["id"],
                "destinationCidrBlock": "0.0.0.0/0",
                "gatewayId": find(s, "aws:ec2/internetGateway:InternetGateway").state["id"],
            },
        ),
        ("routes 0.0.0.0/0", "can reach the internet"),
    ),
    StackCase(
        "cloudwatch-15-alarms-notify-the-stack-topic",
        "default",
        # A topic ARN pasted from another account: the per-resource check sees a non-empty action.
        lambda s: with_state(
            s,
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "lambda-errors",
            _set(alarmActions=["arn:aws:sns:us-east-1:210987654321:ops-alerts"]),
        ),
        ("CloudWatch.15: alarm 'tap-monitoring-lambda-errors'", "210987654321:ops-alerts"),
    ),
    StackCase(
        "project-logs-in-stack-log-groups",
        "default",
        lambda s: without(s, "aws:cloudwatch/logGroup:LogGroup", "api-execution-logs"),
        ("'API-Gateway-Execution-Logs_a1b2c3d4e5/dev'", "would have no retention"),
    ),
    StackCase(
        "s3-17-ckv-aws-145-158-kms-mode",
        "kms",
        lambda s: with_state(
            s,
            _ENCRYPTION,
            "documents-encryption",
            _set(rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]),
        ),
        ("S3.17 (CKV_AWS_145): in KMS mode bucket 'tap-storage-documents'", "'AES256'"),
    ),
    StackCase(
        "project-lambda-role-least-privilege",
        "default",
        lambda s: with_state(
            s,
            "aws:iam/rolePolicy:RolePolicy",
            "compute-role-policy",
            edit_policy("policy", _widen_object_access),
        ),
        ("'DocumentObjects'", "'arn:aws:s3:::docs-dev-123456789012-us-east-1/*'", "key prefix"),
    ),
    StackCase(
        "project-lambda-role-least-privilege",
        "kms",
        lambda s: with_state(
            s,
            "aws:iam/rolePolicy:RolePolicy",
            "compute-role-policy",
            edit_policy("policy", _use_the_key_directly),
        ),
        ("'DocumentsKeyViaS3'", "without a kms:ViaService condition"),
    ),
    StackCase(
        "project-auditor-role-read-only",
        "default",
        lambda s: with_state(
            s,
            "aws:iam/rolePolicy:RolePolicy",
            "auditor-policy",
            edit_policy("policy", _auditor_can_list_groups),
        ),
        ("Auditor role 'tap-monitoring-auditor-role'", "['logs:DescribeLogGroups']"),
    ),
    StackCase(
        "project-auditor-role-read-only",
        "default",
        lambda s: with_state(
            s, "aws:iam/role:Role", "auditor-role", edit_policy("assumeRolePolicy", _drop_mfa_condition)
        ),
        ("trusts a whole account without requiring MFA", "aws:MultiFactorAuthPresent"),
    ),
]

STACK_CASES += [
    StackCase(
        "project-lambda-snapstart-through-alias",
        "snap-start",
        lambda s: with_state(
            s,
            "aws:apigateway/integration:Integration",
            "get-health-integration",
            _set(uri=find(s, "aws:lambda/function:Function", "compute-function").state["invokeArn"]),
        ),
        ("integration 'tap-api-get-health-integration'", "unqualified ($LATEST"),
    ),
    StackCase(
        "project-lambda-snapstart-through-alias",
        "snap-start",
        lambda s: with_state(s, "aws:lambda/permission:Permission", "invoke-get-health", _unqualified),
        ("'tap-api-invoke-get-health'", "without a qualifier"),
    ),
    StackCase(
        "project-lambda-snapstart-through-alias",
        "snap-start",
        lambda s: with_state(s, "aws:lambda/functionUrl:FunctionUrl", "function-url", _unqualified),
        ("'tap-compute-function-url'", "without a qualifier"),
    ),
]


def _add_other_table(document: dict[str, Any]) -> None:
    document["Statement"][0]["Resource"].append(OTHER_TABLE)


def _scan_too(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        if statement.get("Sid") == "CatalogueQuery":
            statement["Action"].append("dynamodb:Scan")


def _every_table(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        if statement.get("Sid") == "CatalogueItems":
            statement["Resource"] = "arn:aws:dynamodb:us-east-1:123456789012:table/*"


def _egress_to_the_internet(state: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in state.items() if k != "prefixListId"}, "cidrIpv4": "0.0.0.0/0"}


def _sse_sqs_instead_of_the_key(state: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in state.items() if k != "kmsMasterKeyId"}, "sqsManagedSseEnabled": True}


def _without(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda state: {k: v for k, v in state.items() if k != key}


STACK_CASES += [
    StackCase(
        "project-lambda-security-group-https-to-gateway-endpoints-only",
        "default",
        lambda s: with_state(s, _EGRESS_RULE, "lambda-sg-dynamodb-egress", _egress_to_the_internet),
        ("'tap-networking-lambda-sg'", "egress tcp 443-443 to 0.0.0.0/0, beyond HTTPS to the gateway"),
    ),
    StackCase(
        "project-lambda-security-group-https-to-gateway-endpoints-only",
        "default",
        # A second way out, added as a rule resource of its own next to the two compliant ones.
        lambda s: plus(
            s,
            _EGRESS_RULE,
            "lambda-sg-dns-egress",
            {
                "securityGroupId": find(s, "aws:ec2/securityGroup:SecurityGroup", "lambda-sg").state["id"],
                "ipProtocol": "udp",
                "fromPort": 53.0,
                "toPort": 53.0,
                "cidrIpv4": "10.0.0.2/32",
            },
        ),
        ("egress udp 53-53 to 10.0.0.2/32",),
    ),
    StackCase(
        "ckv-aws-119-kms-mode-tables-and-queues",
        "kms",
        lambda s: with_state(s, _TABLE, "catalogue-table", _without("serverSideEncryption")),
        ("CKV_AWS_119: in KMS mode table 'tap-catalogue-table'", "server_side_encryption is off"),
    ),
    StackCase(
        "ckv-aws-119-kms-mode-tables-and-queues",
        "kms",
        lambda s: with_state(s, _QUEUE, "catalogue-failure-queue", _sse_sqs_instead_of_the_key),
        ("SQS.1: in KMS mode queue 'tap-catalogue-failure-queue'", "kms_master_key_id is 'unset'"),
    ),
    StackCase(
        "project-dynamodb-endpoint-policy-only-our-tables",
        "default",
        lambda s: with_state(s, _ENDPOINT, "dynamodb-endpoint", edit_policy("policy", _add_other_table)),
        (f"['{OTHER_TABLE}']", "outside this stack's tables"),
    ),
    StackCase(
        "project-dynamodb-endpoint-policy-only-our-tables",
        "default",
        lambda s: without(s, _ENDPOINT, "dynamodb-endpoint"),
        ("no DynamoDB gateway endpoint",),
    ),
    StackCase(
        "project-dynamodb-endpoint-policy-only-our-tables",
        "default",
        lambda s: with_state(s, _ENDPOINT, "dynamodb-endpoint", _set(routeTableIds=[])),
        ("function 'tap-catalogue-reconciler'", "['tap-networking-private-rt-id'] have no route"),
    ),
    StackCase(
        "project-dynamodb-item-actions-on-our-tables",
        "default",
        lambda s: with_state(s, _ROLE_POLICY, "compute-role-policy", edit_policy("policy", _scan_too)),
        ("'tap-compute-role-policy'", "'CatalogueQuery' grants ['dynamodb:Scan']"),
    ),
    StackCase(
        "project-dynamodb-item-actions-on-our-tables",
        "default",
        lambda s: with_state(s, _ROLE_POLICY, "reconciler-role-policy", edit_policy("policy", _every_table)),
        ("'tap-catalogue-reconciler-role-policy'", "'CatalogueItems' grants DynamoDB actions on ['arn:"),
    ),
    StackCase(
        "project-async-lambda-failure-destination-alarmed",
        "default",
        lambda s: without(
            s, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "reconciler-invoke-config"
        ),
        ("function 'tap-catalogue-reconciler'", "S3 notification", "no on-failure destination"),
    ),
    StackCase(
        "project-async-lambda-failure-destination-alarmed",
        "default",
        lambda s: without(s, "aws:cloudwatch/metricAlarm:MetricAlarm", "catalogue-failures-alarm"),
        ("failure queue 'tap-catalogue-failure-queue'", "has no alarm"),
    ),
]


# --- large uploads (issue 14): the quarantine bucket, the vault's one exception, the processor ----

_INGEST_POLICY = "ingest-policy"
_UPLOADS = "DenyUploadsOutsideVpcEndpoint"


def _drop(sid: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]

    return edit


def _signature_age(sid: str, age: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        for s in document["Statement"]:
            if s.get("Sid") == sid:
                s["Condition"]["NumericGreaterThanIfExists"]["s3:signatureAge"] = age

    return edit


def _signed_by_anyone(document: dict[str, Any]) -> None:
    for s in document["Statement"]:
        if s.get("Sid") == f"{_UPLOADS}UnlessSignedByApiRole":
            s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = ["arn:aws:iam::999999999999:role/attacker"]


def _quarantine_readable_from_the_internet(document: dict[str, Any]) -> None:
    for s in document["Statement"]:
        if s.get("Sid") == "DenyDataAccessOutsideVpcEndpoint":
            s["Action"] = [a for a in s["Action"] if a != "s3:GetObject"]


def _processor_in_public_subnets(stack: Stack) -> Stack:
    public = [
        s.state["id"]
        for s in stack
        if s.type == "aws:ec2/subnet:Subnet" and s.state.get("tags", {}).get("Tier") == "public"
    ]
    assert public
    return with_state(
        stack,
        "aws:lambda/function:Function",
        "ingest-processor",
        lambda state: {**state, "vpcConfig": {**state["vpcConfig"], "subnetIds": public}},
    )


STACK_CASES += [
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(
            s, BUCKET_POLICY, _INGEST_POLICY, edit_policy("policy", _drop(f"{_UPLOADS}WithOldSignatures"))
        ),
        (
            "'tap-storage-ingest'",
            "is not versioned",
            "s3:signatureAge NumericGreaterThanIfExists at most 900000",
        ),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(
            s,
            BUCKET_POLICY,
            _INGEST_POLICY,
            edit_policy("policy", _signature_age(f"{_UPLOADS}WithOldSignatures", "604800000")),
        ),
        ("found [604800000.0]",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(
            s,
            BUCKET_POLICY,
            _INGEST_POLICY,
            edit_policy("policy", _drop(f"{_UPLOADS}UnlessQueryStringSigned")),
        ),
        ("unless s3:authType is 'REST-QUERY-STRING'",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(
            s, BUCKET_POLICY, _INGEST_POLICY, edit_policy("policy", _drop(f"{_UPLOADS}UnlessSigV4"))
        ),
        ("unless s3:signatureversion is 'AWS4-HMAC-SHA256'",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(s, BUCKET_POLICY, _INGEST_POLICY, edit_policy("policy", _signed_by_anyone)),
        ("unless aws:PrincipalArn is our function role",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(
            s, BUCKET_POLICY, _INGEST_POLICY, edit_policy("policy", _drop("DenyUploadsOutsideIngestPrefix"))
        ),
        ("uploads are not confined to the ingest prefix",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(
            s, BUCKET_POLICY, _INGEST_POLICY, edit_policy("policy", _quarantine_readable_from_the_internet)
        ),
        ("quarantined bytes could be read from the internet",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: without(s, BUCKET_POLICY, _INGEST_POLICY),
        ("it has no bucket policy",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: without(
            s, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "ingest-lifecycle"
        ),
        ("no enabled lifecycle rule expires objects within 7 days",),
    ),
    StackCase(
        "project-ingest-quarantine-bucket",
        "default",
        lambda s: with_state(
            s,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "ingest-lifecycle",
            lambda state: {
                **state,
                "rules": [
                    {**rule, "expiration": {"days": 30}} if "expiration" in rule else rule
                    for rule in state["rules"]
                ],
            },
        ),
        ("no enabled lifecycle rule expires objects within 7 days",),
    ),
    StackCase(
        # Without its quarantine controls, the unversioned ingest bucket is just an unversioned bucket.
        "s3-14-ckv-aws-21-every-bucket-versioned",
        "default",
        lambda s: without(s, BUCKET_POLICY, _INGEST_POLICY),
        ("'tap-storage-ingest'", "S3.14 (CKV_AWS_21): no versioning"),
    ),
    StackCase(
        # The vault's presigned-download exception only with a short age bound: 1 hour is not one.
        "project-documents-bucket-policy-denies",
        "default",
        lambda s: with_state(
            s,
            BUCKET_POLICY,
            "documents-policy",
            edit_policy(
                "policy", _signature_age("DenyDownloadsOutsideVpcEndpointWithOldSignatures", "3600000")
            ),
        ),
        ("deny #2 missing", "GetObject"),
    ),
    StackCase(
        "project-lambda-subnets-private",
        "default",
        _processor_in_public_subnets,
        ("function 'tap-ingest-processor'",),
    ),
    StackCase(
        "project-malware-scanning-gate",
        "malware-scanning",
        lambda s: with_state(
            s, BUCKET_POLICY, _INGEST_POLICY, edit_policy("policy", _drop("DenyReadsUntilScannedClean"))
        ),
        ("malware-protected bucket", "unscanned or infected objects are readable"),
    ),
    StackCase(
        "project-malware-scanning-gate",
        "malware-scanning",
        lambda s: with_state(
            s, BUCKET_POLICY, _INGEST_POLICY, edit_policy("policy", _drop("DenyScanTagChanges"))
        ),
        ("could mark an object clean",),
    ),
    StackCase(
        "project-malware-scanning-gate",
        "malware-scanning",
        lambda s: without(s, "aws:cloudwatch/eventRule:EventRule", "scan-results"),
        ("no upload would ever leave 'scanning'",),
    ),
    StackCase(
        "project-malware-scanning-gate",
        "malware-scanning",
        lambda s: with_state(
            s,
            "aws:lambda/function:Function",
            "compute-function",
            lambda state: {
                **state,
                "environment": {
                    "variables": {**state["environment"]["variables"], "MALWARE_SCANNING": "off"}
                },
            },
        ),
        ("'tap-compute-function'", "MALWARE_SCANNING=off", "before they are scanned"),
    ),
    StackCase(
        "project-malware-scanning-gate",
        "default",
        lambda s: with_state(
            s,
            "aws:lambda/function:Function",
            "ingest-processor",
            lambda state: {
                **state,
                "environment": {"variables": {**state["environment"]["variables"], "MALWARE_SCANNING": "on"}},
            },
        ),
        ("which no malware protection plan protects",),
    ),
]


def _unqualified(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "qualifier"}


STACK_POLICIES = {p.name: p for p in POLICIES if isinstance(p, StackValidationPolicy)}


def test_every_stack_policy_has_a_negative_case() -> None:
    """(A policy may have several: ``STACK_CASES`` lists one per invariant it enforces.)"""
    assert {case.policy for case in STACK_CASES} == set(STACK_POLICIES)


@pytest.mark.parametrize("case", STACK_CASES, ids=[c.policy for c in STACK_CASES])
def test_stack_policy_passes_the_real_stack(synthesized: dict[str, Stack], case: StackCase) -> None:
    """The control case of the mutation below (advisory S3.1 reports the unmanaged setting)."""
    reported = validate_stack(STACK_POLICIES[case.policy], stack_resources(synthesized[case.variant]))

    if case.policy == "s3-1-account-public-access-block":
        assert [message.split(":")[0] for message, _ in reported] == ["S3.1"]
    else:
        assert reported == []


@pytest.mark.parametrize("case", STACK_CASES, ids=[c.policy for c in STACK_CASES])
def test_stack_policy_reports_the_mistake(synthesized: dict[str, Stack], case: StackCase) -> None:
    reported = validate_stack(
        STACK_POLICIES[case.policy], stack_resources(case.mutate(synthesized[case.variant]))
    )

    assert any(all(fragment in message for fragment in case.expected) for message, _ in reported), reported
