"""The catalogue reconciler against moto: S3 event notifications as moto delivers them to SQS (and, where
moto sends none, as AWS documents them) make the catalogue agree with S3, whatever the order or repeats.

moto 5.2.5 (in-process ``mock_aws``) delivers to SQS: ``ObjectCreated:Put``, ``ObjectCreated:Copy``,
``ObjectCreated:CompleteMultipartUpload``, and ``ObjectRemoved:Delete`` when a version is deleted for good.
A plain ``DeleteObject`` on a versioned bucket (the deployed bucket, and every API delete) makes AWS send
``ObjectRemoved:DeleteMarkerCreated``; moto sends nothing, so that event is built here in AWS's documented
shape (``delete_marker_event``).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from document_processor import catalogue_schema as schema
from document_processor.catalogue import Catalogue, create_dynamodb_client, document_item
from document_processor.documents import DocumentService, document_from_object, object_key
from document_processor.errors import ConfigurationError, StorageUnavailableError
from document_processor.identity import normalise_principal
from document_processor.settings import SUPPORTED_CONTENT_TYPES, OwnerScope, load_settings
from document_processor.storage import DocumentStore, create_s3_client
from tests.unit.service.conftest import ALICE, BOB, BUCKET, TABLE
from tests.unit.service.samples import make_pdf

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

    from document_processor.documents import Document
    from document_processor.identity import Caller

ALICE_CALLER = normalise_principal(ALICE)
BOB_CALLER = normalise_principal(BOB)


def reconciler_module() -> ModuleType:
    """``document_processor.reconciler``, imported inside a test: its import is the function's cold start."""
    import document_processor.reconciler as module

    return module


# --- events -------------------------------------------------------------------------------------------


def delete_marker_event(
    key: str, *, bucket: str = BUCKET, version_id: str = "096fKKXTRTtl3on89fVO"
) -> dict[str, Any]:
    """``ObjectRemoved:DeleteMarkerCreated`` exactly as AWS documents it (notification-content-structure):
    the key URL-encoded, no size or eTag, a version id and a sequencer."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-12-04T00:00:00.000Z",
                "eventName": "ObjectRemoved:DeleteMarkerCreated",
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE:doc-processor-test"},
                "requestParameters": {"sourceIPAddress": "10.0.1.17"},
                "responseElements": {
                    "x-amz-request-id": "C3D13FE58DE4C810",
                    "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "reconciler",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {"key": key, "versionId": version_id, "sequencer": "0055AED6DCD90281E5"},
                },
            }
        ]
    }


def created_event(key: str, *, bucket: str = BUCKET, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    """An ``ObjectCreated`` event in AWS's documented shape (size, eTag; versionId: a versioned bucket)."""
    event = delete_marker_event(key, bucket=bucket)
    record = event["Records"][0]
    record["eventName"] = name
    record["s3"]["object"] = {
        "key": key,
        "size": 5,
        "eTag": "5d41402abc4b2a76b9719d911017c592",
        "versionId": "096fKKXTRTtl3on89fVO",
        "sequencer": "0055AED6DCD90281E5",
    }
    return event


class EventQueue:
    """An SQS queue the test bucket notifies (as the deployed bucket notifies the reconciler)."""

    def __init__(self, sqs: SQSClient, s3: Any) -> None:
        self._sqs = sqs
        self.url = sqs.create_queue(QueueName=f"events-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "Id": "reconciler",
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "documents/"}]}},
                    }
                ]
            },
        )
        assert self.drain() == []  # S3's s3:TestEvent, which never reaches Lambda, is dropped here

    def drain(self) -> list[dict[str, Any]]:
        """Every S3 event queued so far (message bodies: what Lambda would be invoked with), oldest first."""
        events: list[dict[str, Any]] = []
        while True:
            messages = self._sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return events
            for message in messages:
                body = json.loads(message["Body"])
                if "Records" in body:
                    events.append(body)
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def event_names(events: list[dict[str, Any]]) -> list[str]:
    return [record["eventName"] for event in events for record in event["Records"]]


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def sqs(s3: Any) -> SQSClient:
    import boto3

    client: SQSClient = boto3.client("sqs")
    return client


