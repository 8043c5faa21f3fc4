"""Fault injection between the service and DynamoDB (the catalogue), on real sockets (``fault_proxy.py``),
at every DynamoDB call the service makes: the document item's ``PutItem`` (upload), its ``DeleteItem``
(delete), the listing's ``Query``, and the Idempotency-Key record's ``PutItem`` (claim) and
``UpdateItem`` (complete); also the reconciler's own writes.

The invariants, whatever the fault:

- an upload answers 201 (the document is stored and reads back whole; it is listed now, or once the
  reconciler ran on the bucket's events) or a clear 5xx, and whatever it left in S3 the reconciler heals;
- a delete answers 204 or a 5xx, and the listing agrees with S3 once the reconciler ran;
- retrying an upload with the same Idempotency-Key after any fault ends with exactly one document;
- a listing answers 200 or a 503/502 in the service's error shape, never a 500 or a stack trace.

Retries are counted as in ``test_s3_faults.py``: a transient fault gets exactly the catalogue client's
``DEFAULT_MAX_ATTEMPTS`` attempts, a refusal exactly one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.catalogue import DEFAULT_MAX_ATTEMPTS, Catalogue, create_dynamodb_client
from document_processor.reconciler import ReconcileError, Reconciler, run
from document_processor.storage import DocumentStore, create_s3_client
from tests.robustness.bucket import bucket_events
from tests.robustness.conftest import TEST_READ_TIMEOUT_SECONDS, FakeContext
from tests.robustness.fault_proxy import Fault
from tests.robustness.faulty import (
    assert_intact,
    assert_listed_as_described,
    assert_refused,
    assert_unavailable,
    call,
    seed,
    upload,
)

if TYPE_CHECKING:
    from tests.robustness.conftest import Deployment
    from tests.robustness.fault_proxy import FaultProxy

TRANSIENT = (
    Fault.SLOW_DOWN,  # ProvisionedThroughputExceededException
    Fault.THROTTLING,
    Fault.INTERNAL_ERROR,
    Fault.SERVICE_UNAVAILABLE,
    Fault.READ_TIMEOUT,
    Fault.CONNECTION_RESET,
)
"""Never reach DynamoDB; standard mode retries each, then the catalogue reports 503."""
NOT_FORWARDED = (*TRANSIENT, Fault.VALIDATION)
"""The write never happened (the validation error is not retried: one attempt, then 502)."""
FORWARDED = (Fault.RESET_AFTER_FORWARD, Fault.RESET_MID_BODY, Fault.CORRUPT_BODY)
"""DynamoDB did the write; the answer was lost, cut off or altered on the way back."""
EVERY_FAULT = (*NOT_FORWARDED, *FORWARDED)
DOCUMENT_ITEM = b'"DOC#'
"""In the body of the document item's PutItem only (the idempotency record's sort key is ``IDEM#...``)."""
IDEMPOTENCY_RECORD = b'"IDEM#'


def fault_id(fault: Fault) -> str:
    """The test id of a fault parameter."""
    return fault.name


def expected_attempts(fault: Fault) -> int:
    """How many times the catalogue client sends one call that meets ``fault`` on every attempt."""
    return 1 if fault is Fault.VALIDATION else DEFAULT_MAX_ATTEMPTS


def metrics(deployment: Deployment) -> list[dict[str, Any]]:
    """The request lines the handler wrote (access log + embedded metrics), parsed."""
    return [json.loads(line) for line in deployment.log_lines if line.startswith("{")]


def catalogue_write_failures(deployment: Deployment) -> int:
    return sum(int(line.get("CatalogueWriteFailures", 0)) for line in metrics(deployment))


def assert_names_nothing(deployment: Deployment, response: dict[str, Any]) -> None:
    """An error answer names no table, bucket, key prefix or exception (the message is the fixed one)."""
    for internal in (deployment.table, deployment.bucket, "documents/", "OWNER#", "Traceback", "Exception"):
        assert internal not in response["body"], response["body"]


def assert_converged(deployment: Deployment) -> dict[str, int]:
    """After the reconciler ran on the bucket's events, the listing is exactly what S3 holds."""
    outcomes = deployment.reconcile()
    assert_listed_as_described(deployment, deployment.stored_ids())
    return outcomes


