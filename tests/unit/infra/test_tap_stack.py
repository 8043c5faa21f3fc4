"""The whole stack: provider, tags, data sources, outputs, and every feature switch on and off."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pulumi
import pytest

from lib.config import ConfigError
from lib.settings import ApiLoggingLevel, EncryptionMode, TapStackArgs
from tests.unit.infra.conftest import as_list, of_type, one, policy_of, statement
from tests.unit.infra.synth import MOCK_ACCOUNT_ID, synthesize, synthesize_stack

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from tests.unit.infra.synth import CapturedResource, Synthesis

REQUIRED_OUTPUTS = [
    "vpcId",
    "vpcCidrBlock",
    "publicSubnetIds",
    "privateSubnetIds",
    "lambdaSecurityGroupId",
    "s3VpcEndpointId",
    "documentsBucketName",
    "documentsBucketArn",
    "accessLogsBucketName",
    "accessLogsBucketArn",
    "lambdaFunctionName",
    "lambdaFunctionArn",
    "lambdaRoleArn",
    "lambdaFunctionUrl",
    "lambdaLogGroupName",
    "apiAccessLogGroupName",
    "apiId",
    "apiStageName",
    "apiUrl",
    "auditorRoleArn",
    "alarmTopicArn",
    "region",
    "environmentSuffix",
    "catalogueTableName",
    "catalogueTableArn",
    "dynamodbVpcEndpointId",
    "reconcilerFunctionName",
    "reconcilerFailureQueueUrl",
    "ingestBucketName",
    "ingestBucketArn",
    "processorFunctionName",
    "processorRoleArn",
    "processorLogGroupName",
    "processorFailureQueueUrl",
]


def test_components_are_children_of_the_stack_and_resources_of_their_component(
    resources: list[CapturedResource],
) -> None:
    stack = one(resources, "tap:index:TapStack")
    components = [r for r in resources if r.type.startswith("tap:") and r is not stack]

    assert {c.type for c in components} == {
        "tap:networking:NetworkingStack",
        "tap:storage:S3Stack",
        "tap:catalogue:CatalogueStack",
        "tap:ingest:IngestStack",
        "tap:compute:LambdaStack",
        "tap:api:ApiGatewayStack",
        "tap:monitoring:CloudWatchStack",
    }
    assert all(c.parent == stack.urn for c in components)
    component_urns = {c.urn for c in components}
    for resource in resources:
        if resource.custom and resource.type != "pulumi:providers:aws":
            assert resource.parent in component_urns, resource.name


def test_one_explicit_provider_pinned_to_the_region_with_default_tags(
    resources: list[CapturedResource],
) -> None:
    provider = one(resources, "pulumi:providers:aws")

    assert provider.inputs["region"] == "us-east-1"
    assert json.loads(provider.inputs["defaultTags"]) == {
        "tags": {"Environment": "dev", "Project": "secure-document-api", "ManagedBy": "pulumi"}
    }
    for resource in resources:
        if resource.custom and resource.type.startswith("aws:"):
            assert resource.provider is not None
            assert f"::{provider.name}::" in resource.provider, resource.name


def test_account_and_partition_come_from_data_sources_through_the_provider(default_stack: Synthesis) -> None:
    tokens = sorted(call.token for call in default_stack.calls)

    assert tokens == [
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
    ]
    assert all("tap-aws" in call.provider for call in default_stack.calls)


def test_no_arn_hard_codes_the_partition() -> None:
    resources = synthesize_stack(TapStackArgs(), partition="aws-us-gov").resources

    def strings(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    every_string = [text for resource in resources for text in strings(resource.inputs)]
    assert any("arn:aws-us-gov:" in text for text in every_string)
    assert not [text for text in every_string if "arn:aws:" in text]


def test_every_required_output_is_exported_and_points_at_the_real_resources(
    default_stack: Synthesis, resources: list[CapturedResource]
) -> None:
    outputs = default_stack.value

    assert set(REQUIRED_OUTPUTS) <= set(outputs)
    assert all(outputs[key] is not None for key in REQUIRED_OUTPUTS)
    assert outputs["region"] == "us-east-1"
    assert outputs["environmentSuffix"] == "dev"
    assert outputs["vpcId"] == one(resources, "aws:ec2/vpc:Vpc").id
    assert (
        outputs["s3VpcEndpointId"]
        == one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint", "tap-networking-s3-endpoint").id
    )
    table = one(resources, "aws:dynamodb/table:Table")
    assert (outputs["catalogueTableName"], outputs["catalogueTableArn"]) == (
        "doc-processor-dev-catalogue",
        table.state["arn"],
    )
    assert (
        outputs["dynamodbVpcEndpointId"]
        == one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint", "tap-catalogue-dynamodb-endpoint").id
    )
    assert outputs["reconcilerFunctionName"] == "doc-reconciler-dev"
    assert (
        outputs["reconcilerFailureQueueUrl"]
        == one(resources, "aws:sqs/queue:Queue", "tap-catalogue-failure-queue").state["url"]
    )
    assert outputs["reconcilerFailureQueueUrl"].endswith(f"/{MOCK_ACCOUNT_ID}/doc-reconciler-dev-failures")
    assert (
        outputs["documentsBucketArn"]
        == one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents").state["arn"]
    )
    assert outputs["lambdaRoleArn"] == one(resources, "aws:iam/role:Role", "tap-compute-role").state["arn"]
    assert outputs["apiUrl"] == one(resources, "aws:apigateway/stage:Stage").state["invokeUrl"]
    assert outputs["apiStageName"] == "dev"
    assert outputs["alarmTopicArn"] == one(resources, "aws:sns/topic:Topic").state["arn"]
    assert outputs["kmsKeyArn"] is None
    assert (outputs["encryptionMode"], outputs["maxDocumentBytes"]) == ("SSE_S3", 4_500_000)
    ingest = one(resources, "aws:s3/bucket:Bucket", "tap-storage-ingest")
    assert (outputs["ingestBucketName"], outputs["ingestBucketArn"]) == (
        f"doc-ingest-dev-{MOCK_ACCOUNT_ID}-us-east-1",
        ingest.state["arn"],
    )
    processor = one(resources, "aws:lambda/function:Function", "tap-ingest-processor")
    assert outputs["processorFunctionName"] == processor.inputs["name"] == "doc-ingest-dev"
    processor_role = one(resources, "aws:iam/role:Role", "tap-ingest-processor-role")
    assert outputs["processorRoleArn"] == processor_role.state["arn"]
    assert outputs["processorRoleArn"] == f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/doc-ingest-dev-lambda"
    assert outputs["processorLogGroupName"] == "/aws/lambda/doc-ingest-dev"
    assert (
        outputs["processorFailureQueueUrl"]
        == one(resources, "aws:sqs/queue:Queue", "tap-ingest-failure-queue").state["url"]
    )
    assert outputs["processorFailureQueueUrl"].endswith(f"/{MOCK_ACCOUNT_ID}/doc-ingest-dev-failures")
    assert len(outputs["privateSubnetIds"]) == len(outputs["publicSubnetIds"]) == 2


def test_invalid_arguments_are_refused_before_anything_is_created() -> None:
    with pytest.raises(ConfigError, match=r"region: 'eu-west-1' is not in allowedRegions"):
        synthesize(TapStackArgs(region="eu-west-1"))


def test_configured_tags_join_the_default_tags() -> None:
    resources = synthesize(TapStackArgs(tags=MappingProxyType({"CostCenter": "docs"})))

    tags = json.loads(one(resources, "pulumi:providers:aws").inputs["defaultTags"])["tags"]
    assert tags["CostCenter"] == "docs"
    assert tags["ManagedBy"] == "pulumi"


def test_another_allowed_region_moves_every_regional_setting() -> None:
    synthesis = synthesize_stack(TapStackArgs(region="eu-west-1", allowed_regions=("us-east-1", "eu-west-1")))
    resources = synthesis.resources

    assert one(resources, "pulumi:providers:aws").inputs["region"] == "eu-west-1"
    zones = sorted(s.inputs["availabilityZoneId"] for s in of_type(resources, "aws:ec2/subnet:Subnet"))
    assert zones == ["euw1-az1", "euw1-az1", "euw1-az2", "euw1-az2"]
    assert {e.inputs["serviceName"] for e in of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")} == {
        "com.amazonaws.eu-west-1.s3",
        "com.amazonaws.eu-west-1.dynamodb",
    }
    assert synthesis.value["documentsBucketName"] == f"docs-dev-{MOCK_ACCOUNT_ID}-eu-west-1"


@pytest.fixture(scope="module")
def kms_stack() -> Synthesis:
    return synthesize_stack(TapStackArgs(encryption_mode=EncryptionMode.KMS))


def test_kms_mode_creates_a_rotating_customer_managed_key(kms_stack: Synthesis) -> None:
    key = one(kms_stack.resources, "aws:kms/key:Key")
    alias = one(kms_stack.resources, "aws:kms/alias:Alias")

    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert alias.inputs == {"name": "alias/doc-processor-dev", "targetKeyId": key.state["keyId"]}
    logs = statement(policy_of(key), "CloudWatchLogsEncryption")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert kms_stack.value["kmsKeyArn"] == key.state["arn"]


def test_kms_mode_encrypts_documents_logs_and_alarms_with_the_key(kms_stack: Synthesis) -> None:
    resources = kms_stack.resources
    key_arn = one(resources, "aws:kms/key:Key").state["arn"]
    documents = one(resources, "aws:s3/bucket:Bucket", "tap-storage-documents")
    logs_bucket = one(resources, "aws:s3/bucket:Bucket", "tap-storage-access-logs")
    encryption = {
        r.inputs["bucket"]: r.inputs["rules"][0]
        for r in of_type(
            resources,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        )
    }

    assert encryption[documents.id] == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
        "bucketKeyEnabled": True,
    }
    ingest = one(resources, "aws:s3/bucket:Bucket", "tap-storage-ingest")
    assert encryption[ingest.id] == encryption[documents.id]  # quarantine as the vault
    assert encryption[logs_bucket.id]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    groups = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) == 6
    assert all(group.inputs["kmsKeyId"] == key_arn for group in groups)
    assert one(resources, "aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == key_arn
    role_policy = policy_of(one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-compute-role-policy"))
    kms = statement(role_policy, "DocumentsKeyViaS3")
    assert as_list(kms["Resource"]) == [key_arn]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_sse_s3_mode_creates_no_key_and_no_key_references(resources: list[CapturedResource]) -> None:
    assert not of_type(resources, "aws:kms/key:Key")
    assert all(
        "kmsKeyId" not in group.inputs for group in of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    )


@pytest.fixture(scope="module")
def switched_off() -> Synthesis:
    return synthesize_stack(
        TapStackArgs(enable_waf=False, enable_function_url=False, manage_api_gateway_account=False)
    )


def test_waf_can_be_switched_off(switched_off: Synthesis) -> None:
    assert not of_type(switched_off.resources, "aws:wafv2/webAcl:WebAcl")
    assert not of_type(switched_off.resources, "aws:wafv2/webAclAssociation:WebAclAssociation")
    assert switched_off.value["webAclArn"] is None


def test_function_url_can_be_switched_off(switched_off: Synthesis) -> None:
    assert not of_type(switched_off.resources, "aws:lambda/functionUrl:FunctionUrl")
    assert switched_off.value["lambdaFunctionUrl"] is None


def test_api_gateway_account_role_can_be_left_to_the_account(switched_off: Synthesis) -> None:
    resources = switched_off.resources
    assert not of_type(resources, "aws:apigateway/account:Account")
    assert not [r for r in of_type(resources, "aws:iam/role:Role") if r.name == "tap-api-cloudwatch-role"]
    stage = one(resources, "aws:apigateway/stage:Stage")
    execution = one(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-api-execution-logs")
    assert execution.urn in stage.dependencies


@pytest.fixture(scope="module")
def tuned() -> Synthesis:
    return synthesize_stack(
        TapStackArgs(
            environment_suffix="prod",
            log_retention_days=731,
            waf_rate_limit=250,
            break_glass_principal_arns=("arn:aws:iam::123456789012:role/BreakGlass",),
            auditor_principal_arns=("arn:aws:iam::123456789012:role/SecurityAudit",),
            alarm_email="ops@example.com",
            throttling_rate_limit=10.0,
            throttling_burst_limit=20,
            reserved_concurrency=5,
            lambda_memory_mb=1024,
            force_destroy=True,
            max_document_bytes=1_000_000,
            allowed_content_types=("application/pdf",),
            noncurrent_version_expiration_days=30,
            access_log_expiration_days=90,
            api_logging_level=ApiLoggingLevel.ERROR,
        )
    )


def test_names_follow_the_environment_suffix(tuned: Synthesis) -> None:
    resources = tuned.resources
    assert (
        one(resources, "aws:lambda/function:Function", "tap-compute-function").inputs["name"]
        == "doc-processor-prod"
    )
    assert one(resources, "aws:apigateway/stage:Stage").inputs["stageName"] == "prod"
    assert tuned.value["documentsBucketName"] == f"docs-prod-{MOCK_ACCOUNT_ID}-us-east-1"


def test_every_log_group_gets_the_configured_retention(tuned: Synthesis) -> None:
    groups = of_type(tuned.resources, "aws:cloudwatch/logGroup:LogGroup")

    assert len(groups) == 6
    assert all(group.inputs["retentionInDays"] == 731 for group in groups)


def test_function_settings_follow_the_config(tuned: Synthesis) -> None:
    function = one(tuned.resources, "aws:lambda/function:Function", "tap-compute-function")

    assert function.inputs["reservedConcurrentExecutions"] == 5
    assert function.inputs["memorySize"] == 1024
    assert function.inputs["environment"]["variables"]["MAX_DOCUMENT_BYTES"] == "1000000"
    assert function.inputs["environment"]["variables"]["ALLOWED_CONTENT_TYPES"] == "application/pdf"
    assert tuned.value["maxDocumentBytes"] == 1_000_000


def test_api_settings_follow_the_config(tuned: Synthesis) -> None:
    settings = one(tuned.resources, "aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    acl = one(tuned.resources, "aws:wafv2/webAcl:WebAcl")

    assert (settings["loggingLevel"], settings["dataTraceEnabled"]) == ("ERROR", False)
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (10, 20)
    (rate,) = [rule for rule in acl.inputs["rules"] if "rateBasedStatement" in rule["statement"]]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 250


def test_bucket_settings_follow_the_config(tuned: Synthesis) -> None:
    resources = tuned.resources
    assert all(b.inputs["forceDestroy"] is True for b in of_type(resources, "aws:s3/bucket:Bucket"))
    rules = [
        rule
        for lifecycle in of_type(
            resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
        )
        for rule in lifecycle.inputs["rules"]
    ]
    by_id = {rule["id"]: rule for rule in rules}
    assert by_id["expire-noncurrent-versions"]["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    assert by_id["expire-access-logs"]["expiration"]["days"] == 90


def test_break_glass_principals_are_let_into_the_documents_bucket(tuned: Synthesis) -> None:
    bucket_policy = one(tuned.resources, "aws:s3/bucketPolicy:BucketPolicy", "tap-storage-documents-policy")
    role_arn = one(tuned.resources, "aws:iam/role:Role", "tap-compute-role").state["arn"]
    reconciler_arn = one(tuned.resources, "aws:iam/role:Role", "tap-catalogue-reconciler-role").state["arn"]
    processor_arn = one(tuned.resources, "aws:iam/role:Role", "tap-ingest-processor-role").state["arn"]

    others = statement(policy_of(bucket_policy), "DenyDataAccessToOtherPrincipals")
    assert others["Condition"] == {
        "ArnNotEquals": {
            "aws:PrincipalArn": [
                role_arn,
                reconciler_arn,
                processor_arn,
                "arn:aws:iam::123456789012:role/BreakGlass",
            ]
        }
    }


def test_configured_auditors_and_alarm_email(tuned: Synthesis) -> None:
    resources = tuned.resources
    auditor = one(resources, "aws:iam/role:Role", "tap-monitoring-auditor-role")
    (trust,) = json.loads(auditor.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"AWS": ["arn:aws:iam::123456789012:role/SecurityAudit"]}
    subscription = one(resources, "aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "ops@example.com"
    assert subscription.inputs["topic"] == one(resources, "aws:sns/topic:Topic").state["arn"]


def test_every_component_registers_its_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: dict[str, set[str]] = {}
    original = pulumi.ComponentResource.register_outputs

    def record(self: pulumi.ComponentResource, outputs: Mapping[str, Any]) -> None:
        registered[type(self).__name__] = set(outputs)
        original(self, outputs)

    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", record)

    synthesize(TapStackArgs())

    assert registered["TapStack"] >= set(REQUIRED_OUTPUTS)
    assert registered["NetworkingStack"] >= {"vpcId", "privateSubnetIds", "s3VpcEndpointId"}
    assert registered["S3Stack"] >= {"documentsBucketName", "accessLogsBucketName"}
    assert registered["CatalogueStack"] >= {
        "catalogueTableName",
        "catalogueTableArn",
        "dynamodbVpcEndpointId",
        "reconcilerFunctionName",
        "reconcilerFailureQueueUrl",
    }
    assert registered["LambdaStack"] >= {"lambdaFunctionName", "lambdaRoleArn", "lambdaLogGroupName"}
    assert registered["ApiGatewayStack"] >= {"apiId", "apiUrl", "apiStageName"}
    assert registered["CloudWatchStack"] >= {"alarmTopicArn", "auditorRoleArn"}
