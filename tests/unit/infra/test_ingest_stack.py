"""Large uploads in the synthesized stacks (DESIGN §4.2): the ingest bucket (S3Stack), the processor
(IngestStack) and who can do what from where, judged by ``policy_eval`` over the deployed policies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from document_processor import presign
from document_processor.settings import load_settings
from lib import policies
from lib.ingest_stack import PROCESSOR_MEMORY_MB, PROCESSOR_TIMEOUT_SECONDS
from lib.lambda_asset import PROCESSOR_HANDLER
from lib.s3_stack import INGEST_ACCESS_LOG_PREFIX, INGEST_CORS_ALLOWED_HEADERS
from lib.settings import EncryptionMode, TapStackArgs
from tests.unit.infra.conftest import as_list, of_type, one, policy_of, statement
from tests.unit.infra.policy_eval import Request, evaluate
from tests.unit.infra.synth import MOCK_ACCOUNT_ID, synthesize

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

BUCKET = "aws:s3/bucket:Bucket"
FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
INGEST = "tap-storage-ingest"
PROCESSOR = "tap-ingest-processor"
KEY = "ingest/0123456789abcdef0123456789abcdef/AbCdEfGhIjKlMnOpQrStUv"
DOCUMENT = "documents/0123456789abcdef0123456789abcdef/AbCdEfGhIjKlMnOpQrStUv"


@pytest.fixture(scope="module")
def kms_resources() -> list[CapturedResource]:
    return synthesize(TapStackArgs(encryption_mode=EncryptionMode.KMS))


@pytest.fixture(scope="module")
def cors_resources() -> list[CapturedResource]:
    return synthesize(TapStackArgs(ingest_cors_origins=("https://docs.example.com", "https://b.example")))


def side(
    resources: list[CapturedResource], type_token: str, bucket: CapturedResource
) -> list[CapturedResource]:
    return [r for r in of_type(resources, type_token) if r.inputs.get("bucket") == bucket.id]


def arn_of(resources: list[CapturedResource], type_token: str, name: str) -> str:
    return str(one(resources, type_token, name).state["arn"])


# --- the ingest bucket ---------------------------------------------------------------------------


def test_ingest_bucket_is_named_for_environment_account_and_region(resources: list[CapturedResource]) -> None:
    bucket = one(resources, BUCKET, INGEST)

    assert bucket.id == f"doc-ingest-dev-{MOCK_ACCOUNT_ID}-us-east-1"
    assert bucket.inputs["forceDestroy"] is False


def test_ingest_bucket_is_private_acl_free_and_encrypted_like_the_vault(
    resources: list[CapturedResource], kms_resources: list[CapturedResource]
) -> None:
    for captured in (resources, kms_resources):
        ingest, vault = one(captured, BUCKET, INGEST), one(captured, BUCKET, "tap-storage-documents")
        (block,) = side(captured, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", ingest)
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        assert all(block.inputs[flag] is True for flag in flags)
        (ownership,) = side(captured, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", ingest)
        assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        encryption = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        (mine,) = side(captured, encryption, ingest)
        (vaults,) = side(captured, encryption, vault)
        assert mine.inputs["rules"] == vaults.inputs["rules"]
    key_arn = one(kms_resources, "aws:kms/key:Key").state["arn"]
    (kms_rule,) = side(
        kms_resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        one(kms_resources, BUCKET, INGEST),
    )[0].inputs["rules"]
    assert kms_rule == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
        "bucketKeyEnabled": True,
    }


def test_ingest_bucket_is_not_versioned_so_deletes_really_remove_quarantined_bytes(
    resources: list[CapturedResource],
) -> None:
    assert side(resources, "aws:s3/bucketVersioning:BucketVersioning", one(resources, BUCKET, INGEST)) == []


def test_ingest_bucket_logs_to_the_log_bucket_under_its_own_prefix(resources: list[CapturedResource]) -> None:
    ingest, logs = one(resources, BUCKET, INGEST), one(resources, BUCKET, "tap-storage-access-logs")
    (logging,) = side(resources, "aws:s3/bucketLogging:BucketLogging", ingest)
    logs_policy = one(resources, BUCKET_POLICY, "tap-storage-access-logs-policy")

    assert logging.inputs["targetBucket"] == logs.id
    assert logging.inputs["targetPrefix"] == INGEST_ACCESS_LOG_PREFIX == "s3-access-logs/ingest/"
    assert logs_policy.urn in logging.dependencies
    document = policy_of(logs_policy)
    delivery = statement(document, "AllowIngestAccessLogDelivery")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"{logs.state['arn']}/{INGEST_ACCESS_LOG_PREFIX}*"
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": ingest.state["arn"]},
        "StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT_ID},
    }
    # Each source writes only under its own prefix: the vault's statement still names only the vault.
    vault = statement(document, "AllowS3ServerAccessLogDelivery")
    assert vault["Condition"]["ArnLike"] == {
        "aws:SourceArn": arn_of(resources, BUCKET, "tap-storage-documents")
    }
    assert vault["Resource"] == f"{logs.state['arn']}/s3-access-logs/documents/*"


def test_ingest_lifecycle_aborts_uploads_after_a_day_and_expires_objects_after_two(
    resources: list[CapturedResource],
) -> None:
    (lifecycle,) = side(
        resources,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        one(resources, BUCKET, INGEST),
    )

    assert sorted(lifecycle.inputs["rules"], key=lambda rule: rule["id"]) == [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
        },
        {
            "id": "expire-quarantined-objects",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": 2},
        },
    ]


def test_no_cors_configuration_by_default(resources: list[CapturedResource]) -> None:
    assert of_type(resources, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration") == []


def test_configured_origins_may_put_parts_and_read_their_etags(
    cors_resources: list[CapturedResource],
) -> None:
    (cors,) = of_type(cors_resources, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")

    assert cors.inputs["bucket"] == one(cors_resources, BUCKET, INGEST).id
    (rule,) = cors.inputs["corsRules"]
    assert rule["allowedMethods"] == ["PUT"]
    assert rule["allowedOrigins"] == ["https://docs.example.com", "https://b.example"]
    assert rule["exposeHeaders"] == ["ETag"]
    assert "*" not in rule["allowedHeaders"]
    assert rule["maxAgeSeconds"] == 600


def test_cors_allows_exactly_the_headers_a_part_url_is_signed_with() -> None:
    signed = {presign.CHECKSUM_HEADER, presign.CHECKSUM_ALGORITHM_HEADER}

    assert set(INGEST_CORS_ALLOWED_HEADERS) == {*signed, "content-type"}


def test_ingest_bucket_policy_is_the_presign_only_policy_on_the_real_names(
    resources: list[CapturedResource],
) -> None:
    ingest = one(resources, BUCKET, INGEST)
    bucket_policy = one(resources, BUCKET_POLICY, "tap-storage-ingest-policy")
    (block,) = side(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", ingest)

    assert bucket_policy.inputs["bucket"] == ingest.id
    assert block.urn in bucket_policy.dependencies
    expected = policies.ingest_bucket_policy(
        bucket_arn=ingest.state["arn"],
        vpc_endpoint_id=one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint", "tap-networking-s3-endpoint").id,
        api_role_arn=arn_of(resources, "aws:iam/role:Role", "tap-compute-role"),
        processor_role_arn=arn_of(resources, "aws:iam/role:Role", "tap-ingest-processor-role"),
        max_signature_age_ms=policies.MAX_PRESIGNED_UPLOAD_AGE_MS,
    )
    document = policy_of(bucket_policy)
    assert document == json.loads(json.dumps(expected))
    age = statement(document, "DenyUploadsOutsideVpcEndpointWithOldSignatures")
    assert age["Condition"]["NumericGreaterThanIfExists"] == {"s3:signatureAge": "900000"}


# --- the processor -------------------------------------------------------------------------------


def test_processor_runs_the_shared_package_in_the_private_subnets_with_its_own_role(
    resources: list[CapturedResource],
) -> None:
    processor = one(resources, FUNCTION, PROCESSOR)
    api = one(resources, FUNCTION, "tap-compute-function")
    role = one(resources, "aws:iam/role:Role", "tap-ingest-processor-role")
    private = sorted(
        s.id for s in of_type(resources, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == "private"
    )

    inputs = processor.inputs
    assert inputs["name"] == "doc-ingest-dev"
    assert inputs["handler"] == PROCESSOR_HANDLER == "document_processor.processor.lambda_handler"
    assert (inputs["runtime"], inputs["architectures"]) == (
        api.inputs["runtime"],
        api.inputs["architectures"],
    )
    assert (
        (inputs["memorySize"], inputs["timeout"])
        == (PROCESSOR_MEMORY_MB, PROCESSOR_TIMEOUT_SECONDS)
        == (
            1024,
            900,
        )
    )
    assert sorted(inputs["vpcConfig"]["subnetIds"]) == private
    assert inputs["vpcConfig"]["securityGroupIds"] == api.inputs["vpcConfig"]["securityGroupIds"]
    assert inputs["tracingConfig"] == {"mode": "Active"}
    assert inputs["loggingConfig"]["logGroup"] == "/aws/lambda/doc-ingest-dev"
    assert inputs["loggingConfig"]["logFormat"] == "JSON"
    assert inputs["role"] == role.state["arn"] != api.inputs["role"]
    assert role.inputs["name"] == "doc-ingest-dev-lambda"
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    assert sorted(processor.inputs["code"].assets) == sorted(api.inputs["code"].assets)
    assert one(resources, ROLE_POLICY, "tap-ingest-processor-role-policy").urn in processor.dependencies


def test_processor_environment_is_the_services_and_loads_without_problems(
    resources: list[CapturedResource],
) -> None:
    variables = one(resources, FUNCTION, PROCESSOR).inputs["environment"]["variables"]

    assert variables == {
        "DOCUMENTS_BUCKET": one(resources, BUCKET, "tap-storage-documents").id,
        "CATALOGUE_TABLE": "doc-processor-dev-catalogue",
        "INGEST_BUCKET": one(resources, BUCKET, INGEST).id,
        "ALLOWED_CONTENT_TYPES": "application/pdf,image/png,image/jpeg,text/plain",
        "MAX_UPLOAD_BYTES": str(5 * 1024**3),
        "MALWARE_SCANNING": "off",
        "LOG_LEVEL": "INFO",
        "METRICS_NAMESPACE": "SecureDocumentApi",
        "POWERTOOLS_SERVICE_NAME": "document-ingest",
    }
    settings = load_settings(variables)
    assert settings.problems == ()
    assert (settings.ingest_bucket, settings.max_upload_bytes) == (variables["INGEST_BUCKET"], 5 * 1024**3)


def test_failed_events_retry_twice_then_go_to_an_encrypted_queue_that_alarms(
    resources: list[CapturedResource], kms_resources: list[CapturedResource]
) -> None:
    config = one(
        resources,
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "tap-ingest-processor-invoke-config",
    )
    queue = one(resources, QUEUE, "tap-ingest-failure-queue")
    alarm = one(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "tap-ingest-failures-alarm")
    topic = one(resources, "aws:sns/topic:Topic")

    assert config.inputs["functionName"] == "doc-ingest-dev"
    assert (config.inputs["maximumRetryAttempts"], config.inputs["maximumEventAgeInSeconds"]) == (2, 6 * 3600)
    assert config.inputs["destinationConfig"] == {"onFailure": {"destination": queue.state["arn"]}}
    assert queue.inputs["name"] == "doc-ingest-dev-failures"
    assert queue.inputs["sqsManagedSseEnabled"] is True
    kms_queue = one(kms_resources, QUEUE, "tap-ingest-failure-queue")
    assert kms_queue.inputs["kmsMasterKeyId"] == one(kms_resources, "aws:kms/key:Key").state["arn"]
    assert "sqsManagedSseEnabled" not in kms_queue.inputs
    assert alarm.inputs["name"] == "doc-processor-dev-ingest-failures"
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert alarm.inputs["dimensions"] == {"QueueName": "doc-ingest-dev-failures"}
    assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [topic.state["arn"]]


def test_objects_created_under_ingest_invoke_the_processor_after_s3_may(
    resources: list[CapturedResource],
) -> None:
    notification = one(
        resources, "aws:s3/bucketNotification:BucketNotification", "tap-ingest-ingest-notification"
    )
    permission = one(resources, "aws:lambda/permission:Permission", "tap-ingest-processor-s3-invoke")
    processor = one(resources, FUNCTION, PROCESSOR)
    ingest = one(resources, BUCKET, INGEST)

    assert notification.inputs["bucket"] == ingest.id
    assert notification.inputs["lambdaFunctions"] == [
        {
            "lambdaFunctionArn": processor.state["arn"],
            "events": ["s3:ObjectCreated:*"],
            "filterPrefix": "ingest/",
        }
    ]
    assert permission.urn in notification.dependencies
    assert permission.inputs["principal"] == "s3.amazonaws.com"
    assert permission.inputs["sourceArn"] == ingest.state["arn"]
    assert permission.inputs["sourceAccount"] == MOCK_ACCOUNT_ID
    assert permission.inputs["function"] == processor.id
    # The vault's notification is still the reconciler's alone.
    vault_notification = one(
        resources, "aws:s3/bucketNotification:BucketNotification", "tap-catalogue-documents-notification"
    )
    assert vault_notification.inputs["bucket"] != ingest.id


def test_processor_role_actions_are_exactly_these_on_the_real_resources(
    resources: list[CapturedResource],
) -> None:
    document = policy_of(one(resources, ROLE_POLICY, "tap-ingest-processor-role-policy"))
    ingest = arn_of(resources, BUCKET, INGEST)
    vault = arn_of(resources, BUCKET, "tap-storage-documents")
    table = arn_of(resources, "aws:dynamodb/table:Table", "tap-catalogue-table")
    queue = arn_of(resources, QUEUE, "tap-ingest-failure-queue")
    group = arn_of(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-ingest-processor-log-group")

    granted = {
        (action, resource)
        for s in document["Statement"]
        for action in as_list(s["Action"])
        for resource in as_list(s["Resource"])
        if not action.startswith(("ec2:", "xray:"))
    }
    assert granted == {
        ("s3:GetObject", f"{ingest}/ingest/*"),
        ("s3:DeleteObject", f"{ingest}/ingest/*"),
        ("s3:ListBucket", ingest),
        ("s3:GetObject", f"{vault}/documents/*"),
        ("s3:PutObject", f"{vault}/documents/*"),
        ("s3:AbortMultipartUpload", f"{vault}/documents/*"),
        ("s3:ListBucket", vault),
        ("dynamodb:GetItem", table),
        ("dynamodb:UpdateItem", table),
        ("dynamodb:PutItem", table),
        ("dynamodb:DeleteItem", table),
        ("sqs:SendMessage", queue),
        ("logs:CreateLogStream", f"{group}:*"),
        ("logs:PutLogEvents", f"{group}:*"),
    }
    assert statement(document, "ListIngestObjects")["Condition"] == {"StringLike": {"s3:prefix": "ingest/*"}}
    assert statement(document, "ListDocuments")["Condition"] == {"StringLike": {"s3:prefix": "documents/*"}}
    assert all(s["Effect"] == "Allow" for s in document["Statement"])


def test_processor_uses_the_key_only_through_s3_dynamodb_and_sqs(
    kms_resources: list[CapturedResource],
) -> None:
    document = policy_of(one(kms_resources, ROLE_POLICY, "tap-ingest-processor-role-policy"))
    key_arn = one(kms_resources, "aws:kms/key:Key").state["arn"]

    kms = {
        s["Sid"]: s for s in document["Statement"] if any(a.startswith("kms:") for a in as_list(s["Action"]))
    }
    assert {sid: s["Condition"]["StringEquals"]["kms:ViaService"] for sid, s in kms.items()} == {
        "ObjectsKeyViaS3": "s3.us-east-1.amazonaws.com",
        "CatalogueKeyViaDynamoDb": "dynamodb.us-east-1.amazonaws.com",
        "FailureQueueKeyViaSqs": "sqs.us-east-1.amazonaws.com",
    }
    assert sorted(kms["ObjectsKeyViaS3"]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert all(as_list(s["Resource"]) == [key_arn] for s in kms.values())


def test_api_role_manages_uploads_under_ingest_and_reads_sessions(resources: list[CapturedResource]) -> None:
    document = policy_of(one(resources, ROLE_POLICY, "tap-compute-role-policy"))
    ingest = arn_of(resources, BUCKET, INGEST)

    uploads = statement(document, "IngestUploads")
    assert sorted(as_list(uploads["Action"])) == [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    ]
    assert as_list(uploads["Resource"]) == [f"{ingest}/ingest/*"]
    assert "dynamodb:GetItem" in as_list(statement(document, "CatalogueItems")["Action"])


# --- who can do what from where (identity policy AND bucket policy AND endpoint policy) ----------


def context(
    principal: str, *, via_endpoint: bool, presigned: bool = False, age_ms: int = 60_000
) -> dict[str, str]:
    values = {
        "aws:SecureTransport": "true",
        "s3:TlsVersion": "1.3",
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": MOCK_ACCOUNT_ID,
        "s3:authType": "REST-QUERY-STRING" if presigned else "REST-HEADER",
        "s3:signatureversion": "AWS4-HMAC-SHA256",
    }
    if presigned:
        values["s3:signatureAge"] = str(age_ms)
    if via_endpoint:
        values["aws:SourceVpce"] = "vpce-0123456789abcdef0"
    return values


class World:
    """The deployed policies: may ``role`` call ``action`` on ``bucket``/``key`` from where it is?"""

    def __init__(self, resources: list[CapturedResource]) -> None:
        self.buckets = {
            "ingest": arn_of(resources, BUCKET, INGEST),
            "vault": arn_of(resources, BUCKET, "tap-storage-documents"),
        }
        self.bucket_policies = {
            "ingest": policy_of(one(resources, BUCKET_POLICY, "tap-storage-ingest-policy")),
            "vault": policy_of(one(resources, BUCKET_POLICY, "tap-storage-documents-policy")),
        }
        self.roles = {
            name: arn_of(resources, "aws:iam/role:Role", f"tap-{name}-role")
            for name in ("compute", "ingest-processor", "catalogue-reconciler")
        }
        self.identity = {
            name: policy_of(one(resources, ROLE_POLICY, f"tap-{name}-role-policy")) for name in self.roles
        }
        self.endpoint = policy_of(
            one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint", "tap-networking-s3-endpoint")
        )

    def may(self, role: str, action: str, bucket: str, key: str, **where: Any) -> bool:
        request = Request(action, f"{self.buckets[bucket]}/{key}", context(self.roles[role], **where))
        identity = evaluate(self.identity[role], request).allowed
        resource = not evaluate(self.bucket_policies[bucket], request).explicitly_denied
        # Only requests from inside the VPC pass the gateway endpoint (and its policy).
        network = evaluate(self.endpoint, request).allowed if where.get("via_endpoint") else True
        return identity and resource and network


@pytest.fixture(scope="module")
def world(resources: list[CapturedResource]) -> World:
    return World(resources)


def test_the_internet_with_an_api_presigned_url_can_put_parts_under_ingest_but_read_nothing(
    world: World,
) -> None:
    # UploadPart is authorised as s3:PutObject.
    assert world.may("compute", "s3:PutObject", "ingest", KEY, via_endpoint=False, presigned=True)
    assert not world.may(
        "compute", "s3:PutObject", "ingest", KEY, via_endpoint=False, presigned=True, age_ms=900_001
    )
    assert not world.may(
        "compute", "s3:PutObject", "ingest", "elsewhere/k", via_endpoint=False, presigned=True
    )
    assert not world.may("compute", "s3:GetObject", "ingest", KEY, via_endpoint=False, presigned=True)
    assert not world.may("compute", "s3:PutObject", "ingest", KEY, via_endpoint=False)  # header-signed
    for role in ("ingest-processor", "catalogue-reconciler"):
        assert not world.may(role, "s3:PutObject", "ingest", KEY, via_endpoint=False, presigned=True)


def test_the_api_manages_its_uploads_from_the_vpc_and_never_reads_quarantine(world: World) -> None:
    for action in (
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "s3:DeleteObject",
    ):
        assert world.may("compute", action, "ingest", KEY, via_endpoint=True), action
    assert not world.may("compute", "s3:GetObject", "ingest", KEY, via_endpoint=True)


def test_the_processor_reads_deletes_and_copies_in_but_never_deletes_a_document(world: World) -> None:
    for action in ("s3:GetObject", "s3:DeleteObject"):
        assert world.may("ingest-processor", action, "ingest", KEY, via_endpoint=True), action
    for action in ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"):
        assert world.may("ingest-processor", action, "vault", DOCUMENT, via_endpoint=True), action
    assert not world.may("ingest-processor", "s3:PutObject", "ingest", KEY, via_endpoint=True)
    assert not world.may("ingest-processor", "s3:DeleteObject", "vault", DOCUMENT, via_endpoint=True)
    # ... and the vault refuses it on its own, whatever the role's policy might one day say.
    request = Request(
        "s3:DeleteObject",
        f"{world.buckets['vault']}/{DOCUMENT}",
        context(world.roles["ingest-processor"], via_endpoint=True),
    )
    assert evaluate(world.bucket_policies["vault"], request).denied_by == ("DenyProcessorAllButCopiesIn",)
    for action in ("s3:DeleteObjectVersion", "s3:PutObjectTagging", "s3:GetObjectVersion"):
        request = Request(
            action,
            f"{world.buckets['vault']}/{DOCUMENT}",
            context(world.roles["ingest-processor"], via_endpoint=True),
        )
        assert "DenyProcessorAllButCopiesIn" in evaluate(world.bucket_policies["vault"], request).denied_by
    assert not world.may(
        "ingest-processor", "s3:GetObject", "vault", DOCUMENT, via_endpoint=False, presigned=True
    )


def test_a_presigned_vault_download_by_the_api_role_works_from_outside_and_nobody_elses(world: World) -> None:
    assert world.may("compute", "s3:GetObject", "vault", DOCUMENT, via_endpoint=False, presigned=True)
    assert not world.may(
        "compute", "s3:GetObject", "vault", DOCUMENT, via_endpoint=False, presigned=True, age_ms=300_001
    )
    assert not world.may("compute", "s3:GetObject", "vault", DOCUMENT, via_endpoint=False)
    assert not world.may("compute", "s3:PutObject", "vault", DOCUMENT, via_endpoint=False, presigned=True)
    for role in ("ingest-processor", "catalogue-reconciler"):
        assert not world.may(role, "s3:GetObject", "vault", DOCUMENT, via_endpoint=False, presigned=True), (
            role
        )


def test_the_s3_endpoint_lets_every_object_action_a_role_is_granted_through(
    world: World, resources: list[CapturedResource]
) -> None:
    """A role action the endpoint refuses fails at run time; the endpoint reaches the ingest bucket too."""
    endpoint_policy = world.endpoint
    buckets = set(world.buckets.values()) | {arn_of(resources, BUCKET, "tap-storage-access-logs")}
    assert {r.removesuffix("/*") for r in as_list(endpoint_policy["Statement"][0]["Resource"])} == buckets
    for role, document in world.identity.items():
        for s in document["Statement"]:
            for action in as_list(s["Action"]):
                for resource in as_list(s["Resource"]):
                    if not action.startswith("s3:") or action == "s3:ListBucket":
                        continue
                    request = Request(
                        action, resource.replace("*", "o/i"), context(world.roles[role], via_endpoint=True)
                    )
                    assert evaluate(endpoint_policy, request).allowed, (role, action, resource)


def test_the_processor_may_list_only_under_each_buckets_prefix(world: World) -> None:
    """ListBucket lets HeadObject of a missing object answer 404 (an answer) rather than 403 (a refusal)."""
    for bucket, prefix in (("ingest", "ingest/"), ("vault", "documents/")):
        for asked, allowed in ((f"{prefix}o/i", True), ("", False), ("other/", False)):
            request = Request(
                "s3:ListBucket",
                world.buckets[bucket],
                {**context(world.roles["ingest-processor"], via_endpoint=True), "s3:prefix": asked},
            )
            assert evaluate(world.identity["ingest-processor"], request).allowed is allowed, (bucket, asked)
            assert evaluate(world.endpoint, request).allowed
            assert not evaluate(world.bucket_policies[bucket], request).explicitly_denied
