"""The /uploads routes through the handler, against moto (S3 multipart uploads on an ingest bucket, the
catalogue's sessions): parts really uploaded through the presigned URLs (checked by the independent SigV4
verifier of test_presign), every 4xx before anything is created, owner scoping, each state's answer,
idempotent replays, completes retried after their S3 step, idempotent aborts, and the listing's cursors."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
import yaml

from document_processor import catalogue, storage, upload_service
from document_processor.catalogue import Catalogue
from document_processor.identity import normalise_principal
from document_processor.uploads import MIB, SESSION_LIFETIME_SECONDS, UploadError, UploadStatus, ingest_key
from document_processor.validation import cursor_binding, encode_cursor
from lib.lambda_stack import DEFAULT_TIMEOUT_SECONDS
from tests.unit.service.conftest import ALICE, BOB, TABLE, Lambda, body_json, build_lambda, make_event
from tests.unit.service.test_presign import headers_sent, query_of, verify_sigv4_url
from tests.unit.service.test_storage_failures import Fault, client_error, record_calls

if TYPE_CHECKING:
    from collections.abc import Iterator

INGEST = "test-ingest-bucket"
ALICE_KEY = normalise_principal(ALICE).owner_key
SECRET = "testing"
"""The secret key of the fake credentials (conftest), which sign every URL here."""
ABSENT_ID = "a" * 32
OPENAPI = Path(__file__).resolve().parents[3] / "openapi.yaml"


@pytest.fixture
def ingest(s3: Any) -> Iterator[Any]:
    s3.create_bucket(Bucket=INGEST)
    yield s3
    for upload in s3.list_multipart_uploads(Bucket=INGEST).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=INGEST, Key=upload["Key"], UploadId=upload["UploadId"])
    for entry in s3.list_objects_v2(Bucket=INGEST).get("Contents", []):
        s3.delete_object(Bucket=INGEST, Key=entry["Key"])
    s3.delete_bucket(Bucket=INGEST)


@pytest.fixture
def lam(ingest: Any, dynamodb: Any) -> Lambda:
    return build_lambda(ingest, dynamodb, INGEST_BUCKET=INGEST)


def pdf_bytes(size: int) -> bytes:
    head = b"%PDF-1.7\n"
    return head + bytes(range(256)) * ((size - len(head)) // 256) + b"x" * ((size - len(head)) % 256)


def declaration(data: bytes, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "filename": "Scan Ärger.pdf",
        "contentType": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    body.update(changes)
    return body


def call(
    lam: Lambda,
    method: str,
    path: str,
    body: object = None,
    *,
    caller: str = ALICE,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | list[tuple[str, str]] | None = None,
    version: str = "1.0",
) -> dict[str, Any]:
    raw = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return lam.call(
        make_event(method, path, caller=caller, headers=headers, body=raw, query=query, version=version)
    )


def start(lam: Lambda, data: bytes, **kwargs: Any) -> dict[str, Any]:
    response = call(lam, "POST", "/uploads", declaration(data), **kwargs)
    assert response["statusCode"] == 201, response["body"]
    return dict(body_json(response))


def put_parts(session: dict[str, Any], data: bytes, parts: list[dict[str, Any]] | None = None) -> list[str]:
    """PUT each part's bytes to its URL (as a client does), each request first checked as S3 would (moto
    checks no signature); the ETags S3 answered."""
    etags = []
    size = session["partSize"]
    with requests.Session() as http:
        for part in parts if parts is not None else session["parts"]:
            number = part["partNumber"]
            request = requests.Request(
                "PUT", part["url"], data=data[(number - 1) * size : number * size], headers=part["headers"]
            ).prepare()
            verdict = verify_sigv4_url(
                "PUT", part["url"], headers_sent(request), secret=SECRET, now=datetime.now(UTC)
            )
            assert verdict.ok, verdict
            response = http.send(request, timeout=30)
            assert response.status_code == 200
            etags.append(response.headers["ETag"])
    return etags


def sent(part: dict[str, Any], length: int) -> dict[str, str]:
    """The headers a client sends with a ``length``-byte PUT to ``part``'s URL."""
    return {**part["headers"], "content-length": str(length)}


def completion(etags: list[str], checksums: list[str] | None = None) -> dict[str, Any]:
    parts = [{"partNumber": number, "etag": etag} for number, etag in enumerate(etags, start=1)]
    for part, checksum in zip(parts, checksums or [], strict=False):
        part["checksumSha256"] = checksum
    return {"parts": parts}


def multipart_uploads(s3: Any) -> list[dict[str, Any]]:
    uploads: list[dict[str, Any]] = s3.list_multipart_uploads(Bucket=INGEST).get("Uploads", [])
    return uploads


def sessions(lam: Lambda) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = lam.dynamodb.scan(TableName=TABLE).get("Items", [])
    return [item for item in items if item["sk"]["S"].startswith("UPLOAD#")]


def assert_error(response: dict[str, Any], status: int, code: str, message: str | None = None) -> str:
    assert response["statusCode"] == status, response["body"]
    error = body_json(response)["error"]
    assert set(error) == {"code", "message", "requestId"}
    assert error["code"] == code
    if message is not None:
        assert error["message"] == message
    assert INGEST not in response["body"]
    assert "ingest/" not in response["body"]
    return str(error["message"])


