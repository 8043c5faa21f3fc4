"""What the upload leaves in S3 and in the logs: the original requirement's end-to-end check.

Encryption and checksum are checked against the emulator locally and against the real bucket when
deployed; the log check needs CloudWatch Logs, so it runs against a deployed stack only.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e import samples
from tests.e2e.assertions import REQUEST_ID_HEADER

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from tests.e2e.targets import ApiClient, Target

LOG_WAIT_SECONDS = 120.0
LOG_POLL_SECONDS = 5.0


def _s3(target: Target) -> S3Client:
    if target.deployed:
        return boto3.client("s3", region_name=target.region)
    return boto3.client(
        "s3",
        endpoint_url=target.s3_endpoint_url,
        region_name=target.region,
        aws_access_key_id="local-mode",
        aws_secret_access_key="local-mode",
    )


def _object_entry(s3: S3Client, bucket: str, document_id: str) -> dict[str, Any]:
    """The listing entry of the object holding ``document_id`` (the key's owner part is the service's)."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix="documents/"):
        for entry in page.get("Contents", []):
            if entry["Key"].endswith(f"/{document_id}"):
                return dict(entry)
    raise AssertionError(f"no object for document {document_id} under documents/ in {bucket}")


@pytest.fixture
def stored(target: Target, alice: ApiClient) -> tuple[dict[str, Any], bytes, str]:
    """A PDF uploaded through the API: (its listing entry, its bytes, the API request id)."""
    sample = samples.pdf(pages=2)
    created = alice.upload(sample.data, sample.content_type)
    assert created.status_code == 201, created.text
    entry = _object_entry(_s3(target), target.bucket, created.json()["id"])
    return entry, sample.data, created.headers[REQUEST_ID_HEADER]


def test_object_key_never_contains_the_client_filename_or_identity(
    stored: tuple[dict[str, Any], bytes, str],
) -> None:
    entry, _, _ = stored
    prefix, owner, document_id = entry["Key"].split("/")
    assert prefix == "documents"
    assert len(owner) >= 32
    assert all(c in "0123456789abcdef" for c in owner)
    assert len(document_id) == 32


def test_object_is_stored_with_its_sha256_checksum(stored: tuple[dict[str, Any], bytes, str]) -> None:
    entry, data, _ = stored
    assert entry["ChecksumAlgorithm"] == ["SHA256"]
    assert entry["Size"] == len(data)


def test_object_is_encrypted_and_its_checksum_matches(
    target: Target, stored: tuple[dict[str, Any], bytes, str]
) -> None:
    entry, data, _ = stored
    try:
        head = _s3(target).head_object(Bucket=target.bucket, Key=entry["Key"], ChecksumMode="ENABLED")
    except ClientError as error:
        if error.response["Error"]["Code"] in ("403", "AccessDenied"):
            pytest.skip(
                "the bucket policy lets only the Lambda role read objects (through the VPC endpoint); "
                "run as a configured break-glass principal to check object encryption directly"
            )
        raise
    assert head["ServerSideEncryption"] == target.sse_algorithm
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_bucket_default_encryption_is_sse_s3(target: Target) -> None:
    rules = _s3(target).get_bucket_encryption(Bucket=target.bucket)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    algorithms = {rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules}
    assert algorithms <= {"AES256", "aws:kms"}
    if not target.deployed:
        assert algorithms == {"AES256"}


def test_upload_appears_in_the_lambda_log_group(
    deployed: Target, stored: tuple[dict[str, Any], bytes, str]
) -> None:
    _, _, request_id = stored
    logs = boto3.client("logs", region_name=deployed.region)
    assert deployed.log_group is not None
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    start_ms = int((time.time() - 600) * 1000)
    while True:
        events = logs.filter_log_events(
            logGroupName=deployed.log_group, startTime=start_ms, filterPattern=f'"{request_id}"'
        )["events"]
        if events:
            break
        assert time.monotonic() < deadline, (
            f"request {request_id} not in {deployed.log_group} after {LOG_WAIT_SECONDS}s"
        )
        time.sleep(LOG_POLL_SECONDS)
    assert any("Document stored" in event["message"] for event in events)
