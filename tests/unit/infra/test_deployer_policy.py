"""The deployer's policies: committed as generated, covering every type the program creates, least privilege.

Statements are parsed and checked as data (never substring checks). The program's resources are
taken from the synthesized stacks, so a new resource type, or a name outside the policies' ARN
patterns, fails here before it fails ``pulumi up``.
"""

from __future__ import annotations

import fnmatch
import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.loaders import Loader

from lib import deployer_policy as dp
from lib.settings import PROJECT_ROOT, EncryptionMode, TapStackArgs
from tests.unit.infra import aws_constraints
from tests.unit.infra.synth import MOCK_ACCOUNT_ID, synthesize
from tests.unit.infra.test_aws_constraints import everything_on

if TYPE_CHECKING:
    from pathlib import Path

    from tests.unit.infra.synth import CapturedResource

DEPLOY_DIR = PROJECT_ROOT / "deploy"
REGION = "us-east-1"
PARTITION = "aws"
ACCOUNT_QUOTA_MANAGED_POLICIES = 10
"""Managed policies attachable to one IAM user or role (default quota)."""

BOTOCORE_SERVICE = {
    "apigateway": "apigateway",
    "cloudwatch": "cloudwatch",
    "dynamodb": "dynamodb",
    "ec2": "ec2",
    "events": "events",
    "guardduty": "guardduty",
    "iam": "iam",
    "kms": "kms",
    "lambda": "lambda",
    "logs": "logs",
    "s3": "s3",
    "sns": "sns",
    "sqs": "sqs",
    "sts": "sts",
    "wafv2": "wafv2",
}
"""IAM service prefix -> botocore service name."""

ACTIONS_NOT_OPERATIONS = {
    "s3:PutEncryptionConfiguration": "authorises PutBucketEncryption",
    "s3:GetEncryptionConfiguration": "authorises GetBucketEncryption",
    "s3:PutLifecycleConfiguration": "authorises PutBucketLifecycleConfiguration",
    "s3:GetLifecycleConfiguration": "authorises GetBucketLifecycleConfiguration",
    "s3:ListBucket": "authorises HeadBucket and ListObjects(V2)",
    "s3:GetBucketObjectLockConfiguration": "authorises GetObjectLockConfiguration",
    "s3:GetAccelerateConfiguration": "authorises GetBucketAccelerateConfiguration",
    "s3:GetReplicationConfiguration": "authorises GetBucketReplication",
    "s3:GetBucketCORS": "authorises GetBucketCors (IAM spells it in capitals)",
    "s3:PutBucketCORS": "authorises PutBucketCors and DeleteBucketCors",
    "s3:PutBucketPublicAccessBlock": "authorises PutPublicAccessBlock and DeletePublicAccessBlock",
    "s3:GetBucketPublicAccessBlock": "authorises GetPublicAccessBlock",
    "iam:PassRole": "a permission only: checked when a role is handed to a service (CreateFunction, ...)",
    "apigateway:SetWebACL": "authorises wafv2 AssociateWebACL/DisassociateWebACL on a REST API stage",
    "s3:PutBucketNotification": "authorises PutBucketNotificationConfiguration",
    "s3:GetBucketNotification": "authorises GetBucketNotificationConfiguration",
}
"""IAM actions whose name is no API operation's, with the operation(s) they authorise."""

APIGATEWAY_VERBS = {
    "apigateway:GET",
    "apigateway:POST",
    "apigateway:PUT",
    "apigateway:PATCH",
    "apigateway:DELETE",
}
"""API Gateway's management actions are the HTTP verbs of its REST resources."""

NO_RESOURCE_LEVEL = {"sts:GetCallerIdentity", "kms:CreateKey", "kms:ListAliases"}
"""Actions IAM authorises on ``*`` only (besides EC2's Describe* calls)."""


def all_variants() -> list[list[CapturedResource]]:
    return [
        synthesize(TapStackArgs()),
        synthesize(everything_on("a" * 20, EncryptionMode.SSE_S3)),
        synthesize(everything_on("a" * 20, EncryptionMode.KMS)),
    ]


@pytest.fixture(scope="module")
def variants() -> list[list[CapturedResource]]:
    return all_variants()


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    """The committed policies rendered for the mocks' account and region."""
    return [
        dp.render(document, account_id=MOCK_ACCOUNT_ID, region=REGION, partition=PARTITION)
        for document in committed()
    ]


