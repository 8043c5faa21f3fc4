"""Unit tests of the client's pure parts: part planning, the retry policy, errors and configuration.

The retry tests drive a real ``ApiSession`` over an ``httpx.MockTransport`` (no network) with a
recorded sleep, so what is asserted is what the SDK sends and how long it would wait.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from botocore.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st

from docapi import errors
from docapi._http import ApiSession, RetryPolicy
from docapi.cli import EXIT_CODES, exit_code_for
from docapi.client import DocumentClient, content_disposition
from docapi.config import LOCAL_MODE_REGION, resolve_endpoint, resolve_region
from docapi.uploader import plan_parts
from document_processor.uploads import MAX_OBJECT_BYTES, MAX_PARTS, MIN_PART_SIZE
from document_processor.uploads import plan_parts as service_plan
from local_mode.emulator import DEFAULT_REGION as local_mode_region

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

MIB = 1024 * 1024
GIB = 1024 * MIB
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


# -- part planning ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [
        4_500_001,
        MIN_PART_SIZE,
        MIN_PART_SIZE + 1,
        256 * MIB,
        5 * GIB,
        20 * GIB,
        50_000 * MIB,
        50_000 * MIB + 1,
        1024 * GIB,
        MAX_OBJECT_BYTES,
    ],
)
def test_the_client_cuts_the_services_plan_exactly(size: int) -> None:
    # given the part size and count the service answers for this size
    plan = service_plan(size)
    # when the client plans the same file with them
    parts = plan_parts(size, plan.part_size, plan.part_count)
    # then the parts are contiguous, cover the file, and stay within S3's limits
    assert len(parts) == plan.part_count <= MAX_PARTS
    assert [part.number for part in parts] == list(range(1, plan.part_count + 1))
    assert parts[0].offset == 0
    assert all(a.offset + a.length == b.offset for a, b in itertools.pairwise(parts))
    assert parts[-1].offset + parts[-1].length == size
    assert {part.length for part in parts[:-1]} <= {plan.part_size}
    assert 1 <= parts[-1].length <= plan.part_size


@given(size=st.integers(1, 64 * GIB), part_size=st.integers(1, 6 * GIB))
def test_any_part_size_the_server_chooses_is_followed(size: int, part_size: int) -> None:
    count = -(-size // part_size)
    if count > MAX_PARTS:
        with pytest.raises(ValueError, match="above S3's 10000"):
            plan_parts(size, part_size)
        return
    parts = plan_parts(size, part_size, count)
    assert sum(part.length for part in parts) == size
    assert all(part.length == part_size for part in parts[:-1])


def test_exactly_ten_thousand_parts_is_allowed_and_one_more_is_not() -> None:
    assert len(plan_parts(10_000 * MIN_PART_SIZE, MIN_PART_SIZE)) == MAX_PARTS
    with pytest.raises(ValueError, match="10001 parts"):
        plan_parts(10_000 * MIN_PART_SIZE + 1, MIN_PART_SIZE)


def test_a_plan_that_disagrees_with_the_sessions_count_is_refused() -> None:
    with pytest.raises(ValueError, match="plans 2 parts of 5242880 bytes, but 12582912 bytes make 3"):
        plan_parts(12 * MIB, 5 * MIB, part_count=2)


# -- retry policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_retryable(status: int) -> None:
    assert RetryPolicy.retryable_status(status)


@pytest.mark.parametrize("status", [200, 201, 204, 303, 400, 401, 403, 404, 405, 409, 413, 415, 422])
def test_other_statuses_are_final(status: int) -> None:
    assert not RetryPolicy.retryable_status(status)


@pytest.mark.parametrize("retry", [1, 2, 3, 4, 5, 8, 20])
def test_backoff_stays_within_its_exponential_cap(retry: int) -> None:
    policy = RetryPolicy(max_attempts=30, base_delay=0.25, max_delay=8.0, rng=random.Random(retry))
    cap = min(8.0, 0.25 * 2 ** (retry - 1))
    delays = [policy.delay(retry) for _ in range(500)]
    assert all(0 <= delay <= cap for delay in delays)
    assert max(delays) > cap * 0.8  # full jitter uses the whole range, not a fixed step
    assert min(delays) < cap * 0.2


def test_retry_after_raises_the_delay_but_never_past_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=5.0, rng=random.Random(1))
    assert policy.delay(1, retry_after=2.0) >= 2.0
    assert policy.delay(1, retry_after=60.0) == 5.0


@pytest.mark.parametrize(
    ("max_attempts", "base", "cap"), [(0, 0.1, 1.0), (3, -1.0, 1.0), (3, 2.0, 1.0)], ids=str
)
def test_a_policy_that_makes_no_sense_is_refused(max_attempts: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=max_attempts, base_delay=base, max_delay=cap)


class Scripted:
    """A MockTransport handler answering from a script; records every request it saw."""

    def __init__(self, *answers: int | type[Exception], body: object = None) -> None:
        self._answers = list(answers)
        self._body = body if body is not None else {"items": [], "nextCursor": None}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self._answers.pop(0)
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)  # type: ignore[call-arg]
        if answer >= 400:
            body = {"error": {"code": f"code_{answer}", "message": f"status {answer}", "requestId": "req-1"}}
            return httpx.Response(answer, json=body)
        return httpx.Response(answer, json=self._body)


def session(handler: Callable[[httpx.Request], httpx.Response], sleeps: list[float]) -> ApiSession:
    return ApiSession(
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        CREDENTIALS,
        "eu-west-1",
        retry=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=4.0, rng=random.Random(7)),
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
    )


def test_5xx_and_429_are_retried_with_growing_bounded_delays() -> None:
    script, sleeps = Scripted(503, 429, 500, 200), list[float]()
    response = session(script, sleeps).request("GET", "/documents")
    assert response.status_code == 200
    assert len(script.requests) == 4
    assert len(sleeps) == 3
    assert all(0 <= delay <= cap for delay, cap in zip(sleeps, (0.5, 1.0, 2.0), strict=True))


def test_the_last_retryable_answer_becomes_a_service_unavailable_error() -> None:
    script, sleeps = Scripted(503, 503, 503, 503), list[float]()
    with pytest.raises(errors.ServiceUnavailableError) as raised:
        session(script, sleeps).request("GET", "/documents")
    assert (raised.value.status, raised.value.code, raised.value.request_id) == (503, "code_503", "req-1")
    assert len(script.requests) == 4


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.ApiError),
        (403, errors.AuthError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (413, errors.RejectedError),
        (415, errors.RejectedError),
        (422, errors.ConflictError),
    ],
)
def test_4xx_is_never_retried(status: int, cls: type[errors.ApiError]) -> None:
    script, sleeps = Scripted(status, 200), list[float]()
    with pytest.raises(cls) as raised:
        session(script, sleeps).request("GET", "/documents")
    assert type(raised.value) is cls
    assert len(script.requests) == 1
    assert sleeps == []


def test_connection_errors_are_retried_then_reported() -> None:
    script, sleeps = Scripted(httpx.ConnectError, httpx.ReadTimeout, 200), list[float]()
    assert session(script, sleeps).request("GET", "/health").status_code == 200
    script, sleeps = Scripted(*[httpx.ConnectError] * 4), list[float]()
    with pytest.raises(errors.TransportError, match="cannot reach"):
        session(script, sleeps).request("GET", "/health")
    assert len(script.requests) == 4


def test_a_retry_is_signed_again_and_resends_the_same_idempotency_key() -> None:
    script = Scripted(502, 201, body={"id": "01a23f5020562a7a55a666fd8fb4c5ec"})
    client = DocumentClient(
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        credentials=CREDENTIALS,
        retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0),
        transport=httpx.MockTransport(script),
    )
    created = client.create_document(b"%PDF-1.7", "application/pdf", filename="a.pdf")
    assert created["id"] == "01a23f5020562a7a55a666fd8fb4c5ec"
    first, second = script.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.url.path == "/prod/documents"
    for request in (first, second):
        authorization = request.headers["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert "/eu-west-1/execute-api/aws4_request" in authorization
        signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        assert {"host", "x-amz-date", "content-type", "idempotency-key", "content-disposition"} <= set(signed)


def test_non_idempotent_calls_are_sent_once() -> None:
    script, sleeps = Scripted(503, 200), list[float]()
    with pytest.raises(errors.ServiceUnavailableError):
        session(script, sleeps).request("POST", "/documents", content=b"x", retry=False)
    assert len(script.requests) == 1


# -- errors ----------------------------------------------------------------------------------------


def test_api_gateways_own_error_shape_is_read() -> None:
    response = httpx.Response(
        403,
        headers={"x-amzn-RequestId": "gw-123"},
        content=json.dumps({"message": "The security token included in the request is invalid."}).encode(),
    )
    error = errors.error_from_response(response)
    assert isinstance(error, errors.AuthError)
    assert (error.status, error.code, error.request_id) == (403, None, "gw-123")
    assert error.message == "The security token included in the request is invalid."


def test_a_body_that_is_not_json_still_gives_a_typed_error() -> None:
    error = errors.error_from_response(httpx.Response(502, content=b"<html>Bad Gateway</html>"))
    assert isinstance(error, errors.ServiceUnavailableError)
    assert error.message == "<html>Bad Gateway</html>"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.ConfigurationError("x"), 2),
        (errors.InvalidArgumentError("x"), 2),
        (errors.AuthError(403, None, "x", None), 3),
        (errors.NotFoundError(404, "not_found", "x", None), 4),
        (errors.RejectedError(415, "content_type_mismatch", "x", None), 5),
        (errors.RejectedError(0, "checksum_mismatch", "x", None), 5),
        (errors.ServiceUnavailableError(503, None, "x", None), 6),
        (errors.TransportError("x"), 6),
        (errors.IntegrityError("x"), 1),
        (errors.ConflictError(409, "invalid_upload_state", "x", None), 1),
        (KeyboardInterrupt(), 130),
    ],
)
def test_exit_codes(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code
    assert {code for _, code in EXIT_CODES} == {2, 3, 4, 5, 6}


# -- configuration ---------------------------------------------------------------------------------


def test_endpoint_argument_beats_environment_beats_stack_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"apiUrl": "https://x1.execute-api.eu-central-1.amazonaws.com/dev/"}))
    monkeypatch.delenv("DOCAPI_ENDPOINT", raising=False)
    assert resolve_endpoint(stack_outputs=outputs) == "https://x1.execute-api.eu-central-1.amazonaws.com/dev"
    monkeypatch.setenv("DOCAPI_ENDPOINT", "http://127.0.0.1:8080")
    assert resolve_endpoint(stack_outputs=outputs) == "http://127.0.0.1:8080"
    assert (
        resolve_endpoint("https://api.example.com/v1", stack_outputs=outputs) == "https://api.example.com/v1"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://api.example.com", "must use https"),
        ("ftp://127.0.0.1", "http"),
        ("https://api.example.com/?stage=1", "query"),
    ],
)
def test_unsafe_or_malformed_endpoints_are_refused(url: str, problem: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=problem):
        resolve_endpoint(url)


def test_missing_or_broken_stack_outputs_say_how_to_fix_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCAPI_ENDPOINT", raising=False)
    monkeypatch.delenv("DOCAPI_STACK_OUTPUTS", raising=False)
    with pytest.raises(errors.ConfigurationError, match="--stack-outputs"):
        resolve_endpoint()
    broken = tmp_path / "outputs.json"
    broken.write_text("{}")
    with pytest.raises(errors.ConfigurationError, match="no 'apiUrl'"):
        resolve_endpoint(stack_outputs=broken)


def test_region_comes_from_the_host_then_local_mode_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert resolve_region("https://x1.execute-api.eu-west-3.amazonaws.com/dev") == "eu-west-3"
    assert resolve_region("https://api.example.com/v1") == "ap-south-1"
    for loopback in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"):
        assert resolve_region(loopback) == LOCAL_MODE_REGION == local_mode_region
        assert resolve_region(loopback, "us-west-2") == "us-west-2"


def test_non_ascii_filenames_get_an_rfc_8187_parameter() -> None:
    assert content_disposition("report.pdf") == 'attachment; filename="report.pdf"'
    assert content_disposition('Grüße "q".txt') == (
        "attachment; filename=\"Gr__e _q_.txt\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22q%22.txt"
    )


def document_service(document: dict[str, object], content: bytes) -> DocumentClient:
    """A client whose service answers ``GET /documents/{id}`` with ``document`` and its content."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/content"):
            return httpx.Response(200, content=content, headers={"Content-Type": "text/plain"})
        return httpx.Response(200, json=document)

    return DocumentClient(
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        credentials=CREDENTIALS,
        transport=httpx.MockTransport(answer),
    )


