"""CatalogueStack in the synthesized stacks: table, DynamoDB endpoint, reconciler and its event path."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from botocore.loaders import Loader

from document_processor import catalogue_schema
from lib.lambda_asset import RECONCILER_HANDLER
from lib.settings import EncryptionMode, TapStackArgs
from tests.unit.infra import aws_constraints as c
from tests.unit.infra.conftest import as_list, of_type, one, policy_of, statement
from tests.unit.infra.synth import MOCK_ACCOUNT_ID, synthesize

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

TABLE = "aws:dynamodb/table:Table"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
PERMISSION = "aws:lambda/permission:Permission"
RECONCILER = "tap-catalogue-reconciler"


@pytest.fixture(scope="module")
def kms_resources() -> list[CapturedResource]:
    return synthesize(TapStackArgs(encryption_mode=EncryptionMode.KMS))


def archive_files(function: CapturedResource) -> dict[str, str]:
    """Archive path -> source file of a function's code (an AssetArchive of FileAssets)."""
    return {name: str(asset.path) for name, asset in function.inputs["code"].assets.items()}


def key_arn(resources: list[CapturedResource]) -> str:
    return str(one(resources, "aws:kms/key:Key").state["arn"])


# --- the table -----------------------------------------------------------------------------------


def test_table_has_the_declared_shape_on_demand(resources: list[CapturedResource]) -> None:
    table = one(resources, TABLE)

    assert table.inputs["name"] == "doc-processor-dev-catalogue"
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert (table.inputs["hashKey"], table.inputs["rangeKey"]) == ("pk", "sk")
    assert sorted((a["name"], a["type"]) for a in table.inputs["attributes"]) == [
        ("pk", "S"),
        ("sk", "S"),
        ("typeKey", "S"),
    ]
    (index,) = table.inputs["globalSecondaryIndexes"]
    assert index == {
        "name": "byType",
        "keySchemas": [
            {"attributeName": "typeKey", "keyType": "HASH"},
            {"attributeName": "sk", "keyType": "RANGE"},
        ],
        "projectionType": "ALL",
    }
    # No capacity settings on demand, and no streams: the reconciler is driven by S3, not the table.
    assert not {"readCapacity", "writeCapacity", "streamEnabled"} & set(table.inputs)


def test_table_matches_what_local_mode_creates(resources: list[CapturedResource]) -> None:
    """The deployed table and local mode's (catalogue_schema.create_table_arguments) are one shape."""
    table = one(resources, TABLE).inputs
    local = catalogue_schema.create_table_arguments(table["name"])

    assert local["BillingMode"] == table["billingMode"]
    assert local["KeySchema"] == [
        {"AttributeName": table["hashKey"], "KeyType": "HASH"},
        {"AttributeName": table["rangeKey"], "KeyType": "RANGE"},
    ]
    assert sorted(a["AttributeName"] for a in local["AttributeDefinitions"]) == sorted(
        a["name"] for a in table["attributes"]
    )
    (local_index,) = local["GlobalSecondaryIndexes"]
    (index,) = table["globalSecondaryIndexes"]
    assert local_index["IndexName"] == index["name"]
    assert local_index["KeySchema"] == [
        {"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]
    ]


def test_table_has_pitr_deletion_protection_ttl_and_the_aws_owned_key_by_default(
    resources: list[CapturedResource],
) -> None:
    table = one(resources, TABLE)

    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    assert table.inputs["deletionProtectionEnabled"] is True
    assert table.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    # Unset: DynamoDB's default, the AWS-owned key (tables cannot be unencrypted).
    assert "serverSideEncryption" not in table.inputs
    assert table.inputs["tags"] == {"Name": "doc-processor-dev-catalogue"}


def test_table_uses_the_customer_managed_key_in_kms_mode(kms_resources: list[CapturedResource]) -> None:
    table = one(kms_resources, TABLE)

    assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key_arn(kms_resources)}
    assert "catalogue" in one(kms_resources, "aws:kms/key:Key").inputs["description"]


def test_force_destroy_stacks_can_delete_the_table_and_keep_everything_else() -> None:
    """forceDestroy (throwaway stacks) lifts deletion protection, so `pulumi destroy` completes."""
    table = one(synthesize(TapStackArgs(force_destroy=True)), TABLE)

    assert table.inputs["deletionProtectionEnabled"] is False
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}


# --- the DynamoDB gateway endpoint ---------------------------------------------------------------


