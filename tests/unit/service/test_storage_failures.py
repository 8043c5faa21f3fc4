"""S3 failures injected at each call the service makes: safe 502/503 answers, nothing partial left."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from document_processor import catalogue, storage
from document_processor.documents import object_key
from document_processor.identity import normalise_principal
from document_processor.storage import (
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT_SECONDS,
    DocumentStore,
    ObjectExistsError,
)
from lib.lambda_stack import DEFAULT_TIMEOUT_SECONDS
from tests.unit.service.conftest import (
    ALICE,
    BUCKET,
    TABLE,
    Lambda,
    body_json,
    catalogue_items,
    make_event,
    object_versions,
)
from tests.unit.service.samples import make_pdf

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_SEQUENTIAL_S3_CALLS = 2
"""What the timeout budget assumes; the slowest path of each request is held to it below."""
MAX_SEQUENTIAL_CATALOGUE_CALLS_BEFORE_S3 = 1
"""An idempotent upload's claim; the catalogue writes after S3 are skipped when time runs short."""
ABSENT_ID = "a" * 32


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"secret detail about {BUCKET}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "S3Call")


FAILURES: list[tuple[Exception, int, str]] = [
    (client_error("AccessDenied", 403), 502, "storage_error"),
    (client_error("403", 403), 502, "storage_error"),
    (client_error("InvalidObjectState", 403), 502, "storage_error"),
    (client_error("SlowDown", 503), 503, "storage_unavailable"),
    (client_error("InternalError", 500), 503, "storage_unavailable"),
    (ReadTimeoutError(endpoint_url="https://s3.us-east-1.amazonaws.com"), 503, "storage_unavailable"),
    (ConnectTimeoutError(endpoint_url="https://s3.us-east-1.amazonaws.com"), 503, "storage_unavailable"),
    (EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com"), 503, "storage_unavailable"),
    (NoCredentialsError(), 502, "storage_error"),
]


class Fault:
    """Makes every ``operation`` call on ``client`` (S3 or DynamoDB) raise ``error`` until ``stop``."""

    def __init__(self, client: Any, operation: str, error: Exception) -> None:
        self.calls: list[str] = []
        self._events = client.meta.events
        self._event = f"before-call.{client.meta.service_model.endpoint_prefix}"
        self._operation, self._error = operation, error
        self._events.register(self._event, self._hook, unique_id=f"fault-{operation}")

    def _hook(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)
        if model.name == self._operation:
            raise self._error

    def stop(self) -> None:
        self._events.unregister(self._event, unique_id=f"fault-{self._operation}")


def seed(lam: Lambda) -> str:
    response = lam.call(
        make_event("POST", "/documents", headers={"Content-Type": "application/pdf"}, body=make_pdf(1))
    )
    return str(body_json(response)["id"])


def assert_safe_error(response: dict[str, Any], status: int, code: str) -> None:
    assert response["statusCode"] == status
    error = body_json(response)["error"]
    assert error["code"] == code
    assert BUCKET not in response["body"]
    assert "documents/" not in response["body"]
    assert "secret" not in response["body"]


@pytest.mark.parametrize(("error", "status", "code"), FAILURES)
def test_put_failure_leaves_nothing_behind(lam: Lambda, error: Exception, status: int, code: str) -> None:
    fault = Fault(lam.s3, "PutObject", error)

    response = lam.call(
        make_event("POST", "/documents", headers={"Content-Type": "application/pdf"}, body=make_pdf(2))
    )

    assert_safe_error(response, status, code)
    assert fault.calls == ["PutObject"]
    fault.stop()
    assert object_versions(lam.s3) == []
    assert catalogue_items(lam.dynamodb) == []
    assert any(line.get("S3Errors") == 1 for line in lam.lines())


@pytest.mark.parametrize(("error", "status", "code"), FAILURES)
@pytest.mark.parametrize(
    ("method", "suffix", "operation"),
    [
        ("GET", "", "HeadObject"),
        ("GET", "/content", "GetObject"),
        ("DELETE", "", "HeadObject"),
        ("DELETE", "", "DeleteObject"),
    ],
)
def test_read_and_delete_failures_keep_the_document(
    lam: Lambda, error: Exception, status: int, code: str, method: str, suffix: str, operation: str
) -> None:
    document_id = seed(lam)
    fault = Fault(lam.s3, operation, error)

    response = lam.call(make_event(method, f"/documents/{document_id}{suffix}"))

    assert_safe_error(response, status, code)
    fault.stop()
    key = object_key(normalise_principal(ALICE), document_id)
    assert lam.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == len(make_pdf(1))


@pytest.mark.parametrize(
    ("method", "suffix", "operation"),
    [("GET", "", "HeadObject"), ("GET", "/content", "GetObject"), ("DELETE", "", "HeadObject")],
)
@pytest.mark.parametrize("denial", [client_error("403", 403), client_error("AccessDenied", 403)])
def test_a_403_for_an_absent_key_is_a_404(
    lam: Lambda, method: str, suffix: str, operation: str, denial: ClientError
) -> None:
    # S3 answers 403 for a missing key unless the caller may list the bucket without a prefix condition.
    fault = Fault(lam.s3, operation, denial)

    response = lam.call(make_event(method, f"/documents/{'a' * 32}{suffix}"))

    assert response["statusCode"] == 404
    assert body_json(response)["error"]["code"] == "not_found"
    assert fault.calls == [operation, "ListObjectsV2"]


def test_a_403_that_listing_cannot_explain_is_a_storage_error(lam: Lambda) -> None:
    Fault(lam.s3, "HeadObject", client_error("403", 403))
    Fault(lam.s3, "ListObjectsV2", client_error("AccessDenied", 403))

    assert_safe_error(lam.call(make_event("GET", f"/documents/{'a' * 32}")), 502, "storage_error")


CATALOGUE_FAILURES: list[tuple[Exception, int, str]] = [
    (client_error("AccessDeniedException", 400), 502, "storage_error"),
    (client_error("ResourceNotFoundException", 400), 502, "storage_error"),
    (client_error("ValidationException", 400), 502, "storage_error"),
    (client_error("ProvisionedThroughputExceededException", 400), 503, "storage_unavailable"),
    (client_error("ThrottlingException", 400), 503, "storage_unavailable"),
    (client_error("RequestLimitExceeded", 400), 503, "storage_unavailable"),
    (client_error("InternalServerError", 500), 503, "storage_unavailable"),
    (ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"), 503, "storage_unavailable"),
    (
        ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        503,
        "storage_unavailable",
    ),
    (NoCredentialsError(), 502, "storage_error"),
]


@pytest.mark.parametrize(("error", "status", "code"), CATALOGUE_FAILURES)
def test_list_failure_is_a_safe_error(lam: Lambda, error: Exception, status: int, code: str) -> None:
    Fault(lam.dynamodb, "Query", error)

    response = lam.call(make_event("GET", "/documents"))

    assert_safe_error(response, status, code)
    assert TABLE not in response["body"]
    assert "OWNER#" not in response["body"]
    assert any(line.get("CatalogueErrors") == 1 for line in lam.lines())
    assert not any("S3Errors" in line for line in lam.lines())


def test_client_timeouts_and_retries_end_well_before_the_function_timeout(lam: Lambda) -> None:
    worst_backoff = 1.0  # standard mode: the first retry waits a random 0-1 s
    s3, dynamodb = lam.s3.meta.config, lam.dynamodb.meta.config

    assert (s3.connect_timeout, s3.read_timeout) == (
        DEFAULT_CONNECT_TIMEOUT_SECONDS,
        DEFAULT_READ_TIMEOUT_SECONDS,
    )
    assert s3.retries == {"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}
    assert (dynamodb.connect_timeout, dynamodb.read_timeout) == (
        catalogue.DEFAULT_CONNECT_TIMEOUT_SECONDS,
        catalogue.DEFAULT_READ_TIMEOUT_SECONDS,
    )
    assert dynamodb.retries == {"mode": "standard", "total_max_attempts": catalogue.DEFAULT_MAX_ATTEMPTS}
    worst_s3_call = DEFAULT_MAX_ATTEMPTS * (s3.connect_timeout + s3.read_timeout) + worst_backoff
    worst_catalogue_call = (
        catalogue.DEFAULT_MAX_ATTEMPTS * (dynamodb.connect_timeout + dynamodb.read_timeout) + worst_backoff
    )
    assert worst_catalogue_call == catalogue.WORST_CALL_SECONDS
    # What every request must do before it can answer: an idempotent upload's claim, then S3. The
    # catalogue writes after a stored object are skipped when they no longer fit (tested below).
    must_do = (
        MAX_SEQUENTIAL_CATALOGUE_CALLS_BEFORE_S3 * worst_catalogue_call
        + MAX_SEQUENTIAL_S3_CALLS * worst_s3_call
    )
    assert must_do < DEFAULT_TIMEOUT_SECONDS - 2


def record_calls(client: Any) -> list[str]:
    """The operations ``client`` (S3 or DynamoDB) sends from now on, in order (nothing is changed)."""
    calls: list[str] = []
    client.meta.events.register(
        f"before-call.{client.meta.service_model.endpoint_prefix}",
        lambda model, **_: calls.append(model.name),
        unique_id="record-calls",
    )
    return calls


def lose_put_answer(client: Any) -> None:
    """Every PutObject is stored, then its answer is lost: botocore's retry gets 412, as from S3."""

    def hook(**_: Any) -> None:
        raise _precondition_failed(retry_attempts=1)

    client.meta.events.register("after-call.s3.PutObject", hook, unique_id="lose-put-answer")


def deny(operation: str) -> Callable[[Any], object]:
    return lambda client: Fault(client, operation, client_error("AccessDenied", 403))


@pytest.mark.parametrize(
    ("method", "path", "headers", "arrange", "calls", "catalogue_calls", "status"),
    [
        pytest.param(
            "POST",
            "/documents",
            {},
            lose_put_answer,
            ["PutObject", "HeadObject"],
            ["PutItem"],
            201,
            id="upload, answer lost",
        ),
        pytest.param(
            "POST",
            "/documents",
            {"Idempotency-Key": "k-1"},
            lose_put_answer,
            ["PutObject", "HeadObject", "HeadObject"],
            ["PutItem", "PutItem", "UpdateItem"],
            201,
            id="idempotent upload, answer lost",
        ),
        pytest.param(
            "GET",
            f"/documents/{ABSENT_ID}",
            {},
            deny("HeadObject"),
            ["HeadObject", "ListObjectsV2"],
            [],
            404,
            id="get, 403",
        ),
        pytest.param(
            "GET",
            f"/documents/{ABSENT_ID}/content",
            {},
            deny("GetObject"),
            ["GetObject", "ListObjectsV2"],
            [],
            404,
            id="download, 403",
        ),
        pytest.param(
            "DELETE",
            f"/documents/{ABSENT_ID}",
            {},
            deny("HeadObject"),
            ["HeadObject", "ListObjectsV2"],
            [],
            404,
            id="delete, 403",
        ),
        pytest.param(
            "DELETE",
            "/documents/{seeded}",
            {},
            None,
            ["HeadObject", "DeleteObject"],
            ["DeleteItem"],
            204,
            id="delete",
        ),
        pytest.param("GET", "/documents", {}, None, [], ["Query"], 200, id="list"),
    ],
)
def test_no_request_makes_more_calls_in_sequence_than_the_budget(
    lam: Lambda,
    method: str,
    path: str,
    headers: dict[str, str],
    arrange: Callable[[Any], object] | None,
    calls: list[str],
    catalogue_calls: list[str],
    status: int,
) -> None:
    # The slowest path of each request: what the timeout budget above has to cover.
    path = path.replace("{seeded}", seed(lam))
    recorded = record_calls(lam.s3)  # before ``arrange``: a fault's hook raises before later hooks run
    recorded_catalogue = record_calls(lam.dynamodb)
    if arrange is not None:
        arrange(lam.s3)
    body = make_pdf(1) if method == "POST" else None
    if body:
        headers = {"Content-Type": "application/pdf", **headers}

    response = lam.call(make_event(method, path, headers=headers or None, body=body))

    assert response["statusCode"] == status
    assert recorded == calls
    assert recorded_catalogue == catalogue_calls
    # An idempotent upload's last HeadObject is the second look after its item write, made only when
    # it still fits in the invocation (tested below), so it is not part of what must fit.
    must_fit = recorded[:-1] if method == "POST" and "Idempotency-Key" in headers else recorded
    assert len(must_fit) <= MAX_SEQUENTIAL_S3_CALLS
    before_s3 = recorded_catalogue[: len(recorded_catalogue) - 2] if method == "POST" else []
    assert len(before_s3) <= MAX_SEQUENTIAL_CATALOGUE_CALLS_BEFORE_S3


def test_the_second_look_after_an_idempotent_item_write_is_skipped_when_it_no_longer_fits(
    lam: Lambda,
) -> None:
    # Time for the claim, the object and the item, but not for one more S3 call after them.
    recorded = record_calls(lam.s3)
    remaining = catalogue.WORST_CALL_SECONDS + storage.WORST_CALL_SECONDS + 0.5
    context = SlowContext(remaining_ms=int(remaining * 1000))
    headers = {"Content-Type": "text/plain", "Idempotency-Key": "k-second-look"}
    event = make_event("POST", "/documents", headers=headers, body=b"late")

    response = lam.app.handle(event, context)

    assert response["statusCode"] == 201
    assert recorded == ["PutObject"]
    assert len(catalogue_items(lam.dynamodb)) == 1


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "k-late"}])
def test_catalogue_writes_are_skipped_when_they_no_longer_fit(lam: Lambda, headers: dict[str, str]) -> None:
    # S3 took most of the invocation: one more catalogue call might outlast it, so it is not made.
    recorded = record_calls(lam.dynamodb)
    context = SlowContext(remaining_ms=int((catalogue.WORST_CALL_SECONDS + 0.5) * 1000))
    event = make_event("POST", "/documents", headers={"Content-Type": "text/plain", **headers}, body=b"late")

    response = lam.app.handle(event, context)

    assert response["statusCode"] == 201
    assert recorded == (["PutItem"] if headers else [])  # only the claim, made before S3
    assert catalogue_items(lam.dynamodb) == []
    assert len(object_versions(lam.s3)) == 1
    assert any(line.get("CatalogueWriteFailures") == 1 for line in lam.lines())