def committed() -> list[dict[str, Any]]:
    paths = sorted(DEPLOY_DIR.glob(f"{dp.FILE_PREFIX}*.json"))
    documents: list[dict[str, Any]] = [json.loads(path.read_text()) for path in paths]
    return documents


def all_statements(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [statement for document in documents for statement in document["Statement"]]


def allowed(documents: list[dict[str, Any]], action: str, arn: str, service: str | None = None) -> bool:
    """Whether some Allow statement grants ``action`` on ``arn`` (PassRole: to ``service``)."""
    for statement in all_statements(documents):
        if statement["Effect"] != "Allow" or action not in statement["Action"]:
            continue
        if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in statement["Resource"]):
            continue
        passed_to = statement.get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService")
        if service is None or passed_to == service:
            return True
    return False


def test_committed_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    """No drift: `make deployer-policy` would change nothing."""
    expected = dp.write(tmp_path, dp.policy_documents())
    actual = sorted(DEPLOY_DIR.glob(f"{dp.FILE_PREFIX}*.json"))
    assert [path.name for path in actual] == [path.name for path in expected]
    for mine, theirs in zip(actual, expected, strict=True):
        assert mine.read_text() == theirs.read_text(), f"{mine} is stale: run make deployer-policy"


def test_every_created_type_has_permissions(variants: list[list[CapturedResource]]) -> None:
    """A new resource type fails here until TYPE_GRANTS says what creating it takes."""
    created = {r.type for resources in variants for r in resources if r.custom and r.type.startswith("aws:")}
    assert created - set(dp.TYPE_GRANTS) == set()


def test_no_permissions_for_types_the_program_never_creates(variants: list[list[CapturedResource]]) -> None:
    created = {r.type for resources in variants for r in resources if r.custom}
    assert set(dp.TYPE_GRANTS) - created == set()


def test_unknown_types_are_refused() -> None:
    with pytest.raises(KeyError, match="aws:sqs/queuePolicy:QueuePolicy"):
        dp.policy_documents(["aws:sqs/queuePolicy:QueuePolicy"])


def test_no_wildcard_actions() -> None:
    for statement in all_statements(committed()):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        for action in statement["Action"]:
            service, _, name = action.partition(":")
            assert service, action
            assert name, action
            assert not set(action) & {"*", "?"}, action


def test_star_resources_only_where_iam_has_no_resource_level_permissions() -> None:
    for statement in all_statements(committed()):
        if "*" in statement["Resource"]:
            assert statement["Resource"] == ["*"]
            for action in statement["Action"]:
                assert action in NO_RESOURCE_LEVEL or action.startswith("ec2:Describe"), action


def test_every_resource_is_an_arn_of_this_account_and_region(rendered: list[dict[str, Any]]) -> None:
    for statement in all_statements(rendered):
        for resource in statement["Resource"]:
            if resource == "*":
                continue
            parts = resource.split(":", 5)
            assert parts[:2] == ["arn", PARTITION], resource
            assert parts[3] in {REGION, ""}, resource
            assert parts[4] in {MOCK_ACCOUNT_ID, "", "*"}, resource
            # Only AWS-owned resources of another account: the S3 prefix list, managed rule groups.
            assert parts[4] != "*" or parts[5].startswith(("prefix-list/", "regional/managedruleset/")), (
                resource
            )


def test_pass_role_is_scoped_to_one_service_per_statement() -> None:
    pass_role = [s for s in all_statements(committed()) if "iam:PassRole" in s["Action"]]
    assert pass_role
    for statement in pass_role:
        assert statement["Action"] == ["iam:PassRole"]
        assert set(statement["Condition"]) == {"StringEquals"}
        service = statement["Condition"]["StringEquals"]["iam:PassedToService"]
        assert isinstance(service, str)
        assert service.endswith(".amazonaws.com")
        assert all(
            resource.startswith(f"arn:{dp.PARTITION}:iam::{dp.ACCOUNT}:role/")
            for resource in statement["Resource"]
        )


def test_attach_role_policy_only_attaches_the_api_gateway_logging_policy() -> None:
    attach = [s for s in all_statements(committed()) if "iam:AttachRolePolicy" in s["Action"]]
    assert len(attach) == 1
    assert attach[0]["Condition"] == {"ArnEquals": {"iam:PolicyARN": dp.PUSH_TO_CLOUDWATCH_POLICY}}