def move(lam: Lambda, upload_id: str, *path: UploadStatus) -> None:
    """Walk the session along ``path`` (as the complete, the processor or a DELETE would)."""
    shelf = Catalogue(lam.dynamodb, TABLE)
    current = UploadStatus.AWAITING_PARTS
    for target in path:
        extra: dict[str, Any] = {}
        if target is UploadStatus.REJECTED:
            extra["error"] = UploadError("checksum_mismatch", "The SHA-256 differs.")
        if target is UploadStatus.STORED:
            extra["document_id"] = upload_id
        shelf.transition_session(ALICE_KEY, upload_id, [current], target, now=time.time(), **extra)
        current = target


def expire(lam: Lambda) -> None:
    assert lam.app.uploads is not None
    lam.app.uploads._clock = lambda: time.time() + SESSION_LIFETIME_SECONDS + 1


# --- the whole flow -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_a_large_upload_goes_up_through_its_part_urls_and_completes(lam: Lambda, version: str) -> None:
    data = pdf_bytes(6 * MIB + 123)

    created = call(lam, "POST", "/uploads", declaration(data), version=version)

    assert created["statusCode"] == 201
    session = body_json(created)
    expected_location = f"/dev/uploads/{session['id']}" if version == "1.0" else f"/uploads/{session['id']}"
    assert created["headers"]["Location"] == expected_location
    assert "Idempotent-Replayed" not in created["headers"]
    assert {key: session[key] for key in ("status", "filename", "size", "partSize", "partCount")} == {
        "status": "awaiting-parts",
        "filename": "Scan Ärger.pdf",
        "size": len(data),
        "partSize": 5 * MIB,
        "partCount": 2,
    }
    assert session["partChecksums"] is False
    assert [part["partNumber"] for part in session["parts"]] == [1, 2]
    now = datetime.now(UTC)
    lengths = [5 * MIB, len(data) - 5 * MIB]
    assert [
        verify_sigv4_url("PUT", p["url"], sent(p, length), secret=SECRET, now=now).ok
        for p, length in zip(session["parts"], lengths, strict=True)
    ] == [True, True]
    [upload] = multipart_uploads(lam.s3)
    assert upload["Key"] == ingest_key(ALICE_KEY, session["id"])

    etags = put_parts(session, data)
    read = body_json(call(lam, "GET", f"/uploads/{session['id']}", version=version))
    assert read["partsReceived"] == [
        {"partNumber": 1, "etag": etags[0], "size": 5 * MIB},
        {"partNumber": 2, "etag": etags[1], "size": len(data) - 5 * MIB},
    ]
    completed = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags), version=version)

    assert completed["statusCode"] == 202
    assert body_json(completed)["status"] == "processing"
    stored = lam.s3.get_object(Bucket=INGEST, Key=ingest_key(ALICE_KEY, session["id"]))
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "application/pdf"
    assert multipart_uploads(lam.s3) == []
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["partsReceived"] == []
    metrics = [line for line in lam.lines() if line.get("route", "").startswith("/uploads")]
    assert metrics[0]["UploadsStarted"] == 1
    assert metrics[0]["uploadId"] == session["id"]
    assert metrics[-2]["UploadsCompleted"] == 1
    assert metrics[-2]["uploadStatus"] == "processing"


def test_more_part_urls_are_signed_on_request_just_for_those_parts(lam: Lambda) -> None:
    session = start(lam, pdf_bytes(12 * MIB))

    response = call(lam, "POST", f"/uploads/{session['id']}/parts", {"partNumbers": [3, 1]})

    assert response["statusCode"] == 200
    parts = body_json(response)["parts"]
    assert [part["partNumber"] for part in parts] == [3, 1]
    assert all(part["headers"] == {} for part in parts)
    assert all(f"partNumber={part['partNumber']}" in part["url"] for part in parts)
    assert lam.lines()[-1]["PartUrlsSigned"] == 2


@pytest.mark.parametrize("checksums", [False, True])
def test_each_part_url_admits_only_that_parts_planned_length(lam: Lambda, checksums: bool) -> None:
    """A URL signs its part's exact length (partSize; the last part the rest): a PUT of any other
    length, however large, is refused by S3's signature check (here the independent verifier)."""
    data = pdf_bytes(2 * 5 * MIB + 7)
    session = (
        start(lam, data)
        if not checksums
        else body_json(call(lam, "POST", "/uploads", declaration(data, partChecksums=True)))
    )
    asked: dict[str, Any] = {"partNumbers": [3, 1, 2]}
    if checksums:
        chunks = [data[10 * MIB :], data[: 5 * MIB], data[5 * MIB : 10 * MIB]]
        asked["checksums"] = [base64.b64encode(hashlib.sha256(chunk).digest()).decode() for chunk in chunks]
    parts = body_json(call(lam, "POST", f"/uploads/{session['id']}/parts", asked))["parts"]
    now = datetime.now(UTC)

    for part, length in zip(parts, [7, 5 * MIB, 5 * MIB], strict=True):
        assert "content-length" in query_of(part["url"])["X-Amz-SignedHeaders"].split(";")
        assert "content-length" not in {name.lower() for name in part["headers"]}  # HTTP clients send it
        assert verify_sigv4_url("PUT", part["url"], sent(part, length), secret=SECRET, now=now).ok
        for other in (length - 1, length + 1, 5 * 1024**3):
            assert verify_sigv4_url("PUT", part["url"], sent(part, other), secret=SECRET, now=now) == (
                False,
                "signature does not match",
            )
    if not checksums:
        first = session["parts"]
        assert verify_sigv4_url("PUT", first[2]["url"], sent(first[2], 7), secret=SECRET, now=now).ok
        assert not verify_sigv4_url(
            "PUT", first[2]["url"], sent(first[2], 5 * MIB), secret=SECRET, now=now
        ).ok


