"""The emulated bucket carries the deployed bucket's encryption, versioning and access settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from local_mode.emulator import S3Emulator
from local_mode.errors import LocalModeError
from local_mode.server import handler_environment, prepare_environment

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def emulator() -> Iterator[S3Emulator]:
    with S3Emulator(bucket="emulator-test-bucket") as running:
        yield running


def test_endpoint_is_on_loopback(emulator: S3Emulator) -> None:
    assert emulator.endpoint_url.startswith("http://127.0.0.1:")


def test_bucket_has_sse_s3_default_encryption(emulator: S3Emulator) -> None:
    rules = emulator.client().get_bucket_encryption(Bucket=emulator.bucket)[
        "ServerSideEncryptionConfiguration"
    ]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_is_versioned(emulator: S3Emulator) -> None:
    assert emulator.client().get_bucket_versioning(Bucket=emulator.bucket)["Status"] == "Enabled"


def test_bucket_blocks_all_public_access(emulator: S3Emulator) -> None:
    block = emulator.client().get_public_access_block(Bucket=emulator.bucket)[
        "PublicAccessBlockConfiguration"
    ]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_bucket_disables_acls(emulator: S3Emulator) -> None:
    controls = emulator.client().get_bucket_ownership_controls(Bucket=emulator.bucket)["OwnershipControls"]
    assert controls["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_objects_are_stored_encrypted(emulator: S3Emulator) -> None:
    client = emulator.client()
    client.put_object(Bucket=emulator.bucket, Key="documents/probe", Body=b"x")
    assert (
        client.head_object(Bucket=emulator.bucket, Key="documents/probe")["ServerSideEncryption"] == "AES256"
    )


def test_handler_environment_points_at_the_emulator_with_fake_credentials(emulator: S3Emulator) -> None:
    environ = {
        "AWS_PROFILE": "production",
        "AWS_SESSION_TOKEN": "real",
        "MAX_DOCUMENT_BYTES": "100",
        "OWNER_SCOPE": "session",
    }
    prepare_environment(environ, emulator)
    assert environ["AWS_ENDPOINT_URL_S3"] == emulator.endpoint_url
    assert environ["DOCUMENTS_BUCKET"] == "emulator-test-bucket"
    assert environ["AWS_ACCESS_KEY_ID"] == "local-mode"
    assert "AWS_PROFILE" not in environ
    assert "AWS_SESSION_TOKEN" not in environ
    assert environ["MAX_DOCUMENT_BYTES"] == "100"
    assert environ["OWNER_SCOPE"] == "session"
    assert handler_environment(emulator).items() <= environ.items()


def test_a_stopped_emulator_has_no_endpoint() -> None:
    emulator = S3Emulator(bucket="stopped-bucket")
    with pytest.raises(LocalModeError, match="not running"):
        _ = emulator.endpoint_url