def test_actions_name_real_operations() -> None:
    """Each action is an operation of the service's botocore model, or a listed IAM-only name."""
    loader = Loader()
    operations = {
        prefix: set(loader.load_service_model(service, "service-2")["operations"])
        for prefix, service in BOTOCORE_SERVICE.items()
    }
    for statement in all_statements(committed()):
        for action in statement["Action"]:
            prefix, _, name = action.partition(":")
            if action in ACTIONS_NOT_OPERATIONS or action in APIGATEWAY_VERBS:
                continue
            assert name in operations[prefix], f"{action}: no {prefix} operation {name}"
    used = {action for statement in all_statements(committed()) for action in statement["Action"]}
    assert set(ACTIONS_NOT_OPERATIONS) <= used, "an exception nothing uses any more"


def test_policies_fit_iam_limits() -> None:
    documents = committed()
    assert 1 <= len(documents) <= ACCOUNT_QUOTA_MANAGED_POLICIES
    for document in documents:
        assert document["Version"] == "2012-10-17"
        assert dp.policy_size(dp.render(document, **dp.WORST_CASE)) <= dp.MANAGED_POLICY_MAX_CHARACTERS
    sids = [statement["Sid"] for statement in all_statements(documents)]
    assert len(sids) == len(set(sids))


def test_render_replaces_every_placeholder(rendered: list[dict[str, Any]]) -> None:
    text = json.dumps(rendered)
    assert all(placeholder not in text for placeholder in dp.PLACEHOLDERS)
    assert "${" not in text


def test_baseline_covers_the_provider_and_data_sources(rendered: list[dict[str, Any]]) -> None:
    assert allowed(rendered, "sts:GetCallerIdentity", "*")
    assert allowed(rendered, "ec2:DescribeAvailabilityZones", "*")


def _role_name(resource: CapturedResource) -> str:
    inputs = aws_constraints.effective_inputs(resource, {})
    return str(inputs["name"])


def test_program_names_fall_inside_the_arn_patterns(
    variants: list[list[CapturedResource]], rendered: list[dict[str, Any]]
) -> None:
    """Every named resource the program creates can be created (and passed) under these policies."""
    account, region = MOCK_ACCOUNT_ID, REGION
    checks: list[tuple[str, str, str | None]] = []
    for resources in variants:
        for r in resources:
            if r.type == "aws:iam/role:Role":
                checks.append(
                    ("iam:CreateRole", f"arn:{PARTITION}:iam::{account}:role/{_role_name(r)}", None)
                )
            elif r.type == "aws:lambda/function:Function":
                arn = f"arn:{PARTITION}:lambda:{region}:{account}:function:{r.inputs['name']}"
                checks += [("lambda:CreateFunction", arn, None), ("lambda:CreateAlias", f"{arn}:live", None)]
                checks.append(("iam:PassRole", r.inputs["role"], "lambda.amazonaws.com"))
            elif r.type == "aws:ec2/flowLog:FlowLog":
                checks.append(("iam:PassRole", r.inputs["iamRoleArn"], "vpc-flow-logs.amazonaws.com"))
            elif r.type == "aws:apigateway/account:Account":
                checks.append(("iam:PassRole", r.inputs["cloudwatchRoleArn"], "apigateway.amazonaws.com"))
            elif r.type == "aws:s3/bucket:Bucket":
                checks.append(("s3:CreateBucket", f"arn:{PARTITION}:s3:::{r.inputs['bucket']}", None))
            elif r.type == "aws:cloudwatch/logGroup:LogGroup":
                name = r.inputs["name"]
                checks.append(
                    ("logs:CreateLogGroup", f"arn:{PARTITION}:logs:{region}:{account}:log-group:{name}", None)
                )
            elif r.type == "aws:sns/topic:Topic":
                checks.append(
                    ("sns:CreateTopic", f"arn:{PARTITION}:sns:{region}:{account}:{r.inputs['name']}", None)
                )
            elif r.type == "aws:cloudwatch/metricAlarm:MetricAlarm":
                arn = f"arn:{PARTITION}:cloudwatch:{region}:{account}:alarm:{r.inputs['name']}"
                checks.append(("cloudwatch:PutMetricAlarm", arn, None))
            elif r.type == "aws:dynamodb/table:Table":
                arn = f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{r.inputs['name']}"
                checks.append(("dynamodb:CreateTable", arn, None))
            elif r.type == "aws:sqs/queue:Queue":
                checks.append(
                    ("sqs:CreateQueue", f"arn:{PARTITION}:sqs:{region}:{account}:{r.inputs['name']}", None)
                )
            elif r.type == "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
                arn = f"arn:{PARTITION}:lambda:{region}:{account}:function:{r.inputs['functionName']}"
                checks.append(("lambda:PutFunctionEventInvokeConfig", arn, None))
            elif r.type == "aws:cloudwatch/eventRule:EventRule":
                arn = f"arn:{PARTITION}:events:{region}:{account}:rule/{r.inputs['name']}"
                checks += [("events:PutRule", arn, None), ("events:PutTargets", arn, None)]
            elif r.type == "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan":
                checks.append(
                    ("iam:PassRole", r.inputs["role"], "malware-protection-plan.guardduty.amazonaws.com")
                )
            elif r.type == "aws:cloudwatch/dashboard:Dashboard":
                arn = f"arn:{PARTITION}:cloudwatch::{account}:dashboard/{r.inputs['dashboardName']}"
                checks.append(("cloudwatch:PutDashboard", arn, None))
            elif r.type == "aws:kms/alias:Alias":
                checks.append(
                    ("kms:CreateAlias", f"arn:{PARTITION}:kms:{region}:{account}:{r.inputs['name']}", None)
                )
            elif r.type == "aws:wafv2/webAcl:WebAcl":
                arn = f"arn:{PARTITION}:wafv2:{region}:{account}:regional/webacl/{r.inputs['name']}/0a1b2c3d"
                checks.append(("wafv2:CreateWebACL", arn, None))
    assert {action for action, _, _ in checks} >= {
        "iam:CreateRole",
        "iam:PassRole",
        "lambda:CreateFunction",
        "dynamodb:CreateTable",
        "sqs:CreateQueue",
        "lambda:PutFunctionEventInvokeConfig",
        "events:PutRule",
    }
    refused = [check for check in checks if not allowed(rendered, *check)]
    assert refused == []