def test_part_checksums_are_signed_in_when_the_session_asks_for_them(lam: Lambda) -> None:
    data = pdf_bytes(5 * MIB + 10)
    created = call(lam, "POST", "/uploads", declaration(data, partChecksums=True))
    session = body_json(created)
    assert (created["statusCode"], session["parts"], session["partChecksums"]) == (201, [], True)
    chunks = [data[: 5 * MIB], data[5 * MIB :]]
    checksums = [base64.b64encode(hashlib.sha256(chunk).digest()).decode() for chunk in chunks]
    unsigned = call(lam, "POST", f"/uploads/{session['id']}/parts", {"partNumbers": [1, 2]})
    assert_error(unsigned, 400, "invalid_part")

    signed = call(
        lam, "POST", f"/uploads/{session['id']}/parts", {"partNumbers": [1, 2], "checksums": checksums}
    )

    parts = body_json(signed)["parts"]
    assert parts[0]["headers"]["x-amz-checksum-sha256"] == checksums[0]
    assert verify_sigv4_url(
        "PUT", parts[1]["url"], sent(parts[1], 10), secret=SECRET, now=datetime.now(UTC)
    ).ok
    etags = put_parts(session, data, parts)
    without = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))
    assert_error(without, 400, "invalid_part")
    completed = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags, checksums))
    assert (completed["statusCode"], body_json(completed)["status"]) == (202, "processing")


# --- bad requests: answered before anything exists ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "empty_body"),
        (b"[1, 2]", 400, "invalid_request"),
        (b'{"filename": "a.pdf"', 400, "invalid_request"),
        ({"filename": "a.pdf", "contentType": "application/pdf", "size": 10}, 400, "invalid_request"),
        ({**declaration(b"%PDF-1.7"), "extra": 1}, 400, "invalid_request"),
        ({**declaration(b"%PDF-1.7"), "size": 0}, 400, "invalid_request"),
        ({**declaration(b"%PDF-1.7"), "sha256": "AB" * 32}, 400, "invalid_sha256"),
        ({**declaration(b"%PDF-1.7"), "partChecksums": "yes"}, 400, "invalid_request"),
        ({**declaration(b"%PDF-1.7"), "size": 5 * 1024**3 + 1}, 413, "document_too_large"),
        ({**declaration(b"%PDF-1.7"), "contentType": "video/mp4"}, 415, "unsupported_content_type"),
        ({**declaration(b"x"), "contentType": "text/plain; charset=latin-1"}, 415, "invalid_text_encoding"),
    ],
)
def test_a_bad_declaration_creates_nothing(lam: Lambda, body: object, status: int, code: str) -> None:
    s3_calls, catalogue_calls = record_calls(lam.s3), record_calls(lam.dynamodb)

    response = call(lam, "POST", "/uploads", body, headers={"Idempotency-Key": "key-1"})

    assert_error(response, status, code)
    assert s3_calls == catalogue_calls == []
    assert multipart_uploads(lam.s3) == []
    assert lam.dynamodb.scan(TableName=TABLE)["Items"] == []  # no session, and the key not used up


def test_the_size_limit_is_the_configured_one(ingest: Any, dynamodb: Any) -> None:
    small = build_lambda(ingest, dynamodb, INGEST_BUCKET=INGEST, MAX_UPLOAD_BYTES=str(10 * MIB))

    assert call(small, "POST", "/uploads", declaration(pdf_bytes(10 * MIB)))["statusCode"] == 201
    too_large = call(small, "POST", "/uploads", declaration(pdf_bytes(10 * MIB + 1)))
    assert_error(
        too_large, 413, "document_too_large", f"The document is larger than the {10 * MIB}-byte limit."
    )


def test_a_json_body_is_read_plain_or_base64_and_bad_base64_is_a_400(lam: Lambda) -> None:
    plain = lam.call(
        make_event("POST", "/uploads", body=json.dumps(declaration(pdf_bytes(100))), base64_body=False)
    )
    assert plain["statusCode"] == 201
    event = make_event("POST", "/uploads", body=b"{}")
    event["body"] = "not base64!"
    assert_error(lam.call(event), 400, "invalid_base64")


def test_without_an_ingest_bucket_uploads_are_a_configuration_error(s3: Any, dynamodb: Any) -> None:
    plain = build_lambda(s3, dynamodb)

    response = call(plain, "POST", "/uploads", declaration(pdf_bytes(100)))

    assert_error(
        response, 500, "configuration_error", "Large uploads are not configured (INGEST_BUCKET is not set)."
    )
    assert_error(call(plain, "GET", "/uploads"), 500, "configuration_error")


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("DELETE", ""), ("POST", "/parts"), ("POST", "/complete")]
)
def test_an_invalid_upload_id_is_a_400(lam: Lambda, method: str, suffix: str) -> None:
    assert_error(call(lam, method, f"/uploads/NOT-AN-ID{suffix}", {}), 400, "invalid_id")