def test_a_delete_skips_the_catalogue_when_it_no_longer_fits(lam: Lambda) -> None:
    document_id = seed(lam)
    recorded = record_calls(lam.dynamodb)
    context = SlowContext(remaining_ms=int(catalogue.WORST_CALL_SECONDS * 1000))

    response = lam.app.handle(make_event("DELETE", f"/documents/{document_id}"), context)

    assert response["statusCode"] == 204
    assert recorded == []
    assert len(catalogue_items(lam.dynamodb)) == 1  # the orphan the reconciler removes


class SlowContext:
    """A Lambda context whose invocation is nearly over."""

    aws_request_id = "slow-request"

    def __init__(self, *, remaining_ms: int) -> None:
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


def test_an_upload_whose_answer_was_lost_is_stored_once(lam: Lambda) -> None:
    lose_put_answer(lam.s3)

    response = lam.call(
        make_event("POST", "/documents", headers={"Content-Type": "application/pdf"}, body=make_pdf(1))
    )

    assert response["statusCode"] == 201
    assert len(object_versions(lam.s3)) == 1


def test_a_denied_check_after_a_lost_put_answer_is_a_storage_error_without_listing(lam: Lambda) -> None:
    # The 412 proved the key exists, so a 403 to the HeadObject is a real denial, not a missing key.
    lose_put_answer(lam.s3)
    fault = Fault(lam.s3, "HeadObject", client_error("AccessDenied", 403))

    response = lam.call(
        make_event("POST", "/documents", headers={"Content-Type": "application/pdf"}, body=make_pdf(1))
    )

    assert_safe_error(response, 502, "storage_error")
    assert fault.calls == ["PutObject", "HeadObject"]


