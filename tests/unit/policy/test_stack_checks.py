"""The cross-resource checks' other failure modes, on small hand-built stacks (the real stack's shapes
are covered in ``test_stack_policies``): what each reports when a piece is missing altogether."""

from __future__ import annotations

import json
from typing import Any

from policy.guardrails import iam, network, s3
from tests.unit.policy.harness import policy_resource

ACCOUNT = "123456789012"
BUCKET = "docs-dev-123456789012-us-east-1"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/doc-processor-dev-lambda"
LOG_GROUP = "/aws/lambda/doc-processor-dev"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{LOG_GROUP}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def lambda_stack(*, role_policy: str, trust: str | None = None) -> list[Any]:
    """A function, its role (with ``role_policy``), its bucket and its log group."""
    trust = trust or doc(
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    return [
        policy_resource(
            "aws:s3/bucket:Bucket", {"id": BUCKET, "bucket": BUCKET, "arn": BUCKET_ARN}, name="docs"
        ),
        policy_resource(
            "aws:cloudwatch/logGroup:LogGroup",
            {"id": LOG_GROUP, "name": LOG_GROUP, "arn": LOG_GROUP_ARN},
            name="logs",
        ),
        policy_resource(
            "aws:iam/role:Role",
            {
                "id": "doc-processor-dev-lambda",
                "arn": ROLE_ARN,
                "name": "doc-processor-dev-lambda",
                "assumeRolePolicy": trust,
            },
            name="role",
        ),
        policy_resource(
            "aws:iam/rolePolicy:RolePolicy",
            {"role": "doc-processor-dev-lambda", "policy": role_policy},
            name="policy",
        ),
        policy_resource(
            "aws:lambda/function:Function",
            {"id": "doc-processor-dev", "role": ROLE_ARN, "loggingConfig": {"logGroup": LOG_GROUP}},
            name="function",
        ),
    ]


def test_documents_policy_with_only_the_tls_deny_misses_denies_2_and_3() -> None:
    tls_only = doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    stack = [
        policy_resource(
            "aws:s3/bucket:Bucket", {"id": BUCKET, "bucket": BUCKET, "arn": BUCKET_ARN}, name="docs"
        ),
        policy_resource(
            "aws:s3/bucketPolicy:BucketPolicy", {"bucket": BUCKET, "policy": tls_only}, name="docs-policy"
        ),
    ]

    problems = [finding.message.split(": ", 1)[1] for finding in s3.documents_bucket_policy_findings(stack)]

    assert [p.split(":")[0] for p in problems] == ["deny #1 missing", "deny #2 missing", "deny #3 missing"]
    assert "s3:TlsVersion is NumericLessThan '1.2'" in problems[0]


def test_data_bucket_without_any_policy_is_reported() -> None:
    stack = [
        policy_resource(
            "aws:s3/bucket:Bucket", {"id": BUCKET, "bucket": BUCKET, "arn": BUCKET_ARN}, name="docs"
        )
    ]

    findings = s3.documents_bucket_policy_findings(stack)

    assert [f.message for f in findings] == [
        "bucket 'docs' (aws:s3/bucket:Bucket): S3.5 / data-plane denies: the bucket has no policy; add "
        "aws.s3.BucketPolicy with the TLS, endpoint and principal denies."
    ]
    assert findings[0].urn == stack[0].urn


def test_s3_endpoint_without_a_policy_reaches_every_bucket() -> None:
    endpoint = policy_resource(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        {"id": "vpce-1", "serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway"},
        name="s3",
    )

    findings = network.endpoint_policy_findings([endpoint])

    assert len(findings) == 1
    assert "has no policy, so it reaches every bucket in every account" in findings[0].message


def test_lambda_role_trusting_an_account_is_reported() -> None:
    trust = doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    )
    policy = doc(
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": f"{LOG_GROUP_ARN}:*"}
    )

    findings = iam.lambda_role_findings(lambda_stack(role_policy=policy, trust=trust))

    assert [f.message.split(": ", 1)[1] for f in findings] == [
        "its trust policy must allow only the 'lambda.amazonaws.com' service principal."
    ]


def test_lambda_role_listing_without_prefix_and_logging_elsewhere_is_reported() -> None:
    policy = doc(
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET_ARN},
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": "logs:PutLogEvents",
            "Resource": "arn:aws:logs:us-east-1:1:log-group:other:*",
        },
    )

    problems = [
        f.message.split(": ", 1)[1] for f in iam.lambda_role_findings(lambda_stack(role_policy=policy))
    ]

    assert problems == [
        "statement 'List' allows s3:ListBucket without a condition; add StringLike s3:prefix.",
        "statement 'Logs' grants log actions on 'arn:aws:logs:us-east-1:1:log-group:other:*'; the "
        f"function may write only to its own log group {LOG_GROUP_ARN!r}.",
    ]


def test_stack_without_an_auditor_role_is_reported() -> None:
    policy = doc(
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": f"{LOG_GROUP_ARN}:*"}
    )

    findings = iam.auditor_findings(lambda_stack(role_policy=policy))

    assert [f.message.split(":")[0] for f in findings] == ["no Auditor role"]
    assert findings[0].urn is None