# --- owner scoping --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("DELETE", "", None),
        ("POST", "/parts", {"partNumbers": [1]}),
        ("POST", "/complete", {"parts": [{"partNumber": 1, "etag": '"e"'}]}),
    ],
)
def test_another_callers_session_is_not_found_like_an_absent_one(
    lam: Lambda, method: str, suffix: str, body: object
) -> None:
    session = start(lam, pdf_bytes(100))
    s3_calls = record_calls(lam.s3)

    theirs = call(lam, method, f"/uploads/{session['id']}{suffix}", body, caller=BOB)
    absent = call(lam, method, f"/uploads/{ABSENT_ID}{suffix}", body)

    assert (
        assert_error(theirs, 404, "not_found")
        == assert_error(absent, 404, "not_found")
        == "No such upload session."
    )
    assert s3_calls == []
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["status"] == "awaiting-parts"
    assert len(multipart_uploads(lam.s3)) == 1


def test_listings_show_only_the_callers_sessions(lam: Lambda) -> None:
    mine = start(lam, pdf_bytes(100))
    start(lam, pdf_bytes(200), caller=BOB)

    listing = body_json(call(lam, "GET", "/uploads"))

    assert [item["id"] for item in listing["items"]] == [mine["id"]]
    assert listing["nextCursor"] is None
    assert "parts" not in listing["items"][0]
    assert "partsReceived" not in listing["items"][0]


# --- states ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        (UploadStatus.ABORTED,),
        (UploadStatus.PROCESSING,),
        (UploadStatus.PROCESSING, UploadStatus.STORED),
        (UploadStatus.PROCESSING, UploadStatus.REJECTED),
    ],
)
def test_part_urls_need_a_session_awaiting_parts(lam: Lambda, path: tuple[UploadStatus, ...]) -> None:
    session = start(lam, pdf_bytes(100))
    move(lam, session["id"], *path)

    response = call(lam, "POST", f"/uploads/{session['id']}/parts", {"partNumbers": [1]})

    message = assert_error(response, 409, "invalid_upload_state")
    assert message == f"The upload session is '{path[-1]}'; this request needs it to be 'awaiting-parts'."


def test_an_expired_session_reads_expired_and_takes_no_request(lam: Lambda) -> None:
    data = pdf_bytes(100)
    session = start(lam, data)
    etags = put_parts(session, data)
    expire(lam)

    assert body_json(call(lam, "GET", f"/uploads/{session['id']}")) | {"partsReceived": None} == {
        **{key: value for key, value in session.items() if key not in ("parts", "status")},
        "status": "expired",
        "partsReceived": None,
    }
    for method, suffix, body in [
        ("POST", "/parts", {"partNumbers": [1]}),
        ("POST", "/complete", completion(etags)),
        ("DELETE", "", None),
    ]:
        message = assert_error(
            call(lam, method, f"/uploads/{session['id']}{suffix}", body), 409, "invalid_upload_state"
        )
        assert message.startswith("The upload session is 'expired'")
    assert len(multipart_uploads(lam.s3)) == 1  # nothing was completed or aborted


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ((UploadStatus.PROCESSING,), 202),
        ((UploadStatus.PROCESSING, UploadStatus.SCANNING), 202),
        ((UploadStatus.PROCESSING, UploadStatus.STORED), 202),
        ((UploadStatus.PROCESSING, UploadStatus.REJECTED), 409),
        ((UploadStatus.ABORTED,), 409),
    ],
)
def test_a_complete_of_a_session_past_awaiting_parts(
    lam: Lambda, path: tuple[UploadStatus, ...], status: int
) -> None:
    session = start(lam, pdf_bytes(100))
    move(lam, session["id"], *path)
    s3_calls = record_calls(lam.s3)

    response = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(['"e"']))

    assert response["statusCode"] == status
    if status == 202:
        assert body_json(response)["status"] == str(path[-1])
    else:
        assert_error(response, 409, "invalid_upload_state")
    assert s3_calls == []


def test_a_complete_after_the_processor_moved_on_answers_where_the_session_is(lam: Lambda) -> None:
    data = pdf_bytes(100)
    session = start(lam, data)
    etags = put_parts(session, data)
    assert lam.app.uploads is not None
    completer = lam.app.uploads._completer.get()

    def processor_quicker(**_: Any) -> None:  # S3's event reached the processor before our own move
        move(lam, session["id"], UploadStatus.PROCESSING, UploadStatus.REJECTED)

    completer.meta.events.register("after-call.s3.CompleteMultipartUpload", processor_quicker)
    response = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))

    assert (response["statusCode"], body_json(response)["status"]) == (202, "rejected")
    assert body_json(response)["error"]["code"] == "checksum_mismatch"


def test_a_retried_complete_whose_s3_step_succeeded_moves_the_session_on(lam: Lambda) -> None:
    data = pdf_bytes(100)
    session = start(lam, data)
    etags = put_parts(session, data)
    fault = Fault(lam.dynamodb, "UpdateItem", client_error("ProvisionedThroughputExceededException", 400))

    first = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))

    assert_error(first, 503, "storage_unavailable")
    fault.stop()
    assert multipart_uploads(lam.s3) == []  # S3 completed it: the retry gets NoSuchUpload
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["status"] == "awaiting-parts"
    retried = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))
    assert (retried["statusCode"], body_json(retried)["status"]) == (202, "processing")
    again = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))
    assert (again["statusCode"], body_json(again)["status"]) == (202, "processing")


