"""The emulator: the bucket carries the deployed bucket's encryption, versioning and access settings; the
catalogue table has the deployed shape; the bucket's event notifications go to the event queue, in the
shape AWS sends them (including the DeleteMarkerCreated notification moto itself does not send)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.catalogue_schema import create_table_arguments
from local_mode.emulator import EVENT_MAX_RECEIVES, S3Emulator, create_documents_bucket, notify_queue
from local_mode.errors import LocalModeError
from local_mode.server import handler_environment, prepare_environment
from tests.unit.service.test_reconciler import created_event, delete_marker_event

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def emulator() -> Iterator[S3Emulator]:
    # moto's backends are process-wide: every emulator in one process needs names of its own.
    with S3Emulator(
        bucket="emulator-test-bucket",
        catalogue_table="emulator-test-table",
        events_queue="emulator-test-events",
    ) as running:
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
    assert environ["AWS_ENDPOINT_URL_DYNAMODB"] == emulator.endpoint_url
    assert environ["DOCUMENTS_BUCKET"] == "emulator-test-bucket"
    assert environ["CATALOGUE_TABLE"] == "emulator-test-table"
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


def test_catalogue_table_has_the_declared_shape(emulator: S3Emulator) -> None:
    table = emulator.dynamodb_client().describe_table(TableName=emulator.catalogue_table)["Table"]
    expected = create_table_arguments(emulator.catalogue_table)
    assert table["KeySchema"] == expected["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    [index] = table["GlobalSecondaryIndexes"]
    [declared] = expected["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["KeySchema"], index["Projection"]) == (
        declared["IndexName"],
        declared["KeySchema"],
        declared["Projection"],
    )


def test_bucket_notifies_the_event_queue_of_document_changes(emulator: S3Emulator) -> None:
    configuration = emulator.client().get_bucket_notification_configuration(Bucket=emulator.bucket)
    [queue] = configuration["QueueConfigurations"]
    sqs = emulator.sqs_client()
    arn = sqs.get_queue_attributes(QueueUrl=emulator.events_queue_url, AttributeNames=["QueueArn"])
    assert queue["QueueArn"] == arn["Attributes"]["QueueArn"]
    assert sorted(queue["Events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert queue["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "documents/"}]


def test_failed_events_move_to_the_failed_queue_after_lambdas_retries(emulator: S3Emulator) -> None:
    attributes = emulator.sqs_client().get_queue_attributes(
        QueueUrl=emulator.events_queue_url, AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    policy = json.loads(attributes["RedrivePolicy"])
    assert int(policy["maxReceiveCount"]) == EVENT_MAX_RECEIVES == 3  # the first delivery + 2 retries
    assert policy["deadLetterTargetArn"].endswith(f":{emulator.events_queue}-failed")


def drain(emulator: S3Emulator) -> list[dict[str, Any]]:
    sqs = emulator.sqs_client()
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=emulator.events_queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=emulator.events_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_puts_and_deletes_under_documents_are_notified_in_the_aws_shape(emulator: S3Emulator) -> None:
    client = emulator.client()
    drain(emulator)
    client.put_object(Bucket=emulator.bucket, Key="documents/owner/a b", Body=b"x")
    client.put_object(Bucket=emulator.bucket, Key="elsewhere/x", Body=b"x")
    marker = client.delete_object(Bucket=emulator.bucket, Key="documents/owner/a b")

    created, removed = (body["Records"][0] for body in drain(emulator) if "Records" in body)

    assert created["eventName"] == "ObjectCreated:Put"
    assert created["s3"]["object"]["key"] == "documents/owner/a+b"
    assert _shape(created) == _shape(created_event("k")["Records"][0])
    assert removed["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert removed["s3"]["object"]["key"] == "documents/owner/a+b"
    assert removed["s3"]["object"]["versionId"] == marker["VersionId"]
    assert removed["s3"]["bucket"]["name"] == emulator.bucket
    # Field for field the shape AWS documents for this event (no size or eTag on a delete).
    documented = delete_marker_event("k")["Records"][0]
    assert _shape(removed) == _shape(documented)


def _shape(value: object) -> object:
    """The nested key structure of a JSON value (its keys, recursively; leaves become their type)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return type(value).__name__


