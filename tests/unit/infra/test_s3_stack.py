"""S3Stack in the synthesized default stack: both buckets private, encrypted, versioned, logged; policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lib.policies import DATA_PLANE_ACTIONS
from lib.s3_stack import ACCESS_LOG_PREFIX
from tests.unit.infra.conftest import of_type, one, policy_of, statement
from tests.unit.infra.synth import MOCK_ACCOUNT_ID

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

BUCKET = "aws:s3/bucket:Bucket"
DOCUMENTS = "tap-storage-documents"
LOGS = "tap-storage-access-logs"


def bucket_side(
    resources: list[CapturedResource], type_token: str, bucket: CapturedResource
) -> CapturedResource:
    (side,) = [r for r in of_type(resources, type_token) if r.inputs["bucket"] == bucket.id]
    return side


def test_bucket_names_are_derived_from_environment_account_and_region(
    resources: list[CapturedResource],
) -> None:
    assert one(resources, BUCKET, DOCUMENTS).id == f"docs-dev-{MOCK_ACCOUNT_ID}-us-east-1"
    assert one(resources, BUCKET, LOGS).id == f"docs-dev-logs-{MOCK_ACCOUNT_ID}-us-east-1"
    assert all(b.inputs["forceDestroy"] is False for b in of_type(resources, BUCKET))


@pytest.mark.parametrize("name", [DOCUMENTS, LOGS])
def test_each_bucket_is_private_versioned_encrypted_and_acl_free(
    resources: list[CapturedResource], name: str
) -> None:
    bucket = one(resources, BUCKET, name)

    block = bucket_side(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block.inputs[flag] is True for flag in flags)
    ownership = bucket_side(resources, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket)
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = bucket_side(resources, "aws:s3/bucketVersioning:BucketVersioning", bucket)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    encryption = bucket_side(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        bucket,
    )
    (rule,) = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_documents_bucket_logs_to_the_access_log_bucket(resources: list[CapturedResource]) -> None:
    documents, logs = one(resources, BUCKET, DOCUMENTS), one(resources, BUCKET, LOGS)

    logging = bucket_side(resources, "aws:s3/bucketLogging:BucketLogging", documents)
    assert logging.inputs["targetBucket"] == logs.id
    assert logging.inputs["targetPrefix"] == ACCESS_LOG_PREFIX
    logs_policy = one(resources, "aws:s3/bucketPolicy:BucketPolicy", "tap-storage-access-logs-policy")
    assert logs_policy.urn in logging.dependencies


def test_lifecycle_rules_expire_old_versions_logs_and_abandoned_uploads(
    resources: list[CapturedResource],
) -> None:
    lifecycle = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    documents_rules = {
        r["id"]: r
        for r in bucket_side(resources, lifecycle, one(resources, BUCKET, DOCUMENTS)).inputs["rules"]
    }
    logs_rules = {
        r["id"]: r for r in bucket_side(resources, lifecycle, one(resources, BUCKET, LOGS)).inputs["rules"]
    }

    assert all(rule["status"] == "Enabled" for rule in [*documents_rules.values(), *logs_rules.values()])
    noncurrent = documents_rules["expire-noncurrent-versions"]
    assert noncurrent["noncurrentVersionExpiration"]["noncurrentDays"] == 90
    assert noncurrent["expiration"]["expiredObjectDeleteMarker"] is True
    assert "days" not in noncurrent["expiration"], "current documents must never expire"
    assert logs_rules["expire-access-logs"]["expiration"]["days"] == 365
    for rules in (documents_rules, logs_rules):
        abort = rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"]
        assert abort["daysAfterInitiation"] == 7


def test_documents_bucket_policy_is_wired_to_the_real_bucket_endpoint_and_role(
    resources: list[CapturedResource],
) -> None:
    documents = one(resources, BUCKET, DOCUMENTS)
    endpoint = one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint", "tap-networking-s3-endpoint")
    role = one(resources, "aws:iam/role:Role", "tap-compute-role")
    reconciler = one(resources, "aws:iam/role:Role", "tap-catalogue-reconciler-role")
    processor = one(resources, "aws:iam/role:Role", "tap-ingest-processor-role")
    bucket_policy = one(resources, "aws:s3/bucketPolicy:BucketPolicy", "tap-storage-documents-policy")

    assert bucket_policy.inputs["bucket"] == documents.id
    document = policy_of(bucket_policy)
    arn = documents.state["arn"]
    assert all(sorted(s["Resource"]) == [arn, f"{arn}/*"] for s in document["Statement"])
    assert all(s["Effect"] == "Deny" for s in document["Statement"])
    outside = statement(document, "DenyDataAccessOutsideVpcEndpoint")
    assert outside["Condition"] == {"StringNotEquals": {"aws:SourceVpce": endpoint.id}}
    # GetObject alone leaves the endpoint-only deny: the API role's presigned 303 downloads.
    assert sorted(outside["Action"]) == sorted(set(DATA_PLANE_ACTIONS) - {"s3:GetObject"})
    others = statement(document, "DenyDataAccessToOtherPrincipals")
    # The bucket policy names the roles by their deterministic ARNs: they must be the real ones.
    assert others["Condition"] == {
        "ArnNotEquals": {
            "aws:PrincipalArn": [role.state["arn"], reconciler.state["arn"], processor.state["arn"]]
        }
    }
    assert sorted(others["Action"]) == sorted(DATA_PLANE_ACTIONS)
    reconciler_writes = statement(document, "DenyReconcilerWrites")
    assert reconciler_writes["Condition"] == {"ArnEquals": {"aws:PrincipalArn": reconciler.state["arn"]}}
    assert sorted(reconciler_writes["Action"]) == sorted(set(DATA_PLANE_ACTIONS) - {"s3:GetObject"})
    processor_limit = statement(document, "DenyProcessorAllButCopiesIn")
    assert processor_limit["Condition"] == {"ArnEquals": {"aws:PrincipalArn": processor.state["arn"]}}
    assert sorted(processor_limit["Action"]) == sorted(
        set(DATA_PLANE_ACTIONS) - {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}
    )
    downloads = [s for s in document["Statement"] if s["Sid"].startswith("DenyDownloadsOutsideVpcEndpoint")]
    assert len(downloads) == 4
    assert all(s["Action"] == "s3:GetObject" for s in downloads)
    signer = statement(document, "DenyDownloadsOutsideVpcEndpointUnlessSignedByApiRole")
    assert signer["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": [role.state["arn"]]}
    assert len(document["Statement"]) == 10
    assert statement(document, "DenyInsecureTransport")["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert statement(document, "DenyOutdatedTls")["Condition"] == {
        "NumericLessThan": {"s3:TlsVersion": "1.2"}
    }
    block = bucket_side(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", documents)
    assert block.urn in bucket_policy.dependencies


def test_access_log_bucket_policy_admits_log_delivery_for_the_documents_bucket_only(
    resources: list[CapturedResource],
) -> None:
    documents, logs = one(resources, BUCKET, DOCUMENTS), one(resources, BUCKET, LOGS)
    logs_policy = one(resources, "aws:s3/bucketPolicy:BucketPolicy", "tap-storage-access-logs-policy")

    assert logs_policy.inputs["bucket"] == logs.id
    allow = statement(policy_of(logs_policy), "AllowS3ServerAccessLogDelivery")
    assert allow["Resource"] == f"{logs.state['arn']}/{ACCESS_LOG_PREFIX}*"
    assert allow["Condition"]["ArnLike"] == {"aws:SourceArn": documents.state["arn"]}
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": MOCK_ACCOUNT_ID}