def test_an_upload_aborted_outside_the_api_reads_as_completed_the_documented_residual_case(
    lam: Lambda,
) -> None:
    """NoSuchUpload is read as an earlier complete (the API role cannot HeadObject quarantined keys): an
    upload an operator aborted moves to processing with no object, and stays there for the processor's
    processing_failed or the record's expiry (upload_service._complete_multipart, docs/uploads.md)."""
    data = pdf_bytes(100)
    session = start(lam, data)
    etags = put_parts(session, data)
    [upload] = multipart_uploads(lam.s3)
    lam.s3.abort_multipart_upload(Bucket=INGEST, Key=upload["Key"], UploadId=upload["UploadId"])
    assert lam.app.uploads is not None
    # What S3 answers a complete of an aborted upload (moto 5.2 fails with a KeyError instead).
    fault = Fault(
        lam.app.uploads._completer.get(), "CompleteMultipartUpload", client_error("NoSuchUpload", 404)
    )

    response = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))
    fault.stop()

    assert (response["statusCode"], body_json(response)["status"]) == (202, "processing")
    assert lam.s3.list_objects_v2(Bucket=INGEST).get("Contents", []) == []  # no object, so no S3 event
    read = body_json(call(lam, "GET", f"/uploads/{session['id']}"))
    assert (read["status"], read["partsReceived"]) == ("processing", [])
    assert read["expiresAt"] == body_json(response)["expiresAt"]  # the record's expiry, a day on


def test_parts_s3_refuses_are_an_invalid_part_and_change_nothing(lam: Lambda) -> None:
    data = pdf_bytes(5 * MIB + 10)
    session = start(lam, data)
    etags = put_parts(session, data)

    wrong = call(lam, "POST", f"/uploads/{session['id']}/complete", completion([etags[0], '"0123"']))

    message = assert_error(wrong, 400, "invalid_part")
    assert message == upload_service.PART_ERRORS["InvalidPart"]
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["status"] == "awaiting-parts"
    assert len(multipart_uploads(lam.s3)) == 1


def test_a_part_under_five_mib_before_the_last_is_an_invalid_part(lam: Lambda) -> None:
    """S3 refuses such a PUT through our URL (it signs 5 MiB); moto does not, and S3's EntityTooSmall at
    complete is still mapped, for a part that came another way."""
    data = pdf_bytes(5 * MIB + 10)
    session = start(lam, data)
    first = session["parts"][0]
    assert verify_sigv4_url("PUT", first["url"], sent(first, 9), secret=SECRET, now=datetime.now(UTC)) == (
        False,
        "signature does not match",
    )
    short = requests.put(first["url"], data=b"too short", timeout=30)
    last = put_parts(session, data, session["parts"][1:])

    response = call(
        lam, "POST", f"/uploads/{session['id']}/complete", completion([short.headers["ETag"], *last])
    )

    assert_error(response, 400, "invalid_part", upload_service.PART_ERRORS["EntityTooSmall"])


def test_a_malformed_complete_is_a_400_before_s3(lam: Lambda) -> None:
    session = start(lam, pdf_bytes(5 * MIB + 10))
    s3_calls = record_calls(lam.s3)

    missing = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(['"e1"']))
    unordered = call(
        lam,
        "POST",
        f"/uploads/{session['id']}/complete",
        {"parts": [{"partNumber": 2, "etag": '"e2"'}, {"partNumber": 1, "etag": '"e1"'}]},
    )

    assert_error(missing, 400, "invalid_part", "parts must list all 2 parts of the upload, each once.")
    assert_error(unordered, 400, "invalid_part")
    assert_error(
        call(lam, "POST", f"/uploads/{session['id']}/complete", {"parts": 1}), 400, "invalid_request"
    )
    assert s3_calls == []


def test_a_complete_with_too_little_time_left_is_a_503_before_s3(lam: Lambda) -> None:
    data = pdf_bytes(100)
    session = start(lam, data)
    etags = put_parts(session, data)

    class Hurried:
        aws_request_id = "hurried"

        def get_remaining_time_in_millis(self) -> int:
            return int((upload_service.COMPLETE_WORST_CALL_SECONDS + catalogue.WORST_CALL_SECONDS) * 1000)

    event = make_event(
        "POST", f"/uploads/{session['id']}/complete", body=json.dumps(completion(etags)).encode()
    )
    response = lam.app.handle(event, Hurried())

    assert_error(response, 503, "storage_unavailable")
    assert len(multipart_uploads(lam.s3)) == 1
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["status"] == "awaiting-parts"


def test_a_complete_closer_to_the_deadline_than_its_worst_case_is_a_409_before_s3(lam: Lambda) -> None:
    """S3 must not build an object whose session then reads expired: with the deadline closer than the
    completion client's timeouts plus the move, the complete is refused (a retry cannot help)."""
    data = pdf_bytes(100)
    session = start(lam, data)
    etags = put_parts(session, data)
    service = lam.app.uploads
    assert service is not None
    worst = upload_service.COMPLETE_WORST_CALL_SECONDS + catalogue.WORST_CALL_SECONDS
    assert service.complete_worst_seconds == worst
    deadline = Catalogue(lam.dynamodb, TABLE).get_session(ALICE_KEY, session["id"])
    assert deadline is not None
    completes = record_calls(service._completer.get())
    service._clock = lambda: deadline.expires_at - worst

    refused = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))

    assert_error(refused, 409, "invalid_upload_state", upload_service.EXPIRES_TOO_SOON_MESSAGE)
    assert "CompleteMultipartUpload" not in completes
    assert len(multipart_uploads(lam.s3)) == 1  # S3 built nothing
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["status"] == "awaiting-parts"
    service._clock = lambda: deadline.expires_at - worst - 1
    accepted = call(lam, "POST", f"/uploads/{session['id']}/complete", completion(etags))
    assert (accepted["statusCode"], body_json(accepted)["status"]) == (202, "processing")
    assert completes[-1] == "CompleteMultipartUpload"
    assert completes.count("CompleteMultipartUpload") == 1