@pytest.fixture
def queue(sqs: SQSClient, s3: Any) -> Iterator[EventQueue]:
    events = EventQueue(sqs, s3)
    yield events
    # Before the bucket's versions are cleaned up: moto 5.2.5 fails to build the event for removing a
    # key's last version when that version is a delete marker.
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    sqs.delete_queue(QueueUrl=events.url)


class World:
    """The bucket, the table and a reconciler on them, plus what tests do to them directly."""

    def __init__(self, s3: Any, dynamodb: DynamoDBClient) -> None:
        module = reconciler_module()
        self.s3 = s3
        self.dynamodb = dynamodb
        self.reconciler_s3 = create_s3_client()
        self.reconciler_dynamodb = create_dynamodb_client()
        self.reconciler = module.Reconciler(
            DocumentStore(self.reconciler_s3, BUCKET),
            Catalogue(self.reconciler_dynamodb, TABLE),
            bucket=BUCKET,
        )
        self.settings = load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE})
        self.lines: list[str] = []
        # The upload path with a catalogue whose every write fails: S3 stores, the item is missing.
        broken_dynamodb = create_dynamodb_client()
        fail(broken_dynamodb, "PutItem", client_error("InternalServerError", 500))
        self._objects = DocumentStore(s3, BUCKET)
        self._service = DocumentService(
            self._objects, Catalogue(broken_dynamodb, TABLE), allowed_content_types=SUPPORTED_CONTENT_TYPES
        )

    def run(self, event: object) -> dict[str, Any]:
        """The handler's path: ``reconciler.run`` with this world's reconciler."""
        result: dict[str, Any] = reconciler_module().run(
            self.reconciler, event, None, settings=self.settings, sink=self.lines.append
        )
        return result

    def store(
        self, caller: Caller = ALICE_CALLER, data: bytes | None = None, filename: str | None = "a.pdf"
    ) -> Document:
        """Upload a document whose catalogue write fails; return it as ``GET /documents/{id}`` shows it."""
        disposition = f'attachment; filename="{filename}"' if filename else None
        upload = self._service.prepare_upload(
            data if data is not None else make_pdf(2),
            content_type_header="application/pdf",
            content_disposition_header=disposition,
        )
        document_id = str(self._service.store(caller, upload).body["id"])
        stored = self._objects.head(object_key(caller, document_id))
        assert stored is not None
        assert self.item(caller, document_id) is None
        return document_from_object(document_id, stored)

    def item(self, caller: Caller, document_id: str) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=TABLE,
            Key={
                schema.PARTITION_KEY: {"S": schema.owner_partition(caller.owner_key)},
                schema.SORT_KEY: {"S": schema.document_sort_key(document_id)},
            },
            ConsistentRead=True,
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def items(self) -> list[dict[str, Any]]:
        return list(self.dynamodb.scan(TableName=TABLE, ConsistentRead=True).get("Items", []))

    def log(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def world(s3: Any, dynamodb: DynamoDBClient) -> World:
    return World(s3, dynamodb)


def fail(client: Any, operation: str, error: Exception, *, times: int | None = None) -> list[str]:
    """Make ``operation`` on ``client`` raise ``error`` (``times`` times, or always); return the calls."""
    calls: list[str] = []
    service = client.meta.service_model.endpoint_prefix

    def hook(model: Any, **_: Any) -> None:
        calls.append(model.name)
        if model.name == operation and (times is None or calls.count(operation) <= times):
            raise error

    client.meta.events.register(f"before-call.{service}", hook)
    return calls


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Injected")


# --- created / removed --------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["report.pdf", None])
def test_a_put_event_lists_a_document_the_catalogue_missed(
    world: World, queue: EventQueue, filename: str | None
) -> None:
    document = world.store(filename=filename)
    events = queue.drain()
    assert event_names(events) == ["ObjectCreated:Put"]
    assert world.item(ALICE_CALLER, document.id) is None

    result = world.run(events[0])

    assert result["outcomes"]["created"] == 1
    # The item is exactly what the upload path writes for this document (same mapping, same owner).
    assert world.item(ALICE_CALLER, document.id) == document_item(
        ALICE_CALLER.owner_key, document, owner=ALICE_CALLER.principal
    )
    line = world.log()[-1]
    assert line["message"] == "Event reconciled"
    assert line["created"] == 1
    assert line["CatalogueItemsRepaired"] == 1


def test_copy_and_multipart_events_list_the_object_they_created(world: World, queue: EventQueue) -> None:
    source = world.store()
    copy_id, multipart_id = "0" * 31 + "1", "0" * 31 + "2"
    metadata = world.s3.head_object(Bucket=BUCKET, Key=object_key(ALICE_CALLER, source.id))["Metadata"]
    world.s3.copy_object(
        Bucket=BUCKET,
        Key=object_key(ALICE_CALLER, copy_id),
        CopySource={"Bucket": BUCKET, "Key": object_key(ALICE_CALLER, source.id)},
    )
    key = object_key(ALICE_CALLER, multipart_id)
    upload = world.s3.create_multipart_upload(
        Bucket=BUCKET, Key=key, ContentType="application/pdf", Metadata=metadata
    )
    part = world.s3.upload_part(
        Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=make_pdf(1)
    )
    world.s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    events = queue.drain()
    names = event_names(events)
    assert {"ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload"} <= set(names)

    for event in events:
        world.run(event)

    assert {item["id"]["S"] for item in world.items()} == {source.id, copy_id, multipart_id}
    copied = world.item(ALICE_CALLER, copy_id)
    assert copied is not None
    assert copied["sha256"] == {"S": source.sha256}
    assert copied["filename"] == {"S": "a.pdf"}


def test_a_delete_marker_event_removes_the_orphaned_item(world: World, queue: EventQueue) -> None:
    document = world.store()
    world.run(queue.drain()[0])
    assert world.item(ALICE_CALLER, document.id) is not None
    key = object_key(ALICE_CALLER, document.id)
    marker = world.s3.delete_object(Bucket=BUCKET, Key=key)
    assert queue.drain() == []  # moto sends nothing for a delete marker; AWS sends this:

    result = world.run(delete_marker_event(key, version_id=marker["VersionId"]))

    assert result["outcomes"]["removed"] == 1
    assert world.item(ALICE_CALLER, document.id) is None


def test_a_403_for_a_deleted_document_still_removes_its_item(world: World, queue: EventQueue) -> None:
    """S3 answers HeadObject of a missing key with 403 when the request is not covered by ``s3:ListBucket``
    (the role's is conditioned on ``s3:prefix``, which HeadObject does not carry): the listing of exactly
    the key (``DocumentStore.head``) tells the deleted document from a real denial."""
    document = world.store()
    world.run(queue.drain()[0])
    key = object_key(ALICE_CALLER, document.id)
    marker = world.s3.delete_object(Bucket=BUCKET, Key=key)
    calls = fail(world.reconciler_s3, "HeadObject", client_error("403", 403))

    result = world.run(delete_marker_event(key, version_id=marker["VersionId"]))

    assert result["outcomes"]["removed"] == 1
    assert calls == ["HeadObject", "ListObjectsV2"]
    assert world.item(ALICE_CALLER, document.id) is None


def test_a_403_for_a_document_that_exists_is_a_real_denial_and_keeps_its_item(
    world: World, queue: EventQueue
) -> None:
    document = world.store()
    world.run(queue.drain()[0])
    key = object_key(ALICE_CALLER, document.id)
    fail(world.reconciler_s3, "HeadObject", client_error("403", 403))

    with pytest.raises(reconciler_module().ReconcileError):
        world.run(delete_marker_event(key))

    assert world.item(ALICE_CALLER, document.id) is not None


def test_a_permanent_delete_event_from_moto_removes_the_item(world: World, queue: EventQueue) -> None:
    document = world.store()
    world.run(queue.drain()[0])
    key = object_key(ALICE_CALLER, document.id)
    version = world.s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"][0]["VersionId"]
    world.s3.delete_object(Bucket=BUCKET, Key=key, VersionId=version)
    events = queue.drain()
    assert event_names(events) == ["ObjectRemoved:Delete"]

    world.run(events[0])

    assert world.items() == []


def test_the_event_name_is_not_trusted_only_the_state_of_s3(world: World, queue: EventQueue) -> None:
    document = world.store()
    queue.drain()
    key = object_key(ALICE_CALLER, document.id)
    # A "removed" event for an object that exists lists it; a "created" one for a missing object removes it.
    world.run(delete_marker_event(key))
    assert world.item(ALICE_CALLER, document.id) is not None
    world.s3.delete_object(Bucket=BUCKET, Key=key)
    world.run(created_event(key))
    assert world.item(ALICE_CALLER, document.id) is None


# --- duplicates and order -----------------------------------------------------------------------------


def test_duplicate_created_events_leave_one_unchanged_item(world: World, queue: EventQueue) -> None:
    document = world.store()
    event = queue.drain()[0]
    world.run(event)
    first = world.item(ALICE_CALLER, document.id)

    result = world.run(event)
    world.run(json.loads(json.dumps(event)))

    assert result["outcomes"]["present"] == 1
    assert world.item(ALICE_CALLER, document.id) == first
    assert len(world.items()) == 1


def test_an_existing_item_is_never_overwritten(world: World, queue: EventQueue) -> None:
    document = world.store()
    event = queue.drain()[0]
    world.dynamodb.put_item(
        TableName=TABLE,
        Item=document_item(
            ALICE_CALLER.owner_key, document._replace(filename="sync.pdf"), owner=ALICE_CALLER.principal
        ),
    )

    world.run(event)

    item = world.item(ALICE_CALLER, document.id)
    assert item is not None
    assert item["filename"] == {"S": "sync.pdf"}


def test_duplicate_removed_events_are_harmless(world: World) -> None:
    key = object_key(ALICE_CALLER, "0" * 32)
    event = delete_marker_event(key)
    assert world.run(event)["outcomes"]["removed"] == 1
    assert world.run(event)["outcomes"]["removed"] == 1
    assert world.items() == []


@pytest.mark.parametrize("order", ["created-first", "removed-first"])
def test_events_delivered_in_any_order_after_a_delete_leave_no_item(
    world: World, queue: EventQueue, order: str
) -> None:
    document = world.store()
    created = queue.drain()[0]
    key = object_key(ALICE_CALLER, document.id)
    marker = world.s3.delete_object(Bucket=BUCKET, Key=key)
    removed = delete_marker_event(key, version_id=marker["VersionId"])
    events = [created, removed] if order == "created-first" else [removed, created]

    for event in events:
        world.run(event)

    assert world.items() == []


def test_a_late_created_event_does_not_resurrect_a_deleted_document(world: World, queue: EventQueue) -> None:
    document = world.store()
    created = queue.drain()[0]
    world.run(created)
    key = object_key(ALICE_CALLER, document.id)
    marker = world.s3.delete_object(Bucket=BUCKET, Key=key)
    world.run(delete_marker_event(key, version_id=marker["VersionId"]))

    world.run(created)  # redelivered long after

    assert world.items() == []


def test_a_document_deleted_between_event_and_reconcile_is_not_listed(
    world: World, queue: EventQueue
) -> None:
    document = world.store()
    event = queue.drain()[0]
    world.s3.delete_object(Bucket=BUCKET, Key=object_key(ALICE_CALLER, document.id))

    result = world.run(event)

    assert result["outcomes"]["removed"] == 1
    assert world.items() == []


def test_a_delete_racing_the_create_is_caught_by_the_second_look(world: World, queue: EventQueue) -> None:
    document = world.store()
    event = queue.drain()[0]
    key = object_key(ALICE_CALLER, document.id)
    heads: list[str] = []

    def delete_after_first_head(**_: Any) -> None:
        heads.append("HeadObject")
        if len(heads) == 1:  # the API's DELETE lands between the reconciler's look and its write
            world.s3.delete_object(Bucket=BUCKET, Key=key)

    world.reconciler_s3.meta.events.register("after-call.s3.HeadObject", delete_after_first_head)

    result = world.run(event)

    assert result["outcomes"]["vanished"] == 1
    assert len(heads) == 2
    assert world.items() == []


def test_a_delete_after_the_second_look_is_healed_by_its_own_event(world: World, queue: EventQueue) -> None:
    # The same race, with the delete landing after the reconciler's second look: the item stays, and
    # the DeleteMarkerCreated event of that delete (delivered after it) removes it.
    document = world.store()
    event = queue.drain()[0]
    key = object_key(ALICE_CALLER, document.id)
    marker: dict[str, Any] = {}
    heads: list[str] = []

    def delete_after_second_head(**_: Any) -> None:
        heads.append("HeadObject")
        if len(heads) == 2:
            marker.update(world.s3.delete_object(Bucket=BUCKET, Key=key))

    world.reconciler_s3.meta.events.register("after-call.s3.HeadObject", delete_after_second_head)
    assert world.run(event)["outcomes"]["created"] == 1
    assert world.item(ALICE_CALLER, document.id) is not None  # missed by both looks: a transient orphan

    world.run(delete_marker_event(key, version_id=marker["VersionId"]))

    assert world.items() == []


# --- records that are not ours ------------------------------------------------------------------------


def test_records_for_another_bucket_are_skipped_without_touching_s3(world: World) -> None:
    document = world.store()
    calls = fail(world.reconciler_s3, "never", RuntimeError())

    result = world.run(created_event(object_key(ALICE_CALLER, document.id), bucket="someone-elses-bucket"))

    assert result["outcomes"]["skipped"] == 1
    assert calls == []
    assert world.items() == []


NOT_DOCUMENT_KEYS = [
    "documents/",
    "documents/readme.txt",
    f"documents/{ALICE_CALLER.owner_key}",
    f"documents/{ALICE_CALLER.owner_key}/",
    f"documents/{ALICE_CALLER.owner_key}/{'0' * 31}",
    f"documents/{ALICE_CALLER.owner_key}/{'0' * 31}G",
    f"documents/{ALICE_CALLER.owner_key}/{'A' * 32}",
    f"documents/{ALICE_CALLER.owner_key}/{'0' * 32}/extra",
    f"documents/{ALICE_CALLER.owner_key.upper()}/{'0' * 32}",
    f"documents/{ALICE_CALLER.owner_key[:-1]}/{'0' * 32}",
    f"documents//{ALICE_CALLER.owner_key}/{'0' * 32}",
    f"documents/../{ALICE_CALLER.owner_key}/{'0' * 32}",
    f"ingest/{ALICE_CALLER.owner_key}/{'0' * 32}",
    f"documents%2F{ALICE_CALLER.owner_key}%2F{'0' * 32}%00",
]


@pytest.mark.parametrize("key", NOT_DOCUMENT_KEYS)
def test_records_for_keys_that_are_not_documents_are_skipped(world: World, key: str) -> None:
    calls = fail(world.reconciler_s3, "never", RuntimeError())

    result = world.run(created_event(key))

    assert result["outcomes"]["skipped"] == 1
    assert calls == []


@pytest.mark.parametrize(
    "record", [{}, {"eventSource": "aws:sqs"}, {"eventSource": "aws:s3", "s3": {}}, "text", None]
)
def test_malformed_records_are_skipped(world: World, record: object) -> None:
    result = world.run({"Records": [record]})

    assert result == {
        "records": 1,
        "failed": 0,
        "outcomes": {**dict.fromkeys(result["outcomes"], 0), "skipped": 1},
    }


@pytest.mark.parametrize("event", [{"Service": "Amazon S3", "Event": "s3:TestEvent"}, {}, [], "x"])
def test_events_without_records_do_nothing(world: World, event: object) -> None:
    assert world.run(event)["records"] == 0


def test_keys_are_decoded_in_both_encodings(world: World) -> None:
    document = world.store()
    key = object_key(ALICE_CALLER, document.id)
    # AWS leaves "/" alone; moto encodes it ("%2F"). Both name the same object.
    world.run(created_event(key.replace("/", "%2F")))
    assert world.item(ALICE_CALLER, document.id) is not None


def test_an_object_recording_another_owner_is_never_listed(world: World) -> None:
    document = world.store(BOB_CALLER)
    # Bob's object copied under Alice's prefix: GET /documents/{id} answers 404 to Alice, so no item.
    alice_key = object_key(ALICE_CALLER, document.id)
    world.s3.copy_object(
        Bucket=BUCKET,
        Key=alice_key,
        CopySource={"Bucket": BUCKET, "Key": object_key(BOB_CALLER, document.id)},
    )
    unowned_key = object_key(ALICE_CALLER, "0" * 32)
    world.s3.put_object(Bucket=BUCKET, Key=unowned_key, Body=b"x", ContentType="text/plain")

    first = world.run(created_event(alice_key))
    second = world.run(created_event(unowned_key))

    assert first["outcomes"]["not_owned"] == 1
    assert second["outcomes"]["not_owned"] == 1
    assert world.items() == []


# --- failures -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "operation", "error"),
    [
        ("reconciler_dynamodb", "PutItem", client_error("ProvisionedThroughputExceededException", 400)),
        (
            "reconciler_dynamodb",
            "PutItem",
            ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ),
        ("reconciler_dynamodb", "PutItem", client_error("AccessDeniedException", 400)),
        ("reconciler_s3", "HeadObject", client_error("SlowDown", 503)),
    ],
)
def test_a_failure_raises_so_lambda_retries_and_the_retry_heals(
    world: World, queue: EventQueue, client_name: str, operation: str, error: Exception
) -> None:
    document = world.store()
    event = queue.drain()[0]
    fail(getattr(world, client_name), operation, error, times=1)  # raised before botocore's retry loop

    with pytest.raises(reconciler_module().ReconcileError) as raised:
        world.run(event)

    assert isinstance(raised.value.__cause__, Exception)
    assert world.items() == []
    assert world.log()[-1]["level"] == "ERROR"
    assert world.log()[-1]["ReconcileFailures"] == 1
    world.run(event)  # Lambda's asynchronous retry
    assert world.item(ALICE_CALLER, document.id) is not None