def test_dynamodb_gateway_endpoint_serves_the_private_route_table_and_only_the_catalogue(
    resources: list[CapturedResource],
) -> None:
    endpoint = one(resources, ENDPOINT, "tap-catalogue-dynamodb-endpoint")
    private_rt = one(resources, "aws:ec2/routeTable:RouteTable", "tap-networking-private-rt")
    table_arn = one(resources, TABLE).state["arn"]

    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.dynamodb"
    assert endpoint.inputs["vpcId"] == one(resources, "aws:ec2/vpc:Vpc").id
    assert endpoint.inputs["routeTableIds"] == [private_rt.id]
    (allow,) = policy_of(endpoint)["Statement"]
    assert (allow["Effect"], allow["Principal"]) == ("Allow", "*")
    assert sorted(allow["Resource"]) == [table_arn, f"{table_arn}/index/byType"]
    assert sorted(allow["Action"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]
    assert allow["Condition"] == {"StringEquals": {"aws:PrincipalAccount": MOCK_ACCOUNT_ID}}


def test_endpoint_allows_every_item_action_any_role_is_granted_and_no_more(
    resources: list[CapturedResource],
) -> None:
    """A role action the endpoint refuses would fail at run time; one it allows unused widens it."""
    endpoint_actions = set(
        policy_of(one(resources, ENDPOINT, "tap-catalogue-dynamodb-endpoint"))["Statement"][0]["Action"]
    )
    role_actions = {
        action
        for name in (
            "tap-compute-role-policy",
            "tap-catalogue-reconciler-role-policy",
            "tap-ingest-processor-role-policy",
        )
        for s in policy_of(one(resources, "aws:iam/rolePolicy:RolePolicy", name))["Statement"]
        for action in as_list(s["Action"])
        if action.startswith("dynamodb:")
    }

    assert endpoint_actions == role_actions


# --- the reconciler function ---------------------------------------------------------------------


def test_reconciler_runs_the_package_in_the_private_subnets_with_the_function_security_group(
    resources: list[CapturedResource],
) -> None:
    reconciler = one(resources, FUNCTION, RECONCILER)
    api = one(resources, FUNCTION, "tap-compute-function")
    private = sorted(
        s.id for s in of_type(resources, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == "private"
    )

    assert reconciler.inputs["name"] == "doc-reconciler-dev"
    assert (
        reconciler.inputs["handler"] == RECONCILER_HANDLER == "document_processor.reconciler.lambda_handler"
    )
    assert (reconciler.inputs["runtime"], reconciler.inputs["architectures"]) == ("python3.13", ["arm64"])
    assert archive_files(reconciler) == archive_files(api), "one package for both functions"
    assert "document_processor/reconciler.py" in archive_files(reconciler)
    assert sorted(reconciler.inputs["vpcConfig"]["subnetIds"]) == private
    assert reconciler.inputs["vpcConfig"]["securityGroupIds"] == [
        one(resources, "aws:ec2/securityGroup:SecurityGroup").id
    ]
    assert reconciler.inputs["tracingConfig"] == {"mode": "Active"}
    assert reconciler.inputs["timeout"] == 60
    assert reconciler.inputs["memorySize"] == 512


def test_reconciler_environment_names_the_bucket_and_the_table(resources: list[CapturedResource]) -> None:
    reconciler = one(resources, FUNCTION, RECONCILER)

    assert reconciler.inputs["environment"]["variables"] == {
        "DOCUMENTS_BUCKET": one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents").id,
        "CATALOGUE_TABLE": one(resources, TABLE).state["name"],
        "LOG_LEVEL": "INFO",
        "METRICS_NAMESPACE": "SecureDocumentApi",
        "POWERTOOLS_SERVICE_NAME": "document-reconciler",
    }


def test_reconciler_logs_json_into_its_own_log_group(resources: list[CapturedResource]) -> None:
    reconciler = one(resources, FUNCTION, RECONCILER)
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-catalogue-reconciler-log-group")

    assert (
        reconciler.inputs["loggingConfig"]["logGroup"]
        == group.inputs["name"]
        == "/aws/lambda/doc-reconciler-dev"
    )
    assert reconciler.inputs["loggingConfig"]["logFormat"] == "JSON"
    assert group.inputs["retentionInDays"] == 365
    assert "kmsKeyId" not in group.inputs


def test_reconciler_log_group_is_encrypted_in_kms_mode(kms_resources: list[CapturedResource]) -> None:
    group = one(kms_resources, "aws:cloudwatch/logGroup:LogGroup", "tap-catalogue-reconciler-log-group")

    assert group.inputs["kmsKeyId"] == key_arn(kms_resources)


def test_reconciler_role_is_its_own_trusts_only_lambda_and_the_function_waits_for_its_policy(
    resources: list[CapturedResource],
) -> None:
    reconciler = one(resources, FUNCTION, RECONCILER)
    role = one(resources, "aws:iam/role:Role", "tap-catalogue-reconciler-role")
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-catalogue-reconciler-role-policy")

    assert role.inputs["name"] == "doc-reconciler-dev-lambda"
    assert reconciler.inputs["role"] == role.state["arn"]
    assert reconciler.inputs["role"] != one(resources, "aws:iam/role:Role", "tap-compute-role").state["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    assert role_policy.inputs["role"] == role.id
    assert role_policy.urn in reconciler.dependencies


def test_reconciler_role_actions_are_exactly_these_on_the_real_resources(
    resources: list[CapturedResource],
) -> None:
    document = policy_of(
        one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-catalogue-reconciler-role-policy")
    )
    bucket = one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents").state["arn"]
    table = one(resources, TABLE).state["arn"]
    queue = one(resources, QUEUE, "tap-catalogue-failure-queue").state["arn"]
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-catalogue-reconciler-log-group").state[
        "arn"
    ]

    granted = {
        s["Sid"]: (sorted(as_list(s["Action"])), as_list(s["Resource"])) for s in document["Statement"]
    }
    assert granted["ReadDocumentObjects"] == (["s3:GetObject"], [f"{bucket}/documents/*"])
    assert granted["ListDocuments"] == (["s3:ListBucket"], [bucket])
    assert granted["CatalogueItems"] == (
        ["dynamodb:DeleteItem", "dynamodb:PutItem"],
        [table],
    )
    assert granted["SendFailedEvents"] == (["sqs:SendMessage"], [queue])
    assert granted["WriteOwnLogs"] == (["logs:CreateLogStream", "logs:PutLogEvents"], [f"{group}:*"])
    assert set(granted) == {
        "ReadDocumentObjects",
        "ListDocuments",
        "CatalogueItems",
        "SendFailedEvents",
        "WriteOwnLogs",
        "VpcNetworkInterfaces",
        "XRayTraces",
    }


def test_both_roles_use_the_key_only_through_the_services_in_kms_mode(
    kms_resources: list[CapturedResource],
) -> None:
    key = key_arn(kms_resources)
    expected = {
        "tap-compute-role-policy": {
            "DocumentsKeyViaS3": "s3.us-east-1.amazonaws.com",
            "CatalogueKeyViaDynamoDb": "dynamodb.us-east-1.amazonaws.com",
        },
        "tap-catalogue-reconciler-role-policy": {
            "DocumentsKeyViaS3": "s3.us-east-1.amazonaws.com",
            "CatalogueKeyViaDynamoDb": "dynamodb.us-east-1.amazonaws.com",
            "FailureQueueKeyViaSqs": "sqs.us-east-1.amazonaws.com",
        },
    }
    for name, via in expected.items():
        document = policy_of(one(kms_resources, "aws:iam/rolePolicy:RolePolicy", name))
        kms = [s for s in document["Statement"] if any(a.startswith("kms:") for a in as_list(s["Action"]))]
        assert {s["Sid"]: s["Condition"] for s in kms} == {
            sid: {"StringEquals": {"kms:ViaService": service}} for sid, service in via.items()
        }
        assert all(as_list(s["Resource"]) == [key] for s in kms)
    table_key = statement(
        policy_of(one(kms_resources, "aws:iam/rolePolicy:RolePolicy", "tap-compute-role-policy")),
        "CatalogueKeyViaDynamoDb",
    )
    assert sorted(as_list(table_key["Action"])) == [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    ]


# --- asynchronous invocation, failure queue, alarm -----------------------------------------------


def test_event_invoke_config_retries_twice_then_sends_to_the_failure_queue(
    resources: list[CapturedResource],
) -> None:
    config = one(resources, INVOKE_CONFIG, "tap-catalogue-reconciler-invoke-config")
    queue = one(resources, QUEUE, "tap-catalogue-failure-queue")

    assert config.inputs["functionName"] == one(resources, FUNCTION, RECONCILER).inputs["name"]
    assert config.inputs["maximumRetryAttempts"] == 2
    assert config.inputs["maximumEventAgeInSeconds"] == 21_600
    assert config.inputs["destinationConfig"] == {"onFailure": {"destination": queue.state["arn"]}}
    assert "onSuccess" not in config.inputs["destinationConfig"]
    assert "qualifier" not in config.inputs, "the notification invokes the unqualified function"
    # Lambda checks the role may send to the destination when the config is put: the function (which
    # waits for the role's policy) comes first.
    assert one(resources, FUNCTION, RECONCILER).urn in config.dependencies


def test_event_invoke_config_values_are_what_lambda_accepts(resources: list[CapturedResource]) -> None:
    """MaximumRetryAttempts 0-2 and MaximumEventAgeInSeconds 60-21,600, read from the Lambda model."""
    config = one(resources, INVOKE_CONFIG, "tap-catalogue-reconciler-invoke-config").inputs
    retries = c.Member("lambda", "PutFunctionEventInvokeConfig", "MaximumRetryAttempts")
    age = c.Member("lambda", "PutFunctionEventInvokeConfig", "MaximumEventAgeInSeconds")

    assert (retries.shape["min"], retries.shape["max"]) == (0, 2)
    assert retries.problems(config["maximumRetryAttempts"]) == []
    assert age.problems(config["maximumEventAgeInSeconds"]) == []
    assert age.problems(age.shape["max"] + 1) != []


def test_failure_queue_is_encrypted_with_sse_sqs_by_default(resources: list[CapturedResource]) -> None:
    queue = one(resources, QUEUE, "tap-catalogue-failure-queue")

    assert queue.inputs["name"] == "doc-reconciler-dev-failures"
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert "kmsMasterKeyId" not in queue.inputs
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 60 * 60


def test_failure_queue_uses_the_customer_managed_key_in_kms_mode(
    kms_resources: list[CapturedResource],
) -> None:
    queue = one(kms_resources, QUEUE, "tap-catalogue-failure-queue")

    assert queue.inputs["kmsMasterKeyId"] == key_arn(kms_resources)
    assert "sqsManagedSseEnabled" not in queue.inputs, "SSE-SQS and SSE-KMS exclude each other"
    assert queue.inputs["kmsDataKeyReusePeriodSeconds"] == 300


def test_a_message_in_the_failure_queue_alarms_on_the_alarm_topic(resources: list[CapturedResource]) -> None:
    alarm = one(resources, ALARM, "tap-catalogue-failures-alarm")
    queue = one(resources, QUEUE, "tap-catalogue-failure-queue")
    topic = one(resources, "aws:sns/topic:Topic")

    assert alarm.inputs["name"] == "doc-processor-dev-reconciler-failures"
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert alarm.inputs["dimensions"] == {"QueueName": queue.state["name"]}
    assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm.inputs["statistic"] == "Maximum"
    # Named by its deterministic ARN (the catalogue is built before monitoring): it must be the real one.
    assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [topic.state["arn"]]


# --- the S3 event path ---------------------------------------------------------------------------


def test_documents_bucket_notifies_the_reconciler_of_every_create_and_remove_under_documents(
    resources: list[CapturedResource],
) -> None:
    notification = one(resources, NOTIFICATION, "tap-catalogue-documents-notification")
    bucket = one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents")

    assert notification.inputs["bucket"] == bucket.id
    (target,) = notification.inputs["lambdaFunctions"]
    assert target == {
        "lambdaFunctionArn": one(resources, FUNCTION, RECONCILER).state["arn"],
        "events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        "filterPrefix": "documents/",
    }
    assert not notification.inputs.get("queues")
    assert not notification.inputs.get("topics")
    assert not notification.inputs.get("eventbridge")


def test_s3_may_invoke_the_reconciler_only_for_this_bucket_in_this_account(
    resources: list[CapturedResource],
) -> None:
    (permission,) = [
        p
        for p in of_type(resources, PERMISSION)
        if p.inputs["principal"] == "s3.amazonaws.com" and p.name.startswith("tap-catalogue-")
    ]
    bucket = one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents")

    assert permission.name == "tap-catalogue-reconciler-s3-invoke"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["function"] == one(resources, FUNCTION, RECONCILER).id
    assert permission.inputs["sourceArn"] == bucket.state["arn"]
    assert permission.inputs["sourceAccount"] == MOCK_ACCOUNT_ID


def test_the_notification_is_put_only_after_the_permission_exists(resources: list[CapturedResource]) -> None:
    """S3 validates a Lambda destination when the configuration is put (the model's own words)."""
    operation = Loader().load_service_model("s3", "service-2")["operations"][
        "PutBucketNotificationConfiguration"
    ]
    text = " ".join(re.sub(r"<[^>]+>", " ", operation["documentation"]).split())
    assert (
        "In the case of Lambda destinations, Amazon S3 verifies that the Lambda function permissions grant "
        "Amazon S3 permission to invoke the function from the Amazon S3 bucket."
    ) in text
    notification = one(resources, NOTIFICATION, "tap-catalogue-documents-notification")
    permission = one(resources, PERMISSION, "tap-catalogue-reconciler-s3-invoke")

    assert permission.urn in notification.dependencies


# --- the component -------------------------------------------------------------------------------


def test_every_catalogue_resource_belongs_to_the_component(resources: list[CapturedResource]) -> None:
    component = one(resources, "tap:catalogue:CatalogueStack")
    children = {r.type for r in resources if r.parent == component.urn}

    assert children == {
        TABLE,
        ENDPOINT,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        QUEUE,
        ALARM,
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        FUNCTION,
        INVOKE_CONFIG,
        PERMISSION,
        NOTIFICATION,
    }


# --- the shared event-function builder kept every URN ---------------------------------------------

CATALOGUE_URNS = sorted(
    # As the stack registered them before lib/event_function.py existed (the reconciler was built
    # inline in CatalogueStack): a changed URN is a delete-and-create of the live resource.
    f"urn:pulumi:unit::secure-document-api::{path}"
    for path in (
        "tap:index:TapStack$tap:catalogue:CatalogueStack::tap-catalogue",
        "tap:catalogue:CatalogueStack$aws:dynamodb/table:Table::tap-catalogue-table",
        "tap:catalogue:CatalogueStack$aws:ec2/vpcEndpoint:VpcEndpoint::tap-catalogue-dynamodb-endpoint",
        "tap:catalogue:CatalogueStack$aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
        "::tap-catalogue-lambda-sg-dynamodb-egress",
        "tap:catalogue:CatalogueStack$aws:sqs/queue:Queue::tap-catalogue-failure-queue",
        "tap:catalogue:CatalogueStack$aws:cloudwatch/metricAlarm:MetricAlarm::tap-catalogue-failures-alarm",
        "tap:catalogue:CatalogueStack$aws:cloudwatch/logGroup:LogGroup::tap-catalogue-reconciler-log-group",
        "tap:catalogue:CatalogueStack$aws:iam/role:Role::tap-catalogue-reconciler-role",
        "tap:catalogue:CatalogueStack$aws:iam/rolePolicy:RolePolicy::tap-catalogue-reconciler-role-policy",
        "tap:catalogue:CatalogueStack$aws:lambda/function:Function::tap-catalogue-reconciler",
        "tap:catalogue:CatalogueStack$aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
        "::tap-catalogue-reconciler-invoke-config",
        "tap:catalogue:CatalogueStack$aws:lambda/permission:Permission::tap-catalogue-reconciler-s3-invoke",
        "tap:catalogue:CatalogueStack$aws:s3/bucketNotification:BucketNotification"
        "::tap-catalogue-documents-notification",
    )
)


@pytest.mark.parametrize("mode", [EncryptionMode.SSE_S3, EncryptionMode.KMS])
def test_the_catalogue_keeps_every_urn_it_had_before_the_shared_builder(
    mode: EncryptionMode, resources: list[CapturedResource], kms_resources: list[CapturedResource]
) -> None:
    captured = resources if mode is EncryptionMode.SSE_S3 else kms_resources
    catalogue = one(captured, "tap:catalogue:CatalogueStack")
    mine = [r for r in captured if r.parent == catalogue.urn or r is catalogue]

    assert sorted(r.urn for r in mine) == CATALOGUE_URNS
    # Every child's parent is the component itself, not a new intermediate.
    assert {r.parent for r in mine if r is not catalogue} == {catalogue.urn}


def test_the_reconciler_still_waits_for_what_it_waited_for(resources: list[CapturedResource]) -> None:
    by_name = {r.name: r for r in resources}
    function = by_name[RECONCILER]
    notification = by_name["tap-catalogue-documents-notification"]

    assert by_name["tap-catalogue-reconciler-role-policy"].urn in function.dependencies
    assert by_name["tap-catalogue-reconciler-s3-invoke"].urn in notification.dependencies