def test_the_slowest_complete_fits_in_the_function_timeout(lam: Lambda) -> None:
    assert lam.app.uploads is not None
    config: Any = lam.app.uploads._completer.get().meta.config
    assert (config.connect_timeout, config.read_timeout) == (
        upload_service.COMPLETE_CONNECT_TIMEOUT_SECONDS,
        upload_service.COMPLETE_READ_TIMEOUT_SECONDS,
    )
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    # the session's read, S3's complete (one attempt), the move, and the margin for the answer
    worst = (
        catalogue.WORST_CALL_SECONDS
        + upload_service.COMPLETE_WORST_CALL_SECONDS
        + catalogue.WORST_CALL_SECONDS
        + upload_service.TIME_MARGIN_SECONDS
    )
    assert worst <= DEFAULT_TIMEOUT_SECONDS


# --- abort ----------------------------------------------------------------------------------------------


def test_an_abort_moves_the_session_first_then_cleans_s3_and_can_be_repeated(lam: Lambda) -> None:
    data = pdf_bytes(100)
    session = start(lam, data)
    put_parts(session, data)

    response = call(lam, "DELETE", f"/uploads/{session['id']}")

    assert (response["statusCode"], response["body"]) == (204, "")
    assert multipart_uploads(lam.s3) == []
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["status"] == "aborted"
    assert lam.lines()[-2]["UploadsAborted"] == 1
    assert call(lam, "DELETE", f"/uploads/{session['id']}")["statusCode"] == 204
    assert_error(
        call(lam, "POST", f"/uploads/{session['id']}/complete", completion(['"e"'])),
        409,
        "invalid_upload_state",
    )


def test_an_abort_whose_s3_step_failed_is_finished_by_its_retry(lam: Lambda) -> None:
    session = start(lam, pdf_bytes(100))
    fault = Fault(lam.s3, "AbortMultipartUpload", client_error("SlowDown", 503))

    assert_error(call(lam, "DELETE", f"/uploads/{session['id']}"), 503, "storage_unavailable")
    fault.stop()
    assert body_json(call(lam, "GET", f"/uploads/{session['id']}"))["status"] == "aborted"
    assert len(multipart_uploads(lam.s3)) == 1

    assert call(lam, "DELETE", f"/uploads/{session['id']}")["statusCode"] == 204
    assert multipart_uploads(lam.s3) == []


def test_an_abort_after_a_complete_removes_the_completed_object(lam: Lambda) -> None:
    data = pdf_bytes(100)
    session = start(lam, data)
    key = ingest_key(ALICE_KEY, session["id"])
    etags = put_parts(session, data)
    multipart_id = multipart_uploads(lam.s3)[0]["UploadId"]
    lam.s3.complete_multipart_upload(  # S3 completed, the session's move never happened
        Bucket=INGEST, Key=key, UploadId=multipart_id, MultipartUpload=completion_parts(etags)
    )

    assert call(lam, "DELETE", f"/uploads/{session['id']}")["statusCode"] == 204
    assert lam.s3.list_objects_v2(Bucket=INGEST).get("Contents", []) == []


def completion_parts(etags: list[str]) -> Any:
    return {"Parts": [{"PartNumber": number, "ETag": etag} for number, etag in enumerate(etags, start=1)]}


@pytest.mark.parametrize(
    "path",
    [
        (UploadStatus.PROCESSING,),
        (UploadStatus.PROCESSING, UploadStatus.STORED),
        (UploadStatus.PROCESSING, UploadStatus.REJECTED),
    ],
)
def test_a_session_past_awaiting_parts_cannot_be_aborted(lam: Lambda, path: tuple[UploadStatus, ...]) -> None:
    session = start(lam, pdf_bytes(100))
    move(lam, session["id"], *path)

    message = assert_error(call(lam, "DELETE", f"/uploads/{session['id']}"), 409, "invalid_upload_state")

    assert (
        message
        == f"The upload session is '{path[-1]}'; this request needs it to be 'aborted' or 'awaiting-parts'."
    )
    assert len(multipart_uploads(lam.s3)) == 1


# --- idempotency ----------------------------------------------------------------------------------------


def test_a_repeated_create_under_one_key_is_one_session_replayed_as_it_is_now(lam: Lambda) -> None:
    data = pdf_bytes(100)
    headers = {"Idempotency-Key": "upload-1"}
    first = call(lam, "POST", "/uploads", declaration(data), headers=headers)
    replay = call(lam, "POST", "/uploads", declaration(data), headers=headers)

    assert (first["statusCode"], replay["statusCode"]) == (201, 201)
    assert replay["headers"]["Idempotent-Replayed"] == "true"
    assert replay["headers"]["Location"] == first["headers"]["Location"]
    session, again = body_json(first), body_json(replay)
    assert again["id"] == session["id"]
    assert again["status"] == "awaiting-parts"
    assert [part["partNumber"] for part in again["parts"]] == [1]
    assert len(multipart_uploads(lam.s3)) == 1
    assert len(sessions(lam)) == 1
    assert lam.lines()[-1]["IdempotentReplays"] == 1

    put_parts(session, data)
    call(lam, "POST", f"/uploads/{session['id']}/complete", completion(put_parts(again, data)))
    later = body_json(call(lam, "POST", "/uploads", declaration(data), headers=headers))
    assert (later["id"], later["status"], later["parts"]) == (session["id"], "processing", [])