def test_a_transient_failure_surfaces_as_the_services_unavailable_error(
    world: World, queue: EventQueue
) -> None:
    world.store()
    event = queue.drain()[0]
    fail(world.reconciler_dynamodb, "PutItem", client_error("ThrottlingException", 400))

    with pytest.raises(reconciler_module().ReconcileError) as raised:
        world.run(event)

    assert isinstance(raised.value.__cause__, StorageUnavailableError)


def test_one_failing_record_does_not_stop_the_others(world: World, queue: EventQueue) -> None:
    first, second = world.store(), world.store()
    records = [record for event in queue.drain() for record in event["Records"]]
    original = world.reconciler.reconcile_key
    failed: list[str] = []

    def flaky(located: Any) -> Any:
        if located.document_id == first.id and not failed:
            failed.append(located.document_id)
            raise StorageUnavailableError("injected")
        return original(located)

    world.reconciler.reconcile_key = flaky

    with pytest.raises(reconciler_module().ReconcileError, match="1 of 2 records failed"):
        world.run({"Records": records})

    assert world.item(ALICE_CALLER, second.id) is not None
    world.run({"Records": records})
    assert world.item(ALICE_CALLER, first.id) is not None


def test_a_misconfigured_reconciler_fails_every_event(world: World) -> None:
    module = reconciler_module()
    with pytest.raises(ConfigurationError):
        module.run(None, created_event("documents/x"), None, settings=world.settings, sink=world.lines.append)


