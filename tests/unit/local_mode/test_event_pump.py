"""The event pumps: S3 events from the emulator reach the reconciler (documents bucket) and the ingest
processor (ingest bucket) in the shape Lambda receives them, with a context naming each function; a failed
event is kept for redelivery, and the thread stops cleanly."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from document_processor import catalogue_schema as schema
from document_processor.catalogue import Catalogue
from document_processor.documents import object_key
from document_processor.identity import normalise_principal
from document_processor.ids import new_document_id
from document_processor.settings import SUPPORTED_CONTENT_TYPES, TEXT, load_settings
from document_processor.storage import DocumentStore
from document_processor.uploads import UploadRequest, UploadStatus, ingest_key, new_session
from local_mode.emulator import S3Emulator
from local_mode.event_pump import (
    PROCESSOR_FUNCTION_NAME,
    PROCESSOR_TIMEOUT_SECONDS,
    RECONCILER_FUNCTION_NAME,
    EventPump,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

    from document_processor.identity import Caller

CALLER = normalise_principal("arn:aws:iam::000000000000:user/alice")
WAIT_SECONDS = 10.0


@pytest.fixture
def clean_queue() -> Iterator[S3Emulator]:
    """An emulator of its own (an event left in flight by one test never reaches another)."""
    # moto's backends are process-wide: every emulator in one process needs names of its own.
    name = f"pump-{uuid.uuid4().hex[:12]}"
    with S3Emulator(
        bucket=name,
        catalogue_table=name,
        events_queue=name,
        ingest_bucket=f"{name}-ingest",
        ingest_events_queue=f"{name}-ingest",
    ) as running:
        sqs = running.sqs_client()
        for url in (running.events_queue_url, running.ingest_events_queue_url):
            [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
            assert (
                json.loads(message["Body"])["Event"] == "s3:TestEvent"
            )  # queued by S3 when notifications are set
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        yield running


def reconciler_handler(emulator: S3Emulator) -> Callable[[dict[str, Any], Any], Any]:
    """``reconciler.lambda_handler``'s path (``run`` on a reconciler) wired to the emulator."""
    import document_processor.reconciler as reconciler

    instance = reconciler.Reconciler(
        DocumentStore(emulator.client(), emulator.bucket),
        Catalogue(emulator.dynamodb_client(), emulator.catalogue_table),
        bucket=emulator.bucket,
    )
    settings = load_settings(
        {"DOCUMENTS_BUCKET": emulator.bucket, "CATALOGUE_TABLE": emulator.catalogue_table}
    )
    return functools.partial(reconciler.run, instance, settings=settings, sink=lambda line: None)


def put_document(emulator: S3Emulator, caller: Caller = CALLER) -> str:
    """A document written straight into the emulator (not through the API), as the service stores one."""
    document_id = new_document_id()
    body = b"hello"
    emulator.client().put_object(
        Bucket=emulator.bucket,
        Key=object_key(caller, document_id),
        Body=body,
        ContentType="text/plain; charset=utf-8",
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
        Metadata={"owner": caller.principal, "filename": "hello.txt"},
    )
    return document_id


def item(emulator: S3Emulator, document_id: str) -> dict[str, Any] | None:
    response = emulator.dynamodb_client().get_item(
        TableName=emulator.catalogue_table,
        Key={
            schema.PARTITION_KEY: {"S": schema.owner_partition(CALLER.owner_key)},
            schema.SORT_KEY: {"S": schema.document_sort_key(document_id)},
        },
        ConsistentRead=True,
    )
    found: dict[str, Any] | None = response.get("Item")
    return found


def eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_put_into_the_emulator_reaches_the_reconciler_and_the_item_appears(clean_queue: S3Emulator) -> None:
    emulator = clean_queue
    pump = EventPump(emulator.sqs_client(), emulator.events_queue_url, reconciler_handler(emulator))
    pump.start()
    try:
        document_id = put_document(emulator)
        assert eventually(lambda: item(emulator, document_id) is not None)
        found = item(emulator, document_id)
        assert found is not None
        assert found["filename"] == {"S": "hello.txt"}
        assert found["contentType"] == {"S": "text/plain"}
        assert found["sha256"] == {"S": hashlib.sha256(b"hello").hexdigest()}

        # A delete (a delete marker: the bucket is versioned) removes it again.
        emulator.client().delete_object(Bucket=emulator.bucket, Key=object_key(CALLER, document_id))
        assert eventually(lambda: item(emulator, document_id) is None)
    finally:
        assert pump.stop()
    assert not pump.running