def test_a_completed_key_whose_session_is_gone_is_a_declared_404(lam: Lambda) -> None:
    """The key's record outlived its session (deleted by the table's TTL): no new session under the old
    id, a 404, and openapi.yaml declares that answer for POST /uploads."""
    data = pdf_bytes(100)
    headers = {"Idempotency-Key": "upload-gone"}
    session = start(lam, data, headers=headers)
    [item] = sessions(lam)
    lam.dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    s3_calls = record_calls(lam.s3)

    replay = call(lam, "POST", "/uploads", declaration(data), headers=headers)

    assert_error(replay, 404, "not_found", upload_service.NO_SUCH_SESSION)
    assert s3_calls == []
    assert sessions(lam) == []
    assert multipart_uploads(lam.s3)[0]["Key"] == ingest_key(ALICE_KEY, session["id"])  # the lifecycle's
    answers = yaml.safe_load(OPENAPI.read_text())["paths"]["/uploads"]["post"]["responses"]
    assert answers["404"] == {"$ref": "#/components/responses/UploadNotFound"}


def test_a_key_reused_for_another_request_is_a_422(lam: Lambda) -> None:
    headers = {"Idempotency-Key": "upload-2"}
    assert call(lam, "POST", "/uploads", declaration(pdf_bytes(100)), headers=headers)["statusCode"] == 201

    other = call(lam, "POST", "/uploads", declaration(pdf_bytes(101)), headers=headers)
    flagged = call(lam, "POST", "/uploads", declaration(pdf_bytes(100), partChecksums=True), headers=headers)
    document = lam.call(
        make_event("POST", "/documents", headers={"Content-Type": "text/plain", **headers}, body=b"text")
    )

    for response in (other, flagged, document):
        assert_error(response, 422, "idempotency_key_reused")
    assert len(multipart_uploads(lam.s3)) == 1
    assert len(sessions(lam)) == 1


def test_a_key_is_the_callers_own_and_must_be_valid(lam: Lambda) -> None:
    data = pdf_bytes(100)
    headers = {"Idempotency-Key": "shared"}
    mine = body_json(call(lam, "POST", "/uploads", declaration(data), headers=headers))
    theirs = body_json(call(lam, "POST", "/uploads", declaration(data), headers=headers, caller=BOB))

    assert mine["id"] != theirs["id"]
    invalid = call(lam, "POST", "/uploads", declaration(data), headers={"Idempotency-Key": "has space"})
    assert_error(invalid, 400, "invalid_idempotency_key")


def test_a_create_that_failed_after_its_claim_is_finished_by_its_retry(lam: Lambda) -> None:
    data = pdf_bytes(100)
    headers = {"Idempotency-Key": "upload-3"}
    fault = Fault(lam.s3, "CreateMultipartUpload", client_error("SlowDown", 503))

    assert_error(
        call(lam, "POST", "/uploads", declaration(data), headers=headers), 503, "storage_unavailable"
    )
    fault.stop()
    [record] = [
        item for item in lam.dynamodb.scan(TableName=TABLE)["Items"] if item["sk"]["S"].startswith("IDEM#")
    ]
    assert record["state"]["S"] == "pending"

    retried = call(lam, "POST", "/uploads", declaration(data), headers=headers)
    assert retried["statusCode"] == 201
    assert body_json(retried)["id"] == record["documentId"]["S"]
    assert len(multipart_uploads(lam.s3)) == 1
    assert len(sessions(lam)) == 1


def test_a_failed_session_write_is_resumed_by_the_retry_with_its_s3_upload(lam: Lambda) -> None:
    data = pdf_bytes(100)
    headers = {"Idempotency-Key": "upload-4"}
    writes: list[str] = []

    def fail_the_session_write(params: dict[str, Any], **_: Any) -> None:
        if params["Item"]["sk"]["S"].startswith("UPLOAD#"):
            writes.append("session")
            raise client_error("InternalServerError", 500)

    event = "before-parameter-build.dynamodb.PutItem"
    lam.dynamodb.meta.events.register(event, fail_the_session_write, unique_id="f")
    failed = call(lam, "POST", "/uploads", declaration(data), headers=headers)
    lam.dynamodb.meta.events.unregister(event, unique_id="f")

    assert_error(failed, 503, "storage_unavailable")
    assert writes == ["session"]
    assert len(multipart_uploads(lam.s3)) == 1  # kept: the write may have landed (lifecycle otherwise)
    retried = call(lam, "POST", "/uploads", declaration(data), headers=headers)
    assert retried["statusCode"] == 201
    assert retried["headers"]["Idempotent-Replayed"] == "true"  # it finished the first attempt
    [item] = sessions(lam)
    assert body_json(retried)["id"] == item["id"]["S"]
    assert item["multipartUploadId"]["S"] in {upload["UploadId"] for upload in multipart_uploads(lam.s3)}
    assert body_json(call(lam, "GET", f"/uploads/{item['id']['S']}"))["partsReceived"] == []