class Collect(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_missing_settings_are_reported_once_and_give_no_reconciler() -> None:
    module = reconciler_module()
    handler = Collect()
    records = handler.records
    module.LOGGER.addHandler(handler)
    try:
        assert module.build(load_settings({})) is None
    finally:
        module.LOGGER.removeHandler(handler)
    assert [record.getMessage() for record in records] == ["Configuration is invalid: every event will fail"]
    listed = records[0].__dict__["problems"]
    assert any("DOCUMENTS_BUCKET" in problem for problem in listed)
    assert any("CATALOGUE_TABLE" in problem for problem in listed)


@pytest.mark.parametrize("scope", list(OwnerScope))
def test_documents_are_listed_whichever_owner_scope_the_api_runs_with(
    world: World, scope: OwnerScope
) -> None:
    # In session scope the recorded owner is the whole session ARN; the reconciler needs no OWNER_SCOPE.
    caller = normalise_principal(ALICE, scope)
    document = world.store(caller)

    result = world.run(created_event(object_key(caller, document.id)))

    assert result["outcomes"]["created"] == 1
    item = world.item(caller, document.id)
    assert item is not None
    assert item["owner"] == {"S": caller.principal}


@pytest.mark.parametrize("owner", ["not-an-arn", f"{ALICE} ", ALICE.upper(), ""])
def test_an_object_recording_no_principal_is_never_listed(world: World, owner: str) -> None:
    key = object_key(ALICE_CALLER, "0" * 31 + "9")
    world.s3.put_object(
        Bucket=BUCKET, Key=key, Body=b"x", ContentType="text/plain", Metadata={"owner": owner}
    )

    assert world.run(created_event(key))["outcomes"]["not_owned"] == 1
    assert world.items() == []


@pytest.fixture
def reloaded(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> Iterator[ModuleType]:
    """The reconciler module, to be re-imported under the test's environment; restored afterwards.

    Restored as it was, not re-imported once more: a reload makes new classes (``ReconcileError``...),
    and code that imported the old ones (the robustness tests) would no longer catch what is raised.
    """
    module = reconciler_module()
    saved = dict(vars(module))
    yield module
    monkeypatch.undo()
    vars(module).clear()
    vars(module).update(saved)


def test_the_configured_module_reconciles_through_lambda_handler(
    reloaded: ModuleType, monkeypatch: pytest.MonkeyPatch, world: World, queue: EventQueue
) -> None:
    import importlib

    monkeypatch.setenv("DOCUMENTS_BUCKET", BUCKET)
    monkeypatch.setenv("CATALOGUE_TABLE", TABLE)
    module = importlib.reload(reloaded)
    document = world.store()

    result = module.lambda_handler(queue.drain()[0], None)

    assert result["outcomes"]["created"] == 1
    assert world.item(ALICE_CALLER, document.id) is not None


def test_an_unconfigured_module_fails_every_event_so_none_is_lost(
    reloaded: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib

    monkeypatch.delenv("DOCUMENTS_BUCKET", raising=False)
    monkeypatch.delenv("CATALOGUE_TABLE", raising=False)
    module = importlib.reload(reloaded)  # the import itself never raises: it logs, once
    started = capsys.readouterr().out

    with pytest.raises(ConfigurationError):
        module.lambda_handler(created_event("documents/x"), None)

    [line] = [json.loads(text) for text in started.splitlines() if "Configuration is invalid" in text]
    assert line["level"] == "ERROR"
    assert any("CATALOGUE_TABLE" in problem for problem in line["problems"])