def test_a_document_without_a_recorded_sha256_is_checked_by_size(tmp_path: Path) -> None:
    content = b"recorded before SHA-256 metadata existed\n"
    document = {"id": "a" * 32, "size": len(content), "sha256": None, "filename": "old.txt"}
    path = document_service(document, content).download("a" * 32, tmp_path / "old.txt")
    assert path.read_bytes() == content
    with pytest.raises(errors.IntegrityError, match="bytes, expected"):
        document_service({**document, "size": len(content) + 1}, content).download("a" * 32, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_target_ending_in_a_slash_is_a_directory_made_if_missing(tmp_path: Path) -> None:
    content = b"minutes\n"
    document = {"id": "b" * 32, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    client = document_service({**document, "filename": "minutes.txt"}, content)
    path = client.download("b" * 32, f"{tmp_path}/new/dir/")
    assert path == tmp_path / "new" / "dir" / "minutes.txt"
    assert path.read_bytes() == content


def test_a_downloaded_file_gets_the_usual_mode_not_the_partial_files(tmp_path: Path) -> None:
    content = b"shared notes\n"
    document = {"id": "c" * 32, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    previous = os.umask(0o022)
    try:
        path = document_service({**document, "filename": None}, content).download("c" * 32, tmp_path)
    finally:
        os.umask(previous)
    assert path.name == "c" * 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_query_is_sent_and_signed_the_way_sigv4_canonicalises_it() -> None:
    # botocore signs the query exactly as written; API Gateway decodes "+" as a space and
    # canonicalises it as %20, so a "+" for a space would be a 403 on every prefix with a space
    script = Scripted(200)
    client = DocumentClient(
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        credentials=CREDENTIALS,
        transport=httpx.MockTransport(script),
    )
    client.list_documents(prefix="annual report Ü+1/2", limit=5)
    [request] = script.requests
    assert request.url.query == b"limit=5&q=annual%20report%20%C3%9C%2B1%2F2"


def test_a_download_given_the_documents_metadata_asks_only_for_its_content(tmp_path: Path) -> None:
    content = b"fetched once\n"
    document = {"id": "d" * 32, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    paths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, content=content, headers={"Content-Type": "text/plain"})

    client = DocumentClient(
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        credentials=CREDENTIALS,
        transport=httpx.MockTransport(answer),
    )
    path = client.download("d" * 32, tmp_path / "once.txt", document={**document, "filename": None})  # type: ignore[arg-type]
    assert path.read_bytes() == content
    assert paths == [f"/prod/documents/{'d' * 32}/content"]