def test_cli_writes_templates_and_rendered_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dp.main(["--output-dir", str(tmp_path / "t")]) == 0
    templates = sorted((tmp_path / "t").iterdir())
    assert [path.name for path in templates] == [path.name for path in sorted(DEPLOY_DIR.glob("*.json"))]
    argv = ["--output-dir", str(tmp_path / "r"), "--account-id", "210987654321", "--region", "eu-west-1"]
    assert dp.main(argv) == 0
    documents = [json.loads(path.read_text()) for path in sorted((tmp_path / "r").iterdir())]
    resources = {resource for statement in all_statements(documents) for resource in statement["Resource"]}
    assert "arn:aws:lambda:eu-west-1:210987654321:function:doc-processor-*" in resources
    assert all("${" not in resource for resource in resources)
    assert str(tmp_path / "r" / "deployer-policy-1.json") in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["--account-id", "12345", "--region", "us-east-1"],
        ["--account-id", "123456789012"],
        ["--region", "us-east-1"],
    ],
)
def test_cli_refuses_bad_arguments(tmp_path: Path, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        dp.main(["--output-dir", str(tmp_path), *argv])
    assert raised.value.code == 2


def test_a_cmk_encrypted_table_can_be_created_and_the_grant_is_only_through_dynamodb(
    rendered: list[dict[str, Any]],
) -> None:
    """DynamoDB creates its grant on the customer managed key as the caller of CreateTable."""
    key = f"arn:{PARTITION}:kms:{REGION}:{MOCK_ACCOUNT_ID}:key/0a1b2c3d"
    grants = [s for s in all_statements(rendered) if "kms:CreateGrant" in s["Action"]]

    assert len(grants) == 1
    (grant,) = grants
    assert sorted(grant["Action"]) == ["kms:CreateGrant", "kms:DescribeKey"]
    assert grant["Condition"] == {"StringEquals": {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}}
    assert allowed(rendered, "kms:CreateGrant", key)
    table = f"arn:{PARTITION}:dynamodb:{REGION}:{MOCK_ACCOUNT_ID}:table/doc-processor-dev-catalogue"
    assert all(
        allowed(rendered, action, table)
        for action in (
            "dynamodb:CreateTable",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:UpdateTimeToLive",
        )
    )
    assert not allowed(rendered, "dynamodb:CreateTable", table.replace("doc-processor-", "other-"))