def test_the_handler_gets_the_event_and_a_lambda_context(clean_queue: S3Emulator) -> None:
    emulator = clean_queue
    calls: list[tuple[dict[str, Any], Any]] = []
    pump = EventPump(
        emulator.sqs_client(),
        emulator.events_queue_url,
        lambda event, context: calls.append((event, context)),
    )
    document_id = put_document(emulator)

    assert pump.pump_once(wait_seconds=5) == 1

    [(event, context)] = calls
    [record] = event["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == emulator.bucket
    assert document_id in record["s3"]["object"]["key"]
    assert context.function_name == RECONCILER_FUNCTION_NAME
    assert context.get_remaining_time_in_millis() > 0


def test_a_failed_event_is_not_deleted_so_sqs_delivers_it_again(clean_queue: S3Emulator) -> None:
    emulator = clean_queue
    err = io.StringIO()

    def failing(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("transient")

    pump = EventPump(emulator.sqs_client(), emulator.events_queue_url, failing, err=err)
    put_document(emulator)

    assert pump.pump_once(wait_seconds=5) == 0

    attributes = emulator.sqs_client().get_queue_attributes(
        QueueUrl=emulator.events_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"  # in flight: back after the timeout
    assert "the reconciler failed (RuntimeError); the event will be delivered again" in err.getvalue()


@pytest.mark.parametrize(
    "body",
    [json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}), "not json", "[]"],
    ids=["test", "text", "list"],
)
def test_messages_that_are_not_events_are_dropped_without_a_call(clean_queue: S3Emulator, body: str) -> None:
    emulator = clean_queue
    calls: list[object] = []
    sqs = emulator.sqs_client()
    sqs.send_message(QueueUrl=emulator.events_queue_url, MessageBody=body)
    pump = EventPump(
        sqs, emulator.events_queue_url, lambda event, context: calls.append(event), err=io.StringIO()
    )

    assert pump.pump_once(wait_seconds=5) == 1

    assert calls == []
    attributes = sqs.get_queue_attributes(
        QueueUrl=emulator.events_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_stop_ends_the_thread_within_one_poll(clean_queue: S3Emulator) -> None:
    emulator = clean_queue
    pump = EventPump(
        emulator.sqs_client(), emulator.events_queue_url, lambda event, context: None, wait_seconds=1
    )
    pump.start()
    assert f"s3-event-pump-{RECONCILER_FUNCTION_NAME}" in {thread.name for thread in threading.enumerate()}
    started = time.monotonic()

    assert pump.stop()

    assert not pump.running
    assert time.monotonic() - started < 1 + 2  # one long poll, plus margin


def test_a_pump_whose_emulator_stopped_keeps_trying_until_stopped() -> None:
    emulator = S3Emulator(
        bucket="pump-stop-bucket",
        catalogue_table="pump-stop",
        events_queue="pump-stop",
        ingest_bucket="pump-stop-ingest",
        ingest_events_queue="pump-stop-ingest",
    )
    emulator.start()
    sqs, url = emulator.sqs_client(), emulator.events_queue_url
    err = io.StringIO()
    pump = EventPump(sqs, url, lambda event, context: None, wait_seconds=1, err=err)
    pump.start()
    emulator.stop()

    assert eventually(lambda: "cannot receive events" in err.getvalue())
    assert pump.running
    assert pump.stop()


def processor_handler(
    emulator: S3Emulator, *, malware_scanning: bool = False
) -> Callable[[dict[str, Any], Any], Any]:
    """``processor.lambda_handler``'s path (``run`` on a processor, gated with ``malware_scanning``)
    wired to the emulator."""
    import document_processor.processor as processor

    instance = processor.Processor(
        emulator.client(),
        Catalogue(emulator.dynamodb_client(), emulator.catalogue_table),
        ingest_bucket=emulator.ingest_bucket,
        vault_bucket=emulator.bucket,
        allowed_content_types=SUPPORTED_CONTENT_TYPES,
        malware_scanning=malware_scanning,
    )
    environment = {"DOCUMENTS_BUCKET": emulator.bucket, "CATALOGUE_TABLE": emulator.catalogue_table}
    if malware_scanning:
        environment.update(INGEST_BUCKET=emulator.ingest_bucket, MALWARE_SCANNING="on")
    settings = load_settings(environment)
    return functools.partial(processor.run, instance, settings=settings, sink=lambda line: None)


def processor_pump(
    emulator: S3Emulator, handler: Callable[[dict[str, Any], Any], Any], **kwargs: Any
) -> EventPump:
    return EventPump(
        emulator.sqs_client(),
        emulator.ingest_events_queue_url,
        handler,
        function_name=PROCESSOR_FUNCTION_NAME,
        label="the processor",
        timeout_seconds=PROCESSOR_TIMEOUT_SECONDS,
        **kwargs,
    )


def test_a_completed_upload_reaches_the_processor_and_the_session_ends_stored(
    clean_queue: S3Emulator,
) -> None:
    # The local wiring of DESIGN §4.2: a multipart upload completed in the ingest bucket is delivered,
    # as one CompleteMultipartUpload record, to the processor, which validates and copies it into the vault.
    emulator = clean_queue
    s3 = emulator.client()
    catalogue = Catalogue(emulator.dynamodb_client(), emulator.catalogue_table)
    data = "große Datei\n".encode() * (600 * 1024)  # > 5 MiB: two parts
    upload_id = new_document_id()
    key = ingest_key(CALLER.owner_key, upload_id)
    multipart = s3.create_multipart_upload(Bucket=emulator.ingest_bucket, Key=key, ContentType=TEXT)[
        "UploadId"
    ]
    request = UploadRequest("big.txt", TEXT, len(data), hashlib.sha256(data).hexdigest())
    session = new_session(
        upload_id, request, owner=CALLER.principal, multipart_upload_id=multipart, now=time.time()
    )
    assert catalogue.create_session(CALLER.owner_key, session)
    parts: list[CompletedPartTypeDef] = []
    for number, start in enumerate(range(0, len(data), session.part_size), start=1):
        chunk = data[start : start + session.part_size]
        etag = s3.upload_part(
            Bucket=emulator.ingest_bucket, Key=key, UploadId=multipart, PartNumber=number, Body=chunk
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    assert len(parts) == session.part_count == 2
    calls: list[str] = []
    handler = processor_handler(emulator)

    def recording(event: dict[str, Any], context: Any) -> Any:
        calls.append(event["Records"][0]["eventName"])
        assert context.function_name == PROCESSOR_FUNCTION_NAME
        assert context.get_remaining_time_in_millis() > 60_000  # the processor's long timeout
        return handler(event, context)

    s3.complete_multipart_upload(
        Bucket=emulator.ingest_bucket, Key=key, UploadId=multipart, MultipartUpload={"Parts": parts}
    )
    pump = processor_pump(emulator, recording)

    assert pump.pump_once(wait_seconds=5) == 1

    assert calls == ["ObjectCreated:CompleteMultipartUpload"]  # one record, as AWS sends it
    stored = catalogue.get_session(CALLER.owner_key, upload_id)
    assert stored is not None
    assert stored.status is UploadStatus.STORED
    assert stored.document_id == upload_id
    vault = s3.get_object(Bucket=emulator.bucket, Key=object_key(CALLER, upload_id))
    assert hashlib.sha256(vault["Body"].read()).hexdigest() == request.sha256
    assert s3.list_objects_v2(Bucket=emulator.ingest_bucket).get("KeyCount") == 0  # ingest object deleted


def test_each_pump_names_its_function_in_the_context_and_in_its_messages(clean_queue: S3Emulator) -> None:
    emulator = clean_queue
    err = io.StringIO()
    contexts: list[Any] = []

    def failing(event: dict[str, Any], context: Any) -> None:
        contexts.append(context)
        raise RuntimeError("transient")

    pump = processor_pump(emulator, failing, err=err)
    emulator.client().put_object(Bucket=emulator.ingest_bucket, Key="ingest/owner/x", Body=b"x")

    assert pump.pump_once(wait_seconds=5) == 0

    [context] = contexts
    assert context.function_name == PROCESSOR_FUNCTION_NAME == "doc-ingest-local"
    assert context.invoked_function_arn.endswith(":function:doc-ingest-local")
    assert (
        "Local mode: S3 events for doc-ingest-local: the processor failed (RuntimeError); "
        "the event will be delivered again"
    ) in err.getvalue()