def _precondition_failed(*, retry_attempts: int) -> ClientError:
    response: Any = {
        "Error": {"Code": "PreconditionFailed", "Message": "At least one of the pre-conditions did not hold"},
        "ResponseMetadata": {"HTTPStatusCode": 412, "RetryAttempts": retry_attempts},
    }
    return ClientError(response, "PutObject")


@pytest.mark.parametrize(
    ("retry_attempts", "same_write", "outcome"),
    [(1, True, "stored"), (1, False, "exists"), (0, True, "exists")],
)
def test_a_retried_put_that_finds_its_own_object_is_a_success(
    s3: Any, retry_attempts: int, same_write: bool, outcome: str
) -> None:
    # An earlier attempt stored the object but its answer was lost; botocore's retry then gets 412.
    store = DocumentStore(s3, BUCKET)
    checksum = base64.b64encode(hashlib.sha256(b"body").digest()).decode()
    metadata = {"owner": "arn:aws:iam::111122223333:user/bob"}
    s3.put_object(
        Bucket=BUCKET,
        Key="documents/k/1",
        Body=b"body" if same_write else b"other",
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=checksum
        if same_write
        else base64.b64encode(hashlib.sha256(b"other").digest()).decode(),
        Metadata=metadata,
    )
    fault = Fault(s3, "PutObject", _precondition_failed(retry_attempts=retry_attempts))

    if outcome == "stored":
        store.put_new(
            "documents/k/1", b"body", content_type="text/plain", checksum_sha256=checksum, metadata=metadata
        )
    else:
        with pytest.raises(ObjectExistsError):
            store.put_new(
                "documents/k/1",
                b"body",
                content_type="text/plain",
                checksum_sha256=checksum,
                metadata=metadata,
            )

    fault.stop()
    assert len(object_versions(s3)) == 1


def test_a_retried_put_whose_object_is_gone_is_not_taken_for_this_write(s3: Any) -> None:
    # The 412 said something was at the key; if it is gone by the check, it cannot be proved to be ours.
    Fault(s3, "PutObject", _precondition_failed(retry_attempts=1))

    with pytest.raises(ObjectExistsError):
        DocumentStore(s3, BUCKET).put_new(
            "documents/k/1", b"body", content_type="text/plain", checksum_sha256="x", metadata={}
        )

    assert object_versions(s3) == []
