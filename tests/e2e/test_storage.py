"""What the upload leaves in S3 and in the logs: the original requirement's end-to-end check.

Encryption and checksum are checked against the emulator locally and against the real bucket when
deployed; the log line is read from local mode's stdout locally and from CloudWatch Logs when deployed.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e import samples
from tests.e2e.assertions import REQUEST_ID_HEADER
from tests.e2e.function_logs import access_entry, log_lines
from tests.e2e.targets import s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from tests.e2e.targets import ApiClient, Target


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
    entry = _object_entry(s3_client(target), target.bucket, created.json()["id"])
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
        head = s3_client(target).head_object(Bucket=target.bucket, Key=entry["Key"], ChecksumMode="ENABLED")
    except ClientError as error:
        if error.response["Error"]["Code"] in ("403", "AccessDenied"):
            pytest.skip(
                "the bucket policy lets only the Lambda role read objects (through the VPC endpoint); "
                "run as a configured break-glass principal to check object encryption directly"
            )
        raise
    assert head["ServerSideEncryption"] == target.sse_algorithm
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_bucket_default_encryption_is_the_stacks_mode(target: Target) -> None:
    """SSE-S3 (``AES256``) by default and locally; ``aws:kms`` for a stack deployed in KMS mode."""
    rules = s3_client(target).get_bucket_encryption(Bucket=target.bucket)[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    algorithms = {rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules}
    assert algorithms == {target.sse_algorithm}


def test_upload_appears_in_the_function_log_without_its_content(target: Target, alice: ApiClient) -> None:
    """The original requirement's last check: the request is visible in the function's logs.

    Deployed, the line is searched in the Lambda log group (CloudWatch Logs); locally, in local
    mode's stdout, where the same handler writes the same line.
    """
    marker = f"e2e-log-marker-{uuid.uuid4().hex}"
    created = alice.upload(f"{marker}\n".encode(), "text/plain")
    assert created.status_code == 201, created.text
    request_id = created.headers[REQUEST_ID_HEADER]

    lines = log_lines(target, request_id)

    entries = [entry for line in lines if (entry := access_entry(line, request_id))]
    assert len(entries) == 1, f"request {request_id}: expected one access line, found {lines}"
    entry = entries[0]
    assert (entry["method"], entry["route"], entry["status"]) == ("POST", "/documents", 201)
    assert entry["documentId"] == created.json()["id"]
    assert entry["DocumentsStored"] == 1
    assert all(marker not in line for line in lines)