def test_deleting_a_missing_key_or_a_version_sends_no_delete_marker_event(emulator: S3Emulator) -> None:
    client = emulator.client()
    client.put_object(Bucket=emulator.bucket, Key="documents/owner/v", Body=b"x")
    drain(emulator)
    version = client.list_object_versions(Bucket=emulator.bucket, Prefix="documents/owner/v")["Versions"][0]
    client.delete_object(Bucket=emulator.bucket, Key="documents/owner/v", VersionId=version["VersionId"])
    client.delete_object(Bucket=emulator.bucket, Key="documents/owner/never-there")

    names = [body["Records"][0]["eventName"] for body in drain(emulator) if "Records" in body]

    assert "ObjectRemoved:DeleteMarkerCreated" not in names


def test_the_delete_marker_notification_is_added_only_while_an_emulator_runs() -> None:
    from moto.s3.models import S3Backend

    before = S3Backend.delete_object
    with S3Emulator(bucket="patch-test-bucket", catalogue_table="patch-test", events_queue="patch-test"):
        assert hasattr(S3Backend.delete_object, "__wrapped__")
    assert S3Backend.delete_object is before


def test_removing_a_delete_marker_restores_the_object_and_is_notified(emulator: S3Emulator) -> None:
    client = emulator.client()
    client.put_object(Bucket=emulator.bucket, Key="documents/owner/r", Body=b"x")
    marker = client.delete_object(Bucket=emulator.bucket, Key="documents/owner/r")
    drain(emulator)

    client.delete_object(Bucket=emulator.bucket, Key="documents/owner/r", VersionId=marker["VersionId"])

    assert client.head_object(Bucket=emulator.bucket, Key="documents/owner/r")["ContentLength"] == 1
    # The object's own version is still there, so S3 sends nothing (the key did not lose its last version).
    assert [body for body in drain(emulator) if "Records" in body] == []


def test_removing_the_last_version_when_it_is_a_delete_marker_is_notified(emulator: S3Emulator) -> None:
    client = emulator.client()
    client.put_object(Bucket=emulator.bucket, Key="documents/owner/m", Body=b"x")
    marker = client.delete_object(Bucket=emulator.bucket, Key="documents/owner/m")
    [version] = client.list_object_versions(Bucket=emulator.bucket, Prefix="documents/owner/m")["Versions"]
    client.delete_object(Bucket=emulator.bucket, Key="documents/owner/m", VersionId=version["VersionId"])
    drain(emulator)

    # moto alone fails this request once notifications are configured (it cannot describe a marker).
    client.delete_object(Bucket=emulator.bucket, Key="documents/owner/m", VersionId=marker["VersionId"])

    [body] = [body for body in drain(emulator) if "Records" in body]
    record = body["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["object"]["versionId"] == marker["VersionId"]


def test_other_buckets_in_the_same_moto_keep_motos_own_notifications(emulator: S3Emulator) -> None:
    # moto's backends are process-wide (an in-process mock_aws shares them): only the emulator's bucket
    # gets the completed notifications.
    client = emulator.client()
    other = "not-the-emulators-bucket"
    create_documents_bucket(client, other)
    arn = emulator.sqs_client().get_queue_attributes(
        QueueUrl=emulator.events_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    notify_queue(client, other, arn)
    drain(emulator)

    client.put_object(Bucket=other, Key="documents/owner/o", Body=b"x")
    client.delete_object(Bucket=other, Key="documents/owner/o")

    [record] = [body["Records"][0] for body in drain(emulator) if "Records" in body]
    assert record["eventName"] == "ObjectCreated:Put"
    assert "userIdentity" not in record
    assert record["s3"]["object"]["key"] == "documents%2Fowner%2Fo"