# --- upload: the document item's PutItem -------------------------------------------------------------


@pytest.mark.parametrize("fault", EVERY_FAULT, ids=fault_id)
def test_an_upload_whose_catalogue_write_fails_is_201_stored_and_listed_after_reconciling(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    proxy.arm("PutItem", fault, body_contains=DOCUMENT_ITEM)

    response = upload(faulty)

    assert response["statusCode"] == 201, response["body"]
    document_id = json.loads(response["body"])["id"]
    assert proxy.faulted["PutItem"] == expected_attempts(fault)
    assert proxy.attempts["PutObject"] == 1
    proxy.disarm()
    assert_intact(faulty, document_id)
    assert faulty.stored_ids() == [document_id]
    if fault in NOT_FORWARDED:
        assert faulty.listed_ids() == []  # not before the reconciler: the write never happened
        assert catalogue_write_failures(faulty) == 1
    else:
        assert faulty.listed_ids() == [document_id]  # DynamoDB wrote it; only the answer was lost
    outcomes = assert_converged(faulty)
    assert outcomes["created"] == (1 if fault in NOT_FORWARDED else 0)


def test_one_throttled_catalogue_write_is_absorbed_by_the_retry(
    faulty: Deployment, proxy: FaultProxy
) -> None:
    proxy.arm("PutItem", Fault.THROTTLING, times=1, body_contains=DOCUMENT_ITEM)

    response = upload(faulty)

    assert response["statusCode"] == 201, response["body"]
    assert proxy.attempts["PutItem"] == 2
    assert catalogue_write_failures(faulty) == 0
    assert faulty.listed_ids() == [json.loads(response["body"])["id"]]  # listed at once


# --- delete: the document item's DeleteItem ----------------------------------------------------------


@pytest.mark.parametrize("fault", EVERY_FAULT, ids=fault_id)
def test_a_delete_whose_catalogue_write_fails_is_204_and_the_listing_converges(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm("DeleteItem", fault)

    response = call(faulty, "DELETE", f"/documents/{document_id}")

    assert response["statusCode"] == 204, response["body"]
    assert proxy.faulted["DeleteItem"] == expected_attempts(fault)
    proxy.disarm()
    assert call(faulty, "GET", f"/documents/{document_id}")["statusCode"] == 404
    assert faulty.stored_ids() == []
    if fault in NOT_FORWARDED:
        assert faulty.listed_ids() == [document_id]  # the orphan, until the reconciler removes it
        assert catalogue_write_failures(faulty) == 1
    else:
        assert faulty.listed_ids() == []
    assert assert_converged(faulty)["removed"] == 1
    assert faulty.items() == []


@pytest.mark.parametrize("fault", [Fault.SLOW_DOWN, Fault.READ_TIMEOUT], ids=fault_id)
def test_a_delete_that_fails_in_s3_keeps_document_and_item(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm("DeleteObject", fault)

    assert_unavailable(call(faulty, "DELETE", f"/documents/{document_id}"))

    assert proxy.attempts["DeleteItem"] == 0  # object first: the item goes only once the object has
    proxy.disarm()
    assert_intact(faulty, document_id)
    assert_converged(faulty)
    assert faulty.listed_ids() == [document_id]


# --- listing: Query ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", TRANSIENT, ids=fault_id)
def test_a_listing_fault_is_503_after_bounded_retries(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm("Query", fault)

    for query in ({}, {"contentType": "text/plain"}, {"q": "x", "order": "oldest"}):
        proxy.reset_counts()
        response = call(faulty, "GET", "/documents", query=query)
        assert_unavailable(response)
        assert_names_nothing(faulty, response)
        assert proxy.attempts == {"Query": DEFAULT_MAX_ATTEMPTS}  # and no S3 call

    proxy.disarm()
    assert faulty.listed_ids() == [document_id]


def test_a_refused_listing_is_502_after_one_attempt(faulty: Deployment, proxy: FaultProxy) -> None:
    seed(faulty, proxy)
    proxy.arm("Query", Fault.VALIDATION)

    response = call(faulty, "GET", "/documents")

    assert_refused(response)
    assert_names_nothing(faulty, response)
    assert proxy.attempts == {"Query": 1}


@pytest.mark.parametrize("fault", [Fault.RESET_AFTER_FORWARD, Fault.RESET_MID_BODY], ids=fault_id)
def test_a_listing_answer_cut_off_is_503(faulty: Deployment, proxy: FaultProxy, fault: Fault) -> None:
    seed(faulty, proxy)
    proxy.arm("Query", fault)

    assert_unavailable(call(faulty, "GET", "/documents"))

    assert proxy.attempts == {"Query": DEFAULT_MAX_ATTEMPTS}


@pytest.mark.parametrize("fault", [*TRANSIENT, *FORWARDED], ids=fault_id)
def test_one_listing_fault_is_absorbed_by_the_retry(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    """Including a body altered in transit: DynamoDB's ``x-amz-crc32`` no longer matches, so it is retried."""
    document_id = seed(faulty, proxy)
    expected = faulty.listed()
    proxy.reset_counts()
    proxy.arm("Query", fault, times=1)

    response = call(faulty, "GET", "/documents", query={"limit": "100"})

    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["items"] == expected
    assert [item["id"] for item in expected] == [document_id]
    assert proxy.attempts == {"Query": 2}


def test_a_listing_whose_every_answer_fails_its_crc32_is_502_not_a_wrong_200(
    faulty: Deployment, proxy: FaultProxy
) -> None:
    """Every attempt's body is altered (a document's size: still valid JSON) and fails DynamoDB's CRC32.

    Found by this suite (NOTES.md, 01:30): botocore's standard retry mode retries a CRC32 mismatch
    (``RetryDDBChecksumError``) but, out of attempts, hands back the altered body as a normal answer, so
    the service listed the document with a wrong size (200). A body that never passes its checksum must
    be refused, as an S3 download that fails its SHA-256 is (502 ``storage_error``).
    """
    seed(faulty, proxy)
    proxy.arm("Query", Fault.CORRUPT_BODY)

    response = call(faulty, "GET", "/documents", query={"limit": "100"})

    assert proxy.attempts == {"Query": DEFAULT_MAX_ATTEMPTS}
    assert_refused(response)


def assert_error_body_5xx(response: dict[str, Any]) -> None:
    if response["statusCode"] == 503:
        assert_unavailable(response)
    else:
        assert_refused(response)


# --- Idempotency-Key: claim (PutItem IDEM#), document item, complete (UpdateItem), S3 ----------------

IDEMPOTENT_TARGETS = [
    ("PutItem", IDEMPOTENCY_RECORD),
    ("PutItem", DOCUMENT_ITEM),
    ("UpdateItem", None),
    ("PutObject", None),
]


@pytest.mark.parametrize("fault", EVERY_FAULT, ids=fault_id)
@pytest.mark.parametrize(
    ("operation", "body_contains"),
    IDEMPOTENT_TARGETS,
    ids=["claim", "document-item", "complete", "PutObject"],
)
def test_retrying_with_the_same_idempotency_key_after_any_fault_ends_with_one_document(
    faulty: Deployment, proxy: FaultProxy, fault: Fault, operation: str, body_contains: bytes | None
) -> None:
    proxy.arm(operation, fault, body_contains=body_contains)

    first = upload(faulty, key="retry-me")

    assert proxy.faulted[operation] >= 1
    assert first["statusCode"] in (201, 502, 503), first["body"]
    if first["statusCode"] != 201:
        assert_error_body_5xx(first)
        assert_names_nothing(faulty, first)
    proxy.disarm()
    # Whatever the failed attempt left, the reconciler heals (nothing half-written stays).
    assert_converged(faulty)

    retried = upload(faulty, key="retry-me")
    again = upload(faulty, key="retry-me")

    assert retried["statusCode"] == 201, retried["body"]
    assert again["statusCode"] == 201, again["body"]
    assert again["headers"].get("Idempotent-Replayed") == "true"
    document = json.loads(retried["body"])
    assert json.loads(again["body"]) == document
    if first["statusCode"] == 201:
        assert json.loads(first["body"]) == document
    assert faulty.stored_ids() == [document["id"]]
    assert len([entry for entry in faulty.snapshot() if not entry[2]]) == 1  # one object, one version
    assert_intact(faulty, document["id"])
    assert_converged(faulty)
    assert faulty.listed_ids() == [document["id"]]


@pytest.mark.parametrize("fault", TRANSIENT, ids=fault_id)
def test_a_failed_claim_is_503_and_stores_nothing(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    proxy.arm("PutItem", fault, body_contains=IDEMPOTENCY_RECORD)

    assert_unavailable(upload(faulty, key="claim-fails"))

    assert proxy.faulted["PutItem"] == DEFAULT_MAX_ATTEMPTS
    assert proxy.attempts["PutObject"] == 0
    proxy.disarm()
    assert faulty.snapshot() == []
    assert faulty.items() == []


def test_a_replay_whose_claim_answer_fails_is_503_then_replays(faulty: Deployment, proxy: FaultProxy) -> None:
    """The second request's claim meets the completed record; that answer is lost, then comes through."""
    first = upload(faulty, key="replay-me")
    assert first["statusCode"] == 201, first["body"]
    proxy.arm("PutItem", Fault.RESET_AFTER_FORWARD, body_contains=IDEMPOTENCY_RECORD)

    assert_unavailable(upload(faulty, key="replay-me"))

    proxy.disarm()
    replay = upload(faulty, key="replay-me")
    assert replay["statusCode"] == 201, replay["body"]
    assert replay["headers"].get("Idempotent-Replayed") == "true"
    assert json.loads(replay["body"]) == json.loads(first["body"])
    assert faulty.stored_ids() == [json.loads(first["body"])["id"]]


def test_the_same_key_with_another_body_after_a_fault_is_still_422(
    faulty: Deployment, proxy: FaultProxy
) -> None:
    proxy.arm("UpdateItem", Fault.INTERNAL_ERROR)
    first = upload(faulty, key="one-body")
    assert first["statusCode"] == 201, first["body"]
    proxy.disarm()

    other = upload(faulty, key="one-body", text="another body\n")

    assert other["statusCode"] == 422, other["body"]
    assert json.loads(other["body"])["error"]["code"] == "idempotency_key_reused"
    assert faulty.stored_ids() == [json.loads(first["body"])["id"]]


# --- the reconciler's own writes ---------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["PutItem", "DeleteItem"])
@pytest.mark.parametrize("fault", [Fault.THROTTLING, Fault.READ_TIMEOUT], ids=fault_id)
def test_a_reconciler_write_that_fails_raises_for_lambdas_retry_and_a_later_run_heals(
    faulty: Deployment, proxy: FaultProxy, fault: Fault, operation: str
) -> None:
    """Through the same proxy (its clients are the service's own): a transient failure must raise, so
    Lambda retries the event (then its failure destination), and never reports the record as done."""
    if operation == "PutItem":  # stored, not catalogued: the reconciler must create the item
        proxy.arm("PutItem", Fault.INTERNAL_ERROR, body_contains=DOCUMENT_ITEM)
        document_id = json.loads(upload(faulty)["body"])["id"]
    else:  # deleted, still catalogued: the reconciler must remove the item
        document_id = seed(faulty, proxy)
        proxy.arm("DeleteItem", Fault.INTERNAL_ERROR)
        assert call(faulty, "DELETE", f"/documents/{document_id}")["statusCode"] == 204
    proxy.disarm()
    before = faulty.listed_ids()
    reconciler = Reconciler(
        DocumentStore(create_s3_client(read_timeout=TEST_READ_TIMEOUT_SECONDS), faulty.bucket),
        Catalogue(create_dynamodb_client(read_timeout=TEST_READ_TIMEOUT_SECONDS), faulty.table),
        bucket=faulty.bucket,
    )
    proxy.reset_counts()
    proxy.arm(operation, fault)

    with pytest.raises(ReconcileError):
        run(
            reconciler,
            bucket_events(faulty.inspector, faulty.bucket),
            FakeContext(),
            settings=faulty.app.settings,
            sink=faulty.log_lines.append,
        )

    assert proxy.faulted[operation] == DEFAULT_MAX_ATTEMPTS
    proxy.disarm()
    assert faulty.listed_ids() == before  # nothing changed
    assert_converged(faulty)
    assert faulty.listed_ids() == ([document_id] if operation == "PutItem" else [])
    assert faulty.listed_ids() != before
