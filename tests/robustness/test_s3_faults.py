"""Fault injection between the service and S3: 5xx, throttling, stalls, connection resets and
broken bodies, on real sockets (``fault_proxy.py``), through the service's real S3 client.

The invariant under every fault: the client gets either a success or a clear 5xx (503 when retrying
may help, 502 when not) after a bounded number of attempts, never a 500 or a hang, and the bucket and
the catalogue are never left half-written: an upload that failed stored nothing, a read or a delete
that failed left the document whole and listed. The client is the service's own
(``create_s3_client``: standard retry mode, ``DEFAULT_MAX_ATTEMPTS``), with a short read timeout (the
``faulty`` fixture). Faults between the service and DynamoDB: ``test_catalogue_faults.py``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from document_processor.storage import DEFAULT_MAX_ATTEMPTS
from tests.robustness.fault_proxy import Fault, FaultProxy
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

RETRIED_FAULTS = (Fault.SLOW_DOWN, Fault.INTERNAL_ERROR, Fault.READ_TIMEOUT, Fault.CONNECTION_RESET)
"""Each is transient: standard mode retries it, then the service answers 503 storage_unavailable."""


@pytest.mark.parametrize("fault", RETRIED_FAULTS, ids=lambda fault: fault.name)
def test_upload_fault_is_503_after_bounded_retries_and_stores_nothing(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    before = faulty.snapshot()
    proxy.arm("PutObject", fault)

    response = upload(faulty)

    assert_unavailable(response)
    assert proxy.attempts["PutObject"] == DEFAULT_MAX_ATTEMPTS
    assert proxy.attempts["PutItem"] == 0  # nothing catalogued for a document that was not stored
    proxy.disarm()
    assert faulty.snapshot() == before
    assert faulty.items() == []
    assert faulty.listed_ids() == []


@pytest.mark.parametrize("fault", RETRIED_FAULTS, ids=lambda fault: fault.name)
@pytest.mark.parametrize(
    ("method", "suffix", "operation"),
    [
        ("GET", "", "HeadObject"),
        ("GET", "/content", "GetObject"),
        ("DELETE", "", "HeadObject"),
        ("DELETE", "", "DeleteObject"),
    ],
    ids=["get-HeadObject", "download-GetObject", "delete-HeadObject", "delete-DeleteObject"],
)
def test_read_and_delete_faults_are_503_after_bounded_retries_and_keep_the_document(
    faulty: Deployment, proxy: FaultProxy, fault: Fault, method: str, suffix: str, operation: str
) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm(operation, fault)

    response = call(faulty, method, f"/documents/{document_id}{suffix}")

    assert_unavailable(response)
    assert proxy.attempts[operation] == DEFAULT_MAX_ATTEMPTS
    if operation == "HeadObject" and method == "DELETE":
        assert proxy.attempts["DeleteObject"] == 0  # no delete without knowing the document is there
    assert proxy.attempts["DeleteItem"] == 0  # the item stays while the object does
    proxy.disarm()
    assert_intact(faulty, document_id)
    assert_listed_as_described(faulty, [document_id])


def test_listing_makes_no_s3_call(faulty: Deployment, proxy: FaultProxy) -> None:
    """One catalogue query per page: S3 failing entirely does not touch the listing."""
    document_id = seed(faulty, proxy)
    for operation in ("ListObjectsV2", "HeadObject", "GetObject"):
        proxy.arm(operation, Fault.INTERNAL_ERROR)

    assert faulty.listed_ids() == [document_id]

    assert proxy.attempts == {"Query": 1}


@pytest.mark.parametrize(
    ("operation", "method", "suffix"),
    [
        ("PutObject", "POST", ""),
        ("HeadObject", "GET", ""),
        ("GetObject", "GET", "/content"),
        ("DeleteObject", "DELETE", ""),
    ],
)
def test_one_transient_fault_is_absorbed_by_the_retry(
    faulty: Deployment, proxy: FaultProxy, operation: str, method: str, suffix: str
) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm(operation, Fault.SLOW_DOWN, times=1)

    if method == "POST":
        response = upload(faulty)
        expected_status = 201
    else:
        response = call(faulty, method, f"/documents/{document_id}{suffix}")
        expected_status = 204 if method == "DELETE" else 200

    assert response["statusCode"] == expected_status, response["body"]
    assert proxy.attempts[operation] == 2
    proxy.disarm()
    expected = [document_id]
    if method == "POST":
        expected.append(json.loads(response["body"])["id"])
    elif method == "DELETE":
        expected = []
    assert_listed_as_described(faulty, expected)
    assert faulty.stored_ids() == sorted(expected)


def test_a_body_cut_off_mid_download_is_503_and_the_document_stays_whole(
    faulty: Deployment, proxy: FaultProxy
) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm("GetObject", Fault.RESET_MID_BODY, times=1)

    response = call(faulty, "GET", f"/documents/{document_id}/content")

    assert_unavailable(response)
    assert proxy.attempts["GetObject"] == 1  # the body is read after botocore's retry loop
    assert_intact(faulty, document_id)


def test_a_download_corrupted_in_transit_never_reaches_the_client(
    faulty: Deployment, proxy: FaultProxy
) -> None:
    """botocore checks the SHA-256 S3 returns (``ChecksumMode=ENABLED``) against the bytes it read."""
    document_id = seed(faulty, proxy)
    proxy.arm("GetObject", Fault.CORRUPT_BODY, times=1)

    response = call(faulty, "GET", f"/documents/{document_id}/content")

    assert_refused(response)
    assert_intact(faulty, document_id)


def test_an_upload_whose_answer_was_lost_is_stored_once(faulty: Deployment, proxy: FaultProxy) -> None:
    """S3 stored the object but the answer never arrived; botocore retries the conditional PutObject,
    which now finds the object: that is this upload, not an id collision, and must not be stored twice."""
    proxy.arm("PutObject", Fault.RESET_AFTER_FORWARD, times=1)

    response = upload(faulty)

    assert response["statusCode"] == 201, response["body"]
    document_id = json.loads(response["body"])["id"]
    assert faulty.listed_ids() == [document_id]
    assert len(faulty.snapshot()) == 1
    assert len(faulty.items()) == 1
    assert_intact(faulty, document_id)


def test_a_delete_whose_answer_was_lost_still_deletes(faulty: Deployment, proxy: FaultProxy) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm("DeleteObject", Fault.RESET_AFTER_FORWARD, times=1)

    response = call(faulty, "DELETE", f"/documents/{document_id}")

    assert response["statusCode"] == 204, response["body"]
    assert proxy.attempts["DeleteObject"] == 2
    assert call(faulty, "GET", f"/documents/{document_id}")["statusCode"] == 404
    assert faulty.listed_ids() == []
    assert faulty.items() == []
