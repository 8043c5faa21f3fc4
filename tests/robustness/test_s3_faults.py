"""S3 failures on real sockets at every S3 call the handler makes: the documented answer, bounded
retries (attempts counted at the proxy), and nothing half-written visible through the API afterwards.

The client is the service's own (``create_s3_client``: standard retry mode, ``DEFAULT_MAX_ATTEMPTS``),
with a short read timeout so a stall costs a fraction of a second. Standard mode's random backoff is
set to zero: the number of attempts is under test, the jitter would only add wall time.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.retries import standard

from document_processor.storage import DEFAULT_MAX_ATTEMPTS, create_s3_client
from tests.robustness.checks import assert_error_body
from tests.robustness.conftest import Deployment, deploy, fresh_bucket
from tests.robustness.fault_proxy import Fault, FaultProxy
from tests.unit.service.conftest import ALICE, make_event

if TYPE_CHECKING:
    from collections.abc import Iterator

    from local_mode.emulator import S3Emulator

TEST_READ_TIMEOUT_SECONDS = 0.3
RETRIED_FAULTS = (Fault.SLOW_DOWN, Fault.INTERNAL_ERROR, Fault.READ_TIMEOUT, Fault.CONNECTION_RESET)
"""Each is transient: standard mode retries it, then the service answers 503 storage_unavailable."""
TEXT = "Fault-injection document.\n" * 200


@pytest.fixture
def proxy(emulator: S3Emulator) -> Iterator[FaultProxy]:
    with FaultProxy(emulator.endpoint_url, stall_seconds=TEST_READ_TIMEOUT_SECONDS * 4) as running:
        yield running


@pytest.fixture
def faulty(
    monkeypatch: pytest.MonkeyPatch, aws_environment: str, emulator: S3Emulator, proxy: FaultProxy
) -> Deployment:
    """The application whose S3 client goes through the proxy (inspection goes straight to moto)."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    bucket = fresh_bucket(emulator)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    client = create_s3_client(read_timeout=TEST_READ_TIMEOUT_SECONDS)
    return deploy(emulator, bucket, client=client)


def call(deployment: Deployment, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return deployment.call(make_event(method, path, caller=ALICE, **kwargs))


def upload(deployment: Deployment) -> dict[str, Any]:
    return call(deployment, "POST", "/documents", headers={"Content-Type": "text/plain"}, body=TEXT.encode())


def seed(deployment: Deployment, proxy: FaultProxy) -> str:
    """One document stored without faults; the proxy's counts start from zero afterwards."""
    response = upload(deployment)
    assert response["statusCode"] == 201, response["body"]
    proxy.reset_counts()
    return str(json.loads(response["body"])["id"])


def assert_unavailable(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 503, response["body"]
    assert_error_body(response["body"], "storage_unavailable")


def assert_intact(deployment: Deployment, document_id: str) -> None:
    """The document reads back whole: same bytes, same SHA-256 as stored, metadata consistent."""
    download = call(deployment, "GET", f"/documents/{document_id}/content")
    assert download["statusCode"] == 200, download["body"]
    assert base64.b64decode(download["body"]) == TEXT.encode()
    described = json.loads(call(deployment, "GET", f"/documents/{document_id}")["body"])
    assert described["sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()
    assert described["size"] == len(TEXT.encode())


def listed_ids(deployment: Deployment) -> list[str]:
    response = call(deployment, "GET", "/documents", query={"limit": "100"})
    assert response["statusCode"] == 200, response["body"]
    return [item["id"] for item in json.loads(response["body"])["items"]]


@pytest.mark.parametrize("fault", RETRIED_FAULTS, ids=lambda fault: fault.name)
def test_upload_fault_is_503_after_bounded_retries_and_stores_nothing(
    faulty: Deployment, proxy: FaultProxy, fault: Fault
) -> None:
    before = faulty.snapshot()
    proxy.arm("PutObject", fault)

    response = upload(faulty)

    assert_unavailable(response)
    assert proxy.attempts["PutObject"] == DEFAULT_MAX_ATTEMPTS
    proxy.disarm()
    assert faulty.snapshot() == before
    assert listed_ids(faulty) == []


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
    proxy.disarm()
    assert_intact(faulty, document_id)
    assert listed_ids(faulty) == [document_id]


@pytest.mark.parametrize("fault", RETRIED_FAULTS, ids=lambda fault: fault.name)
def test_list_fault_is_503_after_bounded_retries(faulty: Deployment, proxy: FaultProxy, fault: Fault) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm("ListObjectsV2", fault)

    assert_unavailable(call(faulty, "GET", "/documents"))

    assert proxy.attempts["ListObjectsV2"] == DEFAULT_MAX_ATTEMPTS
    proxy.disarm()
    assert listed_ids(faulty) == [document_id]


@pytest.mark.parametrize(
    ("operation", "method", "suffix"),
    [
        ("PutObject", "POST", ""),
        ("HeadObject", "GET", ""),
        ("GetObject", "GET", "/content"),
        ("ListObjectsV2", "GET", ""),
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
        path = "/documents" if operation == "ListObjectsV2" else f"/documents/{document_id}{suffix}"
        response = call(faulty, method, path)
        expected_status = 200

    assert response["statusCode"] == expected_status, response["body"]
    assert proxy.attempts[operation] == 2


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

    assert response["statusCode"] == 502, response["body"][:200]
    assert_error_body(response["body"], "storage_error")
    assert_intact(faulty, document_id)


def test_an_upload_whose_answer_was_lost_is_stored_once(faulty: Deployment, proxy: FaultProxy) -> None:
    """S3 stored the object but the answer never arrived; botocore retries the conditional PutObject,
    which now finds the object: that is this upload, not an id collision, and must not be stored twice."""
    proxy.arm("PutObject", Fault.RESET_AFTER_FORWARD, times=1)

    response = upload(faulty)

    assert response["statusCode"] == 201, response["body"]
    document_id = json.loads(response["body"])["id"]
    assert listed_ids(faulty) == [document_id]
    assert len(faulty.snapshot()) == 1
    assert_intact(faulty, document_id)


def test_a_delete_whose_answer_was_lost_still_deletes(faulty: Deployment, proxy: FaultProxy) -> None:
    document_id = seed(faulty, proxy)
    proxy.arm("DeleteObject", Fault.RESET_AFTER_FORWARD, times=1)

    response = call(faulty, "DELETE", f"/documents/{document_id}")

    assert response["statusCode"] == 204, response["body"]
    assert proxy.attempts["DeleteObject"] == 2
    assert call(faulty, "GET", f"/documents/{document_id}")["statusCode"] == 404
    assert listed_ids(faulty) == []
