"""The policy builders, called directly: every statement's effect, actions, resources, conditions."""

from __future__ import annotations

from lib import policies
from tests.unit.infra.conftest import as_list, statement

BUCKET = "arn:aws:s3:::docs-dev-123456789012-us-east-1"
LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/doc-processor-dev"
ROLE = "arn:aws:iam::123456789012:role/doc-processor-dev-lambda"
BREAK_GLASS = "arn:aws:iam::123456789012:role/BreakGlass"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/doc-processor-dev-catalogue"
INDEX = f"{TABLE}/index/byType"
RECONCILER = "arn:aws:iam::123456789012:role/doc-reconciler-dev-lambda"
RECONCILER_LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/doc-reconciler-dev"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:doc-reconciler-dev-failures"


def api_policy(region: str = "us-east-1", kms_key_arn: str | None = None) -> policies.PolicyDocument:
    return policies.lambda_role_policy(
        bucket_arn=BUCKET,
        log_group_arn=LOG_GROUP,
        catalogue_table_arn=TABLE,
        region=region,
        kms_key_arn=kms_key_arn,
    )


def reconciler_policy(region: str = "us-east-1", kms_key_arn: str | None = None) -> policies.PolicyDocument:
    return policies.reconciler_role_policy(
        bucket_arn=BUCKET,
        log_group_arn=RECONCILER_LOGS,
        catalogue_table_arn=TABLE,
        failure_queue_arn=QUEUE,
        region=region,
        kms_key_arn=kms_key_arn,
    )


def actions_by_sid(document: policies.PolicyDocument) -> dict[str, list[str]]:
    return {s["Sid"]: sorted(as_list(s["Action"])) for s in document["Statement"]}


def test_lambda_role_policy_allows_exactly_the_service_calls_on_its_prefix() -> None:
    document = api_policy()

    objects = statement(document, "DocumentObjects")
    assert objects["Effect"] == "Allow"
    assert sorted(as_list(objects["Action"])) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert as_list(objects["Resource"]) == [f"{BUCKET}/documents/*"]
    listing = statement(document, "ListDocuments")
    assert as_list(listing["Action"]) == ["s3:ListBucket"]
    assert as_list(listing["Resource"]) == [BUCKET]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "documents/*"}}


