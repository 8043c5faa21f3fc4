"""The event pump: S3 events from the emulator reach the reconciler in the shape Lambda receives them, a
failed event is kept for redelivery, and the thread stops cleanly."""

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
from document_processor.settings import load_settings
from document_processor.storage import DocumentStore
from local_mode.emulator import S3Emulator
from local_mode.event_pump import RECONCILER_FUNCTION_NAME, EventPump

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from document_processor.identity import Caller

CALLER = normalise_principal("arn:aws:iam::000000000000:user/alice")
WAIT_SECONDS = 10.0


@pytest.fixture
def clean_queue() -> Iterator[S3Emulator]:
    """An emulator of its own (an event left in flight by one test never reaches another)."""
    # moto's backends are process-wide: every emulator in one process needs names of its own.
    name = f"pump-{uuid.uuid4().hex[:12]}"
    with S3Emulator(bucket=name, catalogue_table=name, events_queue=name) as running:
        sqs = running.sqs_client()
        [message] = sqs.receive_message(QueueUrl=running.events_queue_url, WaitTimeSeconds=5)["Messages"]
        assert (
            json.loads(message["Body"])["Event"] == "s3:TestEvent"
        )  # queued by S3 when notifications are set
        sqs.delete_message(QueueUrl=running.events_queue_url, ReceiptHandle=message["ReceiptHandle"])
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
    assert "s3-event-pump" in {thread.name for thread in threading.enumerate()}
    started = time.monotonic()

    assert pump.stop()

    assert not pump.running
    assert time.monotonic() - started < 1 + 2  # one long poll, plus margin


def test_a_pump_whose_emulator_stopped_keeps_trying_until_stopped() -> None:
    emulator = S3Emulator(bucket="pump-stop-bucket", catalogue_table="pump-stop", events_queue="pump-stop")
    emulator.start()
    sqs, url = emulator.sqs_client(), emulator.events_queue_url
    err = io.StringIO()
    pump = EventPump(sqs, url, lambda event, context: None, wait_seconds=1, err=err)
    pump.start()
    emulator.stop()

    assert eventually(lambda: "cannot receive events" in err.getvalue())
    assert pump.running
    assert pump.stop()
