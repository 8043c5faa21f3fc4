"""The emulator: the bucket carries the deployed bucket's encryption, versioning and access settings; the
ingest bucket its encryption, access settings and lifecycle; the catalogue table has the deployed shape;
each bucket's event notifications go to its event queue, in the shape and with the events AWS sends
(including the DeleteMarkerCreated notification moto itself does not send, and without the extra Put moto
sends for a completed multipart upload)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.catalogue_schema import create_table_arguments
from local_mode.emulator import (
    EVENT_MAX_RECEIVES,
    INGEST_NOTIFIED_EVENTS,
    S3Emulator,
    create_documents_bucket,
    create_ingest_bucket,
    notify_queue,
)
from local_mode.errors import LocalModeError
from local_mode.server import handler_environment, prepare_environment
from tests.unit.service.test_reconciler import created_event, delete_marker_event

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_sqs.literals import QueueAttributeFilterType


@pytest.fixture(scope="module")
def emulator() -> Iterator[S3Emulator]:
    # moto's backends are process-wide: every emulator in one process needs names of its own.
    with S3Emulator(
        bucket="emulator-test-bucket",
        catalogue_table="emulator-test-table",
        events_queue="emulator-test-events",
        ingest_bucket="emulator-test-ingest",
        ingest_events_queue="emulator-test-ingest-events",
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
        "MAX_UPLOAD_BYTES": "104857600",
        "OWNER_SCOPE": "session",
    }
    prepare_environment(environ, emulator)
    assert environ["AWS_ENDPOINT_URL_S3"] == emulator.endpoint_url
    assert environ["AWS_ENDPOINT_URL_DYNAMODB"] == emulator.endpoint_url
    assert environ["DOCUMENTS_BUCKET"] == "emulator-test-bucket"
    assert environ["CATALOGUE_TABLE"] == "emulator-test-table"
    assert environ["INGEST_BUCKET"] == "emulator-test-ingest"  # the API's and the processor's
    assert environ["AWS_ACCESS_KEY_ID"] == "local-mode"
    assert "AWS_PROFILE" not in environ
    assert "AWS_SESSION_TOKEN" not in environ
    assert environ["MAX_DOCUMENT_BYTES"] == "100"
    assert environ["MAX_UPLOAD_BYTES"] == "104857600"  # the user's limit reaches the API and the processor
    assert "MAX_UPLOAD_BYTES" not in handler_environment(emulator)
    assert environ["OWNER_SCOPE"] == "session"
    assert handler_environment(emulator).items() <= environ.items()


def test_a_stopped_emulator_has_no_endpoint_or_queues() -> None:
    emulator = S3Emulator(bucket="stopped-bucket")
    for attribute in ("endpoint_url", "events_queue_url", "ingest_events_queue_url"):
        with pytest.raises(LocalModeError, match="not running"):
            getattr(emulator, attribute)


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


def drain(emulator: S3Emulator, queue_url: str | None = None) -> list[dict[str, Any]]:
    """Every message body queued so far (default: the documents bucket's queue), removed."""
    sqs = emulator.sqs_client()
    url = queue_url or emulator.events_queue_url
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
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

    before = (S3Backend.delete_object, S3Backend.upload_part, S3Backend.complete_multipart_upload)
    with S3Emulator(
        bucket="patch-test-bucket",
        catalogue_table="patch-test",
        events_queue="patch-test",
        ingest_bucket="patch-test-ingest",
        ingest_events_queue="patch-test-ingest",
    ):
        assert hasattr(S3Backend.delete_object, "__wrapped__")
        assert hasattr(S3Backend.upload_part, "__wrapped__")
    assert (S3Backend.delete_object, S3Backend.upload_part, S3Backend.complete_multipart_upload) == before


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


# The ingest bucket (DESIGN §4.2): the quarantine large uploads go to, notifying the processor.


def test_ingest_bucket_has_the_vaults_encryption_access_block_and_ownership(emulator: S3Emulator) -> None:
    client = emulator.client()
    rules = client.get_bucket_encryption(Bucket=emulator.ingest_bucket)["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = client.get_public_access_block(Bucket=emulator.ingest_bucket)["PublicAccessBlockConfiguration"]
    assert set(block.values()) == {True}
    assert len(block) == 4
    controls = client.get_bucket_ownership_controls(Bucket=emulator.ingest_bucket)["OwnershipControls"]
    assert controls["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_ingest_bucket_is_not_versioned(emulator: S3Emulator) -> None:
    # A quarantine keeps no history: a deleted upload is gone, not a noncurrent version.
    assert "Status" not in emulator.client().get_bucket_versioning(Bucket=emulator.ingest_bucket)


def test_ingest_bucket_stores_the_deployed_lifecycle_rules(emulator: S3Emulator) -> None:
    # Stored as deployed; moto never applies lifecycle rules (the docs say so).
    rules = {
        rule["ID"]: rule
        for rule in emulator.client().get_bucket_lifecycle_configuration(Bucket=emulator.ingest_bucket)[
            "Rules"
        ]
    }
    assert set(rules) == {"abort-incomplete-multipart-uploads", "expire-quarantined-objects"}
    abort, expire = rules["abort-incomplete-multipart-uploads"], rules["expire-quarantined-objects"]
    assert abort["Status"] == expire["Status"] == "Enabled"
    assert abort["Filter"] == expire["Filter"] == {"Prefix": ""}
    assert abort["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert expire["Expiration"] == {"Days": 2}


def test_ingest_bucket_notifies_its_own_queue_of_created_objects_under_ingest(emulator: S3Emulator) -> None:
    configuration = emulator.client().get_bucket_notification_configuration(Bucket=emulator.ingest_bucket)
    [queue] = configuration["QueueConfigurations"]
    arn = emulator.sqs_client().get_queue_attributes(
        QueueUrl=emulator.ingest_events_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert queue["QueueArn"] == arn
    assert arn.endswith(":emulator-test-ingest-events")
    assert queue["Events"] == list(INGEST_NOTIFIED_EVENTS) == ["s3:ObjectCreated:*"]
    assert queue["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "ingest/"}]


def test_ingest_events_have_the_documents_queues_redrive(emulator: S3Emulator) -> None:
    sqs = emulator.sqs_client()
    names: list[QueueAttributeFilterType] = ["RedrivePolicy", "VisibilityTimeout"]
    ingest = sqs.get_queue_attributes(QueueUrl=emulator.ingest_events_queue_url, AttributeNames=names)
    documents = sqs.get_queue_attributes(QueueUrl=emulator.events_queue_url, AttributeNames=names)
    policy = json.loads(ingest["Attributes"]["RedrivePolicy"])
    assert int(policy["maxReceiveCount"]) == EVENT_MAX_RECEIVES
    assert policy["deadLetterTargetArn"].endswith(":emulator-test-ingest-events-failed")
    assert ingest["Attributes"]["VisibilityTimeout"] == documents["Attributes"]["VisibilityTimeout"]


def _multipart(client: Any, bucket: str, key: str, parts: list[bytes]) -> dict[str, Any]:
    upload = client.create_multipart_upload(Bucket=bucket, Key=key, ContentType="text/plain")["UploadId"]
    done = [
        {"PartNumber": number, "ETag": client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=data
        )["ETag"]}
        for number, data in enumerate(parts, start=1)
    ]  # fmt: skip
    result: dict[str, Any] = client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done}
    )
    return result


FIVE_MIB = 5 * 1024 * 1024


def test_a_completed_multipart_upload_is_one_complete_multipart_upload_record(emulator: S3Emulator) -> None:
    client = emulator.client()
    url = emulator.ingest_events_queue_url
    drain(emulator, url)
    key = f"ingest/owner/{uuid.uuid4().hex} x"

    completed = _multipart(client, emulator.ingest_bucket, key, [b"a" * FIVE_MIB, b"tail"])

    # moto alone also sends an ObjectCreated:Put first (it stores the assembled object with put_object);
    # AWS sends the CompleteMultipartUpload record only.
    [body] = drain(emulator, url)
    [record] = body["Records"]
    assert record["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    target = record["s3"]["object"]
    assert target["key"] == key.replace(" ", "+")  # form-encoded, "/" kept, as AWS encodes keys
    assert target["size"] == FIVE_MIB + 4
    assert target["eTag"] == completed["ETag"].strip('"')
    assert target["eTag"].endswith("-2")  # a multipart ETag: MD5 of the parts' MD5s, then the part count
    assert record["s3"]["bucket"]["name"] == emulator.ingest_bucket
    assert record["s3"]["configurationId"] == "processor"
    # Field for field AWS's documented shape of a created object in an unversioned bucket (no versionId).
    documented = created_event("k")["Records"][0]
    del documented["s3"]["object"]["versionId"]
    assert _shape(record) == _shape(documented)


def test_the_ingest_queue_gets_puts_under_ingest_and_nothing_else(
    emulator: S3Emulator,
) -> None:
    client = emulator.client()
    url = emulator.ingest_events_queue_url
    drain(emulator, url)
    client.put_object(Bucket=emulator.ingest_bucket, Key="ingest/owner/put", Body=b"x")
    client.put_object(Bucket=emulator.ingest_bucket, Key="elsewhere/put", Body=b"x")
    client.delete_object(Bucket=emulator.ingest_bucket, Key="ingest/owner/put")

    records = [body["Records"][0] for body in drain(emulator, url)]

    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [
        ("ObjectCreated:Put", "ingest/owner/put")
    ]
    assert drain(emulator) == []  # and nothing of the ingest bucket reaches the reconciler's queue


def test_other_buckets_keep_motos_extra_put_for_a_completed_multipart_upload(emulator: S3Emulator) -> None:
    # Scoped like the other fixes: a bucket no emulator created keeps moto's own (duplicated) events,
    # which also shows the gap the emulator fills is real.
    client = emulator.client()
    other = "not-the-emulators-ingest"
    create_ingest_bucket(client, other)
    arn = emulator.sqs_client().get_queue_attributes(
        QueueUrl=emulator.ingest_events_queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    notify_queue(client, other, arn, events=INGEST_NOTIFIED_EVENTS, prefix="ingest/")
    url = emulator.ingest_events_queue_url
    drain(emulator, url)

    _multipart(client, other, "ingest/owner/m", [b"a" * FIVE_MIB, b"tail"])

    names = [body["Records"][0]["eventName"] for body in drain(emulator, url) if "Records" in body]
    assert names == ["ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload"]


@pytest.mark.parametrize("ended", ["aborted", "completed and its object deleted"])
def test_a_part_or_complete_of_an_upload_no_longer_open_is_no_such_upload(
    emulator: S3Emulator, ended: str
) -> None:
    # AWS answers 404 NoSuchUpload; moto alone fails with a 500 (KeyError). The API relies on the code:
    # NoSuchUpload on a retried complete means the first one succeeded (the processor then deleted it).
    from botocore.exceptions import ClientError

    client = emulator.client()
    key = f"ingest/owner/{uuid.uuid4().hex}"
    upload = client.create_multipart_upload(Bucket=emulator.ingest_bucket, Key=key)["UploadId"]
    etag = client.upload_part(
        Bucket=emulator.ingest_bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"x"
    )["ETag"]
    parts: Any = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    if ended == "aborted":
        client.abort_multipart_upload(Bucket=emulator.ingest_bucket, Key=key, UploadId=upload)
    else:
        client.complete_multipart_upload(
            Bucket=emulator.ingest_bucket, Key=key, UploadId=upload, MultipartUpload=parts
        )
        # While the object it made is there, a repeated complete succeeds (S3's and moto's idempotency).
        again = client.complete_multipart_upload(
            Bucket=emulator.ingest_bucket, Key=key, UploadId=upload, MultipartUpload=parts
        )
        assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
        client.delete_object(Bucket=emulator.ingest_bucket, Key=key)

    for call in (
        lambda: client.upload_part(
            Bucket=emulator.ingest_bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"x"
        ),
        lambda: client.complete_multipart_upload(
            Bucket=emulator.ingest_bucket, Key=key, UploadId=upload, MultipartUpload=parts
        ),
    ):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "NoSuchUpload"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_local_ingest_bucket_and_processor_match_the_stacks_constants() -> None:
    # Local mode does not import the infrastructure (pulumi) at run time; this keeps the copies equal.
    from lib.ingest_stack import INGEST_EVENTS, PROCESSOR_TIMEOUT_SECONDS
    from lib.s3_stack import INGEST_ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS, INGEST_EXPIRATION_DAYS
    from local_mode.emulator import INGEST_ABORT_INCOMPLETE_UPLOADS_DAYS, INGEST_EXPIRE_OBJECTS_DAYS
    from local_mode.event_pump import PROCESSOR_TIMEOUT_SECONDS as LOCAL_PROCESSOR_TIMEOUT

    assert INGEST_ABORT_INCOMPLETE_UPLOADS_DAYS == INGEST_ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS
    assert INGEST_EXPIRE_OBJECTS_DAYS == INGEST_EXPIRATION_DAYS
    assert INGEST_NOTIFIED_EVENTS == INGEST_EVENTS
    assert LOCAL_PROCESSOR_TIMEOUT == PROCESSOR_TIMEOUT_SECONDS