def test_a_session_write_whose_answer_was_lost_is_this_requests_own(lam: Lambda) -> None:
    def lose_the_answer(**_: Any) -> None:  # written, then botocore's retry is refused by the condition
        lam.dynamodb.meta.events.unregister("after-call.dynamodb.PutItem", unique_id="lose")
        raise client_error("ConditionalCheckFailedException", 400)

    lam.dynamodb.meta.events.register("after-call.dynamodb.PutItem", lose_the_answer, unique_id="lose")
    response = call(lam, "POST", "/uploads", declaration(pdf_bytes(100)))

    assert response["statusCode"] == 201
    [upload] = multipart_uploads(lam.s3)
    [item] = sessions(lam)
    assert item["multipartUploadId"]["S"] == upload["UploadId"]
    assert body_json(response)["id"] == item["id"]["S"]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (client_error("AccessDenied", 403), 502, "storage_error"),
        (client_error("SlowDown", 503), 503, "storage_unavailable"),
        (client_error("InternalError", 500), 503, "storage_unavailable"),
    ],
)
def test_s3_failures_are_safe_errors(lam: Lambda, error: Exception, status: int, code: str) -> None:
    session = start(lam, pdf_bytes(100))
    fault = Fault(lam.s3, "ListParts", error)

    assert_error(call(lam, "GET", f"/uploads/{session['id']}"), status, code)
    fault.stop()
    fault = Fault(lam.s3, "CreateMultipartUpload", error)
    assert_error(call(lam, "POST", "/uploads", declaration(pdf_bytes(100))), status, code)
    fault.stop()
    assert len(sessions(lam)) == 1
    assert any(line.get("S3Errors") == 1 for line in lam.lines())


# --- partsReceived and the listing ----------------------------------------------------------------------


def test_parts_received_come_from_every_listparts_page(lam: Lambda, monkeypatch: pytest.MonkeyPatch) -> None:
    session = start(lam, pdf_bytes(4 * 5 * MIB + 1))  # 5 parts
    key = ingest_key(ALICE_KEY, session["id"])
    multipart_id = multipart_uploads(lam.s3)[0]["UploadId"]
    for number in (1, 2, 3, 5):
        lam.s3.upload_part(
            Bucket=INGEST, Key=key, UploadId=multipart_id, PartNumber=number, Body=b"p" * number
        )
    monkeypatch.setattr(upload_service, "LIST_PARTS_PAGE", 2)
    calls = record_calls(lam.s3)

    received = body_json(call(lam, "GET", f"/uploads/{session['id']}"))["partsReceived"]

    assert [(part["partNumber"], part["size"]) for part in received] == [(1, 1), (2, 2), (3, 3), (5, 5)]
    assert calls == ["ListParts", "ListParts"]


def test_the_listing_pages_newest_first_with_cursors_bound_to_it(lam: Lambda) -> None:
    made = [start(lam, pdf_bytes(100 + n))["id"] for n in range(3)]

    first = body_json(call(lam, "GET", "/uploads", query={"limit": "2"}))
    second = body_json(call(lam, "GET", "/uploads", query={"limit": "2", "cursor": first["nextCursor"]}))

    assert [item["id"] for item in first["items"]] == made[:0:-1]
    assert [item["id"] for item in second["items"]] == made[:1]
    assert second["nextCursor"] is None
    assert_error(
        call(lam, "GET", "/uploads", query={"cursor": first["nextCursor"]}, caller=BOB), 400, "invalid_cursor"
    )
    documents_cursor = encode_cursor(made[2], cursor_binding(ALICE_KEY, "newest", None, None))
    assert_error(call(lam, "GET", "/uploads", query={"cursor": documents_cursor}), 400, "invalid_cursor")
    uploads_cursor = first["nextCursor"]
    assert_error(call(lam, "GET", "/documents", query={"cursor": uploads_cursor}), 400, "invalid_cursor")
    assert_error(call(lam, "GET", "/uploads", query={"order": "oldest"}), 400, "invalid_query_parameter")
    assert_error(call(lam, "GET", "/uploads", query={"limit": "0"}), 400, "invalid_limit")


class Remaining:
    """A Lambda context with a fixed number of seconds left."""

    aws_request_id = "remaining"

    def __init__(self, seconds: float) -> None:
        self._millis = int(seconds * 1000)

    def get_remaining_time_in_millis(self) -> int:
        return self._millis


def test_an_abort_skips_the_object_deletion_when_it_no_longer_fits(lam: Lambda) -> None:
    session = start(lam, pdf_bytes(100))
    calls = record_calls(lam.s3)

    response = lam.app.handle(make_event("DELETE", f"/uploads/{session['id']}"), Remaining(5))

    assert response["statusCode"] == 204
    assert calls == ["AbortMultipartUpload"]
    assert multipart_uploads(lam.s3) == []
    # what must fit: the session's read and move, then S3's abort
    assert 2 * catalogue.WORST_CALL_SECONDS + storage.WORST_CALL_SECONDS + 1 <= DEFAULT_TIMEOUT_SECONDS


def test_the_slowest_idempotent_create_fits_in_the_function_timeout() -> None:
    # claim, the earlier attempt's session looked up, S3's create, the session's write; completing the
    # key's record and aborting an unused upload are skipped when short of time. (Only a concurrent
    # same-key request winning the session's write adds one more read, to answer with its session.)
    must_fit = (
        3 * catalogue.WORST_CALL_SECONDS + storage.WORST_CALL_SECONDS + upload_service.TIME_MARGIN_SECONDS
    )
    assert must_fit <= DEFAULT_TIMEOUT_SECONDS
