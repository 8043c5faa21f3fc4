"""Convergence: a failure between the S3 write and the catalogue write, in either direction, heals once the
reconciler has run on the S3 event the write produced, and only then.

Each test goes through the API handler (``POST``/``DELETE /documents``, ``GET /documents``) against moto,
injects the failure at the catalogue call (a DynamoDB error, or the function dying between the writes),
checks that the listing disagrees with S3 (so the failure really fell between the writes and nothing but
the reconciler can fix it), then runs the reconciler on the events the bucket sent and checks that the
listing agrees with S3: every stored document listed exactly as ``GET /documents/{id}`` describes it,
nothing else. Upload events are the messages moto delivers to SQS; a delete on the versioned bucket makes
AWS send ``ObjectRemoved:DeleteMarkerCreated``, which moto does not, so that one is built in AWS's shape.
"""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.catalogue import Catalogue, create_dynamodb_client
from document_processor.documents import object_key
from document_processor.identity import normalise_principal
from document_processor.settings import load_settings
from document_processor.storage import DocumentStore, create_s3_client
from tests.unit.service.conftest import (
    ALICE,
    BOB,
    BUCKET,
    TABLE,
    Lambda,
    body_json,
    build_lambda,
    make_event,
)
from tests.unit.service.test_reconciler import (
    EventQueue,
    client_error,
    delete_marker_event,
    fail,
    reconciler_module,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient


class Killed(BaseException):
    """The function dies here (timeout, out of memory): nothing after this point runs."""


@pytest.fixture
def queue(s3: Any, dynamodb: Any) -> Iterator[EventQueue]:
    import boto3

    sqs: SQSClient = boto3.client("sqs")
    events = EventQueue(sqs, s3)
    yield events
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    sqs.delete_queue(QueueUrl=events.url)


class System:
    """The API (its DynamoDB client is the one failures are injected into) and the reconciler."""

    def __init__(self, s3: Any, queue: EventQueue) -> None:
        self.queue = queue
        self.api_dynamodb: DynamoDBClient = create_dynamodb_client()
        self.api: Lambda = build_lambda(s3, self.api_dynamodb)
        module = reconciler_module()
        reconciler = module.Reconciler(
            DocumentStore(create_s3_client(), BUCKET),
            Catalogue(create_dynamodb_client(), TABLE),
            bucket=BUCKET,
        )
        settings = load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE})
        self._reconcile: Callable[[dict[str, Any]], Any] = lambda event: module.run(
            reconciler, event, None, settings=settings, sink=lambda line: None
        )

    def upload(
        self, data: bytes = b"hello", *, caller: str = ALICE, name: str = "notes.txt"
    ) -> dict[str, Any]:
        return self.api.call(
            make_event(
                "POST",
                "/documents",
                caller=caller,
                headers={
                    "Content-Type": "text/plain",
                    "Content-Disposition": f'attachment; filename="{name}"',
                },
                body=data,
            )
        )

    def delete(self, document_id: str, *, caller: str = ALICE) -> dict[str, Any]:
        return self.api.call(make_event("DELETE", f"/documents/{document_id}", caller=caller))

    def listing(self, *, caller: str = ALICE) -> list[dict[str, Any]]:
        response = self.api.call(make_event("GET", "/documents", caller=caller, query={"limit": "100"}))
        assert response["statusCode"] == 200, response["body"]
        page = body_json(response)
        assert page["nextCursor"] is None
        items: list[dict[str, Any]] = page["items"]
        return items

    def described(self, document_id: str, *, caller: str = ALICE) -> dict[str, Any] | None:
        response = self.api.call(make_event("GET", f"/documents/{document_id}", caller=caller))
        if response["statusCode"] == 404:
            return None
        assert response["statusCode"] == 200, response["body"]
        body: dict[str, Any] = body_json(response)
        return body

    def stored_ids(self, caller: str) -> set[str]:
        """The caller's documents according to S3, the source of truth."""
        prefix = object_key(normalise_principal(caller), "")
        listing = self.api.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return {entry["Key"][len(prefix) :] for entry in listing.get("Contents", [])}

    def reconcile(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self._reconcile(event)

    def assert_converged(self, *callers: str) -> None:
        """The listing is exactly S3's documents, each item equal to ``GET /documents/{id}``."""
        for caller in callers:
            items = self.listing(caller=caller)
            assert {item["id"] for item in items} == self.stored_ids(caller)
            for item in items:
                assert item == self.described(item["id"], caller=caller)


@pytest.fixture
def system(s3: Any, queue: EventQueue) -> System:
    return System(s3, queue)


def kill(**_: Any) -> None:
    raise Killed


@pytest.mark.parametrize("failure", ["dynamodb-error", "function-killed"])
def test_upload_stored_but_not_catalogued_is_listed_after_the_reconciler_runs(
    system: System, failure: str
) -> None:
    if failure == "dynamodb-error":
        fail(system.api_dynamodb, "PutItem", client_error("InternalServerError", 500))
        response = system.upload()
        assert response["statusCode"] == 201  # the document IS stored; S3 is the source of truth
        document_id = body_json(response)["id"]
        assert any(line.get("CatalogueWriteFailures") == 1 for line in system.api.lines())
    else:
        system.api_dynamodb.meta.events.register("before-call.dynamodb.PutItem", kill)
        with pytest.raises(Killed):
            system.upload()  # the client never gets an answer
        [document_id] = system.stored_ids(ALICE)

    # The failure fell between the writes: stored, readable, not listed.
    assert system.described(document_id) is not None
    assert system.listing() == []
    events = system.queue.drain()
    assert [record["eventName"] for event in events for record in event["Records"]] == ["ObjectCreated:Put"]

    system.reconcile(events)

    assert [item["id"] for item in system.listing()] == [document_id]
    system.assert_converged(ALICE)


@pytest.mark.parametrize("failure", ["dynamodb-error", "function-killed"])
def test_delete_done_in_s3_but_not_in_the_catalogue_is_unlisted_after_the_reconciler_runs(
    system: System, failure: str
) -> None:
    response = system.upload()
    document_id = body_json(response)["id"]
    system.reconcile(system.queue.drain())
    assert [item["id"] for item in system.listing()] == [document_id]
    key = object_key(normalise_principal(ALICE), document_id)

    if failure == "dynamodb-error":
        fail(system.api_dynamodb, "DeleteItem", client_error("InternalServerError", 500))
        assert system.delete(document_id)["statusCode"] == 204  # the document IS deleted
        assert any(line.get("CatalogueWriteFailures") == 1 for line in system.api.lines())
    else:
        system.api_dynamodb.meta.events.register("before-call.dynamodb.DeleteItem", kill)
        with pytest.raises(Killed):
            system.delete(document_id)

    # The failure fell between the writes: gone from S3, still listed (an orphan).
    assert system.described(document_id) is None
    assert [item["id"] for item in system.listing()] == [document_id]
    assert system.queue.drain() == []  # moto sends nothing for a delete marker; AWS sends:
    marker = system.api.s3.list_object_versions(Bucket=BUCKET, Prefix=key)["DeleteMarkers"][0]

    system.reconcile([delete_marker_event(key, version_id=marker["VersionId"])])

    assert system.listing() == []
    system.assert_converged(ALICE)


def test_many_failures_and_shuffled_duplicated_events_converge(system: System) -> None:
    rng = random.Random(13)
    flaky: list[str] = []

    def sometimes(model: Any, **_: Any) -> None:
        if model.name in {"PutItem", "DeleteItem"} and rng.random() < 0.5:
            flaky.append(model.name)
            raise client_error("InternalServerError", 500)

    system.api_dynamodb.meta.events.register("before-call.dynamodb", sometimes)
    callers = (ALICE, BOB)
    ids: dict[str, list[str]] = {caller: [] for caller in callers}
    events: list[dict[str, Any]] = []
    for index in range(12):
        caller = callers[index % 2]
        response = system.upload(
            f"document {index}".encode(), caller=caller, name=f"doc-{uuid.uuid4().hex}.txt"
        )
        assert response["statusCode"] == 201
        ids[caller].append(body_json(response)["id"])
    events += system.queue.drain()
    for caller in callers:
        for document_id in ids[caller][:3]:
            assert system.delete(document_id, caller=caller)["statusCode"] == 204
            key = object_key(normalise_principal(caller), document_id)
            marker = system.api.s3.list_object_versions(Bucket=BUCKET, Prefix=key)["DeleteMarkers"][0]
            events.append(delete_marker_event(key, version_id=marker["VersionId"]))
    assert {"PutItem", "DeleteItem"} <= set(flaky)  # both directions failed somewhere
    disagreements = [
        caller
        for caller in callers
        if {item["id"] for item in system.listing(caller=caller)} != system.stored_ids(caller)
    ]
    assert disagreements  # without the reconciler, the catalogue is wrong

    delivered = events + rng.sample(events, k=len(events) // 2)  # at-least-once: some twice
    rng.shuffle(delivered)  # and in any order
    system.reconcile(delivered)

    system.assert_converged(*callers)
    assert all(len(system.listing(caller=caller)) == 6 - 3 for caller in callers)