def test_lambda_role_policy_writes_only_its_own_log_group() -> None:
    document = api_policy()

    logs = statement(document, "WriteOwnLogs")
    assert sorted(as_list(logs["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert as_list(logs["Resource"]) == [f"{LOG_GROUP}:*"]


def test_lambda_role_policy_uses_star_only_for_actions_without_resource_types() -> None:
    document = api_policy()

    star_statements = [s for s in document["Statement"] if "*" in as_list(s["Resource"])]
    assert {s["Sid"] for s in star_statements} == {"VpcNetworkInterfaces", "XRayTraces"}
    star_actions = {action for s in star_statements for action in as_list(s["Action"])}
    assert all(action.startswith(("ec2:", "xray:")) for action in star_actions)
    assert "ec2:CreateNetworkInterface" in star_actions
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= star_actions
    assert all(s["Effect"] == "Allow" for s in document["Statement"])
    assert not any(action.endswith("*") for s in document["Statement"] for action in as_list(s["Action"]))


def test_lambda_role_policy_has_no_kms_statement_in_sse_s3_mode() -> None:
    document = api_policy()

    assert not any(a.startswith("kms:") for s in document["Statement"] for a in as_list(s["Action"]))


def test_lambda_role_policy_uses_the_key_only_through_s3_in_kms_mode() -> None:
    document = api_policy(region="eu-west-1", kms_key_arn=KEY)

    kms = statement(document, "DocumentsKeyViaS3")
    assert kms["Effect"] == "Allow"
    assert sorted(as_list(kms["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert as_list(kms["Resource"]) == [KEY]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    table_key = statement(document, "CatalogueKeyViaDynamoDb")
    assert table_key["Effect"] == "Allow"
    assert sorted(as_list(table_key["Action"])) == [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    ]
    assert as_list(table_key["Resource"]) == [KEY]
    assert table_key["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}}
    kms_statements = [
        s for s in document["Statement"] if any(a.startswith("kms:") for a in as_list(s["Action"]))
    ]
    assert [s["Sid"] for s in kms_statements] == ["DocumentsKeyViaS3", "CatalogueKeyViaDynamoDb"]


def test_lambda_role_policy_lists_the_catalogue_item_actions_on_the_table_and_query_on_the_index() -> None:
    document = api_policy()

    items = statement(document, "CatalogueItems")
    assert items["Effect"] == "Allow"
    assert sorted(as_list(items["Action"])) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",  # upload sessions (Catalogue.get_session)
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert as_list(items["Resource"]) == [TABLE]
    query = statement(document, "CatalogueQuery")
    assert as_list(query["Action"]) == ["dynamodb:Query"]
    assert sorted(as_list(query["Resource"])) == [TABLE, INDEX]
    dynamodb = {a for s in document["Statement"] for a in as_list(s["Action"]) if a.startswith("dynamodb:")}
    # No scans, batch calls, transactions, table management, or wildcards.
    assert dynamodb == {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
    }
    assert "Condition" not in items
    assert "Condition" not in query


def test_reconciler_role_policy_reads_documents_writes_items_and_sends_failures_only() -> None:
    document = reconciler_policy()

    assert actions_by_sid(document) == {
        "ReadDocumentObjects": ["s3:GetObject"],
        "ListDocuments": ["s3:ListBucket"],
        "CatalogueItems": ["dynamodb:DeleteItem", "dynamodb:PutItem"],
        "SendFailedEvents": ["sqs:SendMessage"],
        "WriteOwnLogs": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "VpcNetworkInterfaces": sorted(policies.VPC_ACCESS_ACTIONS),
        "XRayTraces": sorted(policies.XRAY_ACTIONS),
    }
    resources = {s["Sid"]: as_list(s["Resource"]) for s in document["Statement"]}
    assert resources["ReadDocumentObjects"] == [f"{BUCKET}/documents/*"]
    assert resources["ListDocuments"] == [BUCKET]
    assert statement(document, "ListDocuments")["Condition"] == {"StringLike": {"s3:prefix": "documents/*"}}
    assert resources["CatalogueItems"] == [TABLE]
    assert resources["SendFailedEvents"] == [QUEUE]
    assert resources["WriteOwnLogs"] == [f"{RECONCILER_LOGS}:*"]
    assert all(s["Effect"] == "Allow" for s in document["Statement"])


def test_reconciler_role_policy_uses_the_key_only_through_each_service_in_kms_mode() -> None:
    assert not any(
        a.startswith("kms:") for s in reconciler_policy()["Statement"] for a in as_list(s["Action"])
    )
    document = reconciler_policy(region="eu-west-1", kms_key_arn=KEY)

    kms = {
        s["Sid"]: (sorted(as_list(s["Action"])), s["Condition"]["StringEquals"]["kms:ViaService"])
        for s in document["Statement"]
        if any(a.startswith("kms:") for a in as_list(s["Action"]))
    }
    assert kms == {
        "DocumentsKeyViaS3": (["kms:Decrypt"], "s3.eu-west-1.amazonaws.com"),
        "CatalogueKeyViaDynamoDb": (
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            "dynamodb.eu-west-1.amazonaws.com",
        ),
        "FailureQueueKeyViaSqs": (["kms:Decrypt", "kms:GenerateDataKey"], "sqs.eu-west-1.amazonaws.com"),
    }
    assert all(as_list(s["Resource"]) == [KEY] for s in document["Statement"] if s["Sid"] in kms)


def test_dynamodb_endpoint_policy_reaches_only_the_catalogue_for_our_account() -> None:
    document = policies.dynamodb_endpoint_policy(catalogue_table_arn=TABLE, account_id="123456789012")

    (only,) = document["Statement"]
    assert (only["Effect"], only["Principal"]) == ("Allow", "*")
    assert sorted(only["Resource"]) == [TABLE, INDEX]
    # Exactly the union of what the three roles may do: nothing the functions never call.
    assert sorted(only["Action"]) == sorted(
        {
            *policies.CATALOGUE_ITEM_ACTIONS,
            *policies.CATALOGUE_QUERY_ACTIONS,
            *policies.RECONCILER_ITEM_ACTIONS,
            *policies.PROCESSOR_ITEM_ACTIONS,
        }
    )
    assert sorted(only["Action"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]
    assert only["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}


def test_documents_bucket_policy_lets_the_reconciler_read_and_nothing_else() -> None:
    document = policies.documents_bucket_policy(
        bucket_arn=BUCKET,
        vpc_endpoint_id="vpce-1",
        lambda_role_arn=ROLE,
        reconciler_role_arn=RECONCILER,
        break_glass_principal_arns=(BREAK_GLASS,),
    )

    principal = statement(document, "DenyDataAccessToOtherPrincipals")
    assert principal["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [ROLE, RECONCILER, BREAK_GLASS]}}
    # Every other property of the principal deny stays: all data-plane actions, both resources.
    assert principal["Action"] == list(policies.DATA_PLANE_ACTIONS)
    assert sorted(principal["Resource"]) == [BUCKET, f"{BUCKET}/*"]
    writes = statement(document, "DenyReconcilerWrites")
    assert (writes["Effect"], writes["Principal"]) == ("Deny", "*")
    assert sorted(writes["Resource"]) == [BUCKET, f"{BUCKET}/*"]
    assert writes["Condition"] == {"ArnEquals": {"aws:PrincipalArn": RECONCILER}}
    assert set(writes["Action"]) == set(policies.DATA_PLANE_ACTIONS) - {"s3:GetObject"}
    assert {"s3:PutObject", "s3:DeleteObject", "s3:ReplicateObject"} <= set(writes["Action"])
    # The endpoint deny is untouched: the reconciler reads through the endpoint like the API.
    endpoint = statement(document, "DenyDataAccessOutsideVpcEndpoint")
    assert endpoint["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": "vpce-1"},
        "ArnNotEquals": {"aws:PrincipalArn": [BREAK_GLASS]},
    }
    assert [s["Effect"] for s in document["Statement"]] == ["Deny"] * 5


def test_documents_bucket_policy_denies_plaintext_and_old_tls_for_everything() -> None:
    document = policies.documents_bucket_policy(
        bucket_arn=BUCKET, vpc_endpoint_id="vpce-1", lambda_role_arn=ROLE
    )

    for sid, condition in [
        ("DenyInsecureTransport", {"Bool": {"aws:SecureTransport": "false"}}),
        ("DenyOutdatedTls", {"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
    ]:
        deny = statement(document, sid)
        assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
        assert sorted(deny["Resource"]) == [BUCKET, f"{BUCKET}/*"]
        assert deny["Condition"] == condition


def test_documents_bucket_policy_confines_data_plane_to_the_role_through_the_endpoint() -> None:
    document = policies.documents_bucket_policy(
        bucket_arn=BUCKET, vpc_endpoint_id="vpce-1", lambda_role_arn=ROLE
    )

    endpoint = statement(document, "DenyDataAccessOutsideVpcEndpoint")
    principal = statement(document, "DenyDataAccessToOtherPrincipals")
    for deny in (endpoint, principal):
        assert (deny["Effect"], deny["Principal"]) == ("Deny", "*")
        assert sorted(deny["Resource"]) == [BUCKET, f"{BUCKET}/*"]
        actions = set(deny["Action"])
        assert {
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:GetObjectVersion",
            "s3:DeleteObjectVersion",
            "s3:ListBucketVersions",
            # Replication copies content: a replication role must not read documents out.
            "s3:GetObjectVersionForReplication",
        } <= actions
        # HeadBucket (the provider's existence check) is authorised by s3:ListBucket.
        assert "s3:ListBucket" not in actions
        # Data plane only: management actions stay available to the deployer.
        assert not actions & {"s3:*", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetBucketPolicy"}
    assert endpoint["Condition"] == {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}
    assert principal["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [ROLE]}}
    assert [s["Effect"] for s in document["Statement"]] == ["Deny"] * 4


def test_documents_bucket_policy_lets_break_glass_principals_in_from_anywhere() -> None:
    document = policies.documents_bucket_policy(
        bucket_arn=BUCKET,
        vpc_endpoint_id="vpce-1",
        lambda_role_arn=ROLE,
        break_glass_principal_arns=(BREAK_GLASS,),
    )

    endpoint = statement(document, "DenyDataAccessOutsideVpcEndpoint")
    assert endpoint["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": "vpce-1"},
        "ArnNotEquals": {"aws:PrincipalArn": [BREAK_GLASS]},
    }
    principal = statement(document, "DenyDataAccessToOtherPrincipals")
    assert principal["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [ROLE, BREAK_GLASS]}}


def test_access_logs_bucket_policy_admits_only_s3_log_delivery_for_our_bucket() -> None:
    logs = "arn:aws:s3:::docs-dev-logs"
    document = policies.access_logs_bucket_policy(
        bucket_arn=logs, log_prefix="p/", source_bucket_arn=BUCKET, account_id="123456789012"
    )

    allow = statement(document, "AllowS3ServerAccessLogDelivery")
    assert allow["Effect"] == "Allow"
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert as_list(allow["Action"]) == ["s3:PutObject"]
    assert as_list(allow["Resource"]) == [f"{logs}/p/*"]
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": BUCKET},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    deny = statement(document, "DenyInsecureTransport")
    assert (deny["Effect"], deny["Principal"], deny["Condition"]) == (
        "Deny",
        "*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    assert [s for s in document["Statement"] if s["Effect"] == "Allow"] == [allow]


def test_s3_endpoint_policy_reaches_only_our_buckets_for_our_account() -> None:
    other = "arn:aws:s3:::docs-dev-logs"
    document = policies.s3_endpoint_policy(bucket_arns=(BUCKET, other), account_id="123456789012")

    (only,) = document["Statement"]
    assert only["Effect"] == "Allow"
    assert sorted(only["Resource"]) == sorted([BUCKET, f"{BUCKET}/*", other, f"{other}/*"])
    assert sorted(only["Action"]) == [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    ]
    assert only["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}


def test_service_trust_policies() -> None:
    plain = policies.service_assume_role_policy("lambda.amazonaws.com")
    assert plain["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    scoped = policies.service_assume_role_policy(
        "vpc-flow-logs.amazonaws.com", source_account="123456789012", source_arn_like="arn:aws:ec2:*"
    )
    assert scoped["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:*"},
    }


def test_auditor_trusts_the_account_with_mfa_by_default() -> None:
    document = policies.auditor_trust_policy(partition="aws-cn", account_id="123456789012", principal_arns=())

    (trust,) = document["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws-cn:iam::123456789012:root"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_auditor_trusts_exactly_the_configured_principals() -> None:
    document = policies.auditor_trust_policy(partition="aws", account_id="1", principal_arns=(BREAK_GLASS,))

    assert document["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": [BREAK_GLASS]}, "Action": "sts:AssumeRole"}
    ]


def test_auditor_reads_only_the_lambda_log_events() -> None:
    document = policies.auditor_policy(log_group_arn=LOG_GROUP)

    (read,) = document["Statement"]
    assert read["Effect"] == "Allow"
    assert sorted(read["Action"]) == ["logs:FilterLogEvents", "logs:GetLogEvents"]
    assert sorted(read["Resource"]) == [LOG_GROUP, f"{LOG_GROUP}:log-stream:*"]


def test_flow_log_delivery_writes_only_its_group() -> None:
    document = policies.flow_log_delivery_policy(log_group_arn=LOG_GROUP)

    (write,) = document["Statement"]
    assert sorted(write["Resource"]) == [LOG_GROUP, f"{LOG_GROUP}:*"]
    assert all(action.startswith("logs:") and "*" not in action for action in write["Action"])


def test_kms_key_policy_scopes_service_use() -> None:
    document = policies.kms_key_policy(partition="aws", account_id="123456789012", region="us-east-1")

    admin = statement(document, "AccountAdministersViaIam")
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    logs = statement(document, "CloudWatchLogsEncryption")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}
    }
    alarms = statement(document, "CloudWatchAlarmsPublishEncrypted")
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(alarms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_alarm_topic_policy_admits_cloudwatch_of_this_account_over_tls() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:alarms"
    document = policies.alarm_topic_policy(topic_arn=topic, account_id="123456789012")

    publish = statement(document, "CloudWatchAlarmsPublish")
    assert (publish["Effect"], publish["Principal"], publish["Action"], publish["Resource"]) == (
        "Allow",
        {"Service": "cloudwatch.amazonaws.com"},
        "sns:Publish",
        topic,
    )
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    deny = statement(document, "DenyInsecureTransport")
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
