"""LambdaStack in the synthesized default stack: function settings, wiring, role, function URL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lib.lambda_asset import HANDLER
from lib.settings import OwnerScope, TapStackArgs
from tests.unit.infra.conftest import as_list, of_type, one, policy_of, statement
from tests.unit.infra.synth import synthesize

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource, Synthesis

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def test_function_runtime_size_and_timeout(resources: list[CapturedResource]) -> None:
    function = one(resources, FUNCTION, "tap-compute-function")

    assert function.inputs["name"] == "doc-processor-dev"
    assert function.inputs["runtime"] == "python3.13"
    assert function.inputs["architectures"] == ["arm64"]
    assert function.inputs["handler"] == HANDLER
    assert function.inputs["memorySize"] == 512
    assert function.inputs["timeout"] == 25
    assert function.inputs["timeout"] < 29, "must answer before API Gateway's integration timeout"
    assert function.inputs["tracingConfig"] == {"mode": "Active"}
    assert "reservedConcurrentExecutions" not in function.inputs


def test_function_runs_only_in_the_private_subnets_with_the_lambda_security_group(
    resources: list[CapturedResource],
) -> None:
    function = one(resources, FUNCTION, "tap-compute-function")
    private = sorted(
        s.id for s in of_type(resources, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == "private"
    )

    assert sorted(function.inputs["vpcConfig"]["subnetIds"]) == private
    assert function.inputs["vpcConfig"]["securityGroupIds"] == [
        one(resources, "aws:ec2/securityGroup:SecurityGroup").id
    ]


def test_function_logs_json_into_the_log_group_created_for_it(resources: list[CapturedResource]) -> None:
    function = one(resources, FUNCTION, "tap-compute-function")
    group = one(resources, LOG_GROUP, "tap-compute-log-group")

    assert (
        function.inputs["loggingConfig"]["logGroup"]
        == group.inputs["name"]
        == "/aws/lambda/doc-processor-dev"
    )
    assert function.inputs["loggingConfig"]["logFormat"] == "JSON"
    assert group.urn in function.dependencies
    assert group.inputs["retentionInDays"] == 365


def test_function_environment_matches_the_service_contract(resources: list[CapturedResource]) -> None:
    function = one(resources, FUNCTION, "tap-compute-function")
    bucket = one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents")
    table = one(resources, "aws:dynamodb/table:Table")
    ingest = one(resources, "aws:s3/bucket:Bucket", "tap-storage-ingest")

    assert function.inputs["environment"]["variables"] == {
        "DOCUMENTS_BUCKET": bucket.id,
        "CATALOGUE_TABLE": table.state["name"],
        "MAX_DOCUMENT_BYTES": "4500000",
        "ALLOWED_CONTENT_TYPES": "application/pdf,image/png,image/jpeg,text/plain",
        "OWNER_SCOPE": "role",
        "INGEST_BUCKET": ingest.id,
        "MAX_UPLOAD_BYTES": str(5 * 1024**3),
        "MALWARE_SCANNING": "off",
        "LOG_LEVEL": "INFO",
        "METRICS_NAMESPACE": "SecureDocumentApi",
        "POWERTOOLS_SERVICE_NAME": "document-api",
    }


def test_session_owner_scope_reaches_the_function_environment() -> None:
    function = one(synthesize(TapStackArgs(owner_scope=OwnerScope.SESSION)), FUNCTION, "tap-compute-function")

    assert function.inputs["environment"]["variables"]["OWNER_SCOPE"] == "session"


def test_function_role_trusts_only_lambda_and_waits_for_its_policy(resources: list[CapturedResource]) -> None:
    function = one(resources, FUNCTION, "tap-compute-function")
    role = one(resources, "aws:iam/role:Role", "tap-compute-role")
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-compute-role-policy")

    assert function.inputs["role"] == role.state["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert role_policy.inputs["role"] == role.id
    assert role_policy.urn in function.dependencies
    assert not of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") or all(
        attachment.inputs["role"] != role.id
        for attachment in of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ), "no managed policies on the function role"


def test_role_policy_names_the_real_bucket_and_log_group(resources: list[CapturedResource]) -> None:
    bucket = one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents")
    group = one(resources, LOG_GROUP, "tap-compute-log-group")
    document = policy_of(one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-compute-role-policy"))

    assert as_list(statement(document, "DocumentObjects")["Resource"]) == [
        f"{bucket.state['arn']}/documents/*"
    ]
    assert as_list(statement(document, "ListDocuments")["Resource"]) == [bucket.state["arn"]]
    assert as_list(statement(document, "WriteOwnLogs")["Resource"]) == [f"{group.state['arn']}:*"]
    table_arn = one(resources, "aws:dynamodb/table:Table").state["arn"]
    assert as_list(statement(document, "CatalogueItems")["Resource"]) == [table_arn]
    assert sorted(as_list(statement(document, "CatalogueQuery")["Resource"])) == [
        table_arn,
        f"{table_arn}/index/byType",
    ]
    assert not any(a.startswith("kms:") for s in document["Statement"] for a in as_list(s["Action"]))


def test_function_url_requires_iam_auth(resources: list[CapturedResource], default_stack: Synthesis) -> None:
    url = one(resources, "aws:lambda/functionUrl:FunctionUrl")

    assert url.inputs["authorizationType"] == "AWS_IAM"
    assert url.inputs["functionName"] == one(resources, FUNCTION, "tap-compute-function").inputs["name"]
    assert "cors" not in url.inputs
    assert default_stack.value["lambdaFunctionUrl"] == url.state["functionUrl"]
