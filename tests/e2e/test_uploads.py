"""Large uploads end to end (DESIGN §4.2, issue 14): ``/uploads`` sessions, parts PUT straight to presigned
URLs, the processor's verdict, and large downloads through a 303 to a presigned ``GetObject`` URL.

Against local mode the part and download URLs point at the emulator (moto), and the emulator's ingest
events reach the same processor code S3 invokes when deployed. What moto does not do, and these tests
therefore cannot show locally: it verifies neither presigned signatures nor part checksums (AWS refuses a
tampered URL, and a part whose bytes do not match a signed-in checksum with ``BadDigest``), and it never
runs lifecycle rules. The tests say where they rely on the processor's own checks instead. Tests that
rewrite the emulator's state (a session's deadline, a re-delivered S3 event, the ingest bucket's
contents) run in local mode only and skip against a deployed stack, saying why.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e import samples
from tests.e2e.assertions import assert_service_error
from tests.e2e.uploads import (
    MIB,
    Uploader,
    declaration,
    follow_download,
    large_text,
    multipart_etag,
    require_local,
    sha256_base64,
    sha256_hex,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.e2e.targets import ApiClient, Target

LARGE_SIZE = 100 * MIB + 12_345
"""Over 100 MiB and not a whole number of parts: 20 full 5 MiB parts and a short last one."""
NO_SUCH_SESSION = "No such upload session."
TEXT = "text/plain"
PDF = "application/pdf"


@pytest.fixture
def uploader(alice: ApiClient) -> Iterator[Uploader]:
    client = Uploader.of(alice)
    yield client
    client.close()


@pytest.fixture
def other(bob: ApiClient) -> Iterator[Uploader]:
    client = Uploader.of(bob)
    yield client
    client.close()


@pytest.fixture(scope="module")
def large() -> bytes:
    return large_text(LARGE_SIZE)


# --- the whole flow -------------------------------------------------------------------------------------


def test_a_100_mib_document_goes_up_in_parallel_parts_and_comes_back_identical(
    uploader: Uploader, large: bytes
) -> None:
    started = time.monotonic()
    session = uploader.start(large, TEXT, filename="Großer Bericht.txt")
    assert (session["size"], session["partSize"], session["partCount"]) == (LARGE_SIZE, 5 * MIB, 21)
    assert session["sha256"] == sha256_hex(large)
    assert [part["partNumber"] for part in session["parts"]] == list(range(1, 22))  # all in the first batch
    # Fresh URLs for some parts, signed just before use, replace the first batch's.
    resigned = uploader.sign(session["id"], {"partNumbers": [21, 3]})
    assert resigned.status_code == 200, resigned.text
    fresh = {part["partNumber"]: part for part in resigned.json()["parts"]}
    assert sorted(fresh) == [3, 21]
    parts = {part["partNumber"]: part for part in session["parts"]} | fresh

    etags = uploader.put_parts(session, large, parts.values())  # 8 in flight at a time

    received = uploader.get(session["id"]).json()
    assert received["status"] == "awaiting-parts"
    assert [(p["partNumber"], p["etag"], p["size"]) for p in received["partsReceived"]] == [
        (e["partNumber"], e["etag"], 5 * MIB if e["partNumber"] < 21 else LARGE_SIZE - 20 * 5 * MIB)
        for e in etags
    ]
    completed = uploader.complete(session["id"], etags)
    assert completed.status_code == 202, completed.text
    assert completed.json()["status"] in {"processing", "stored"}
    final = uploader.wait(session["id"])
    assert final["status"] == "stored", final
    assert final["documentId"] == session["id"]  # the session's id is its document's
    assert final["partsReceived"] == []

    document = uploader.api.request("GET", f"/documents/{final['documentId']}").json()
    assert (document["size"], document["sha256"], document["contentType"]) == (
        LARGE_SIZE,
        sha256_hex(large),
        TEXT,
    )
    assert document["filename"] == "Großer Bericht.txt"
    # Above the inline limit the content is a 303 to a presigned GET, followed like curl -L.
    redirect, downloaded = follow_download(uploader.api, final["documentId"])
    assert redirect.headers["cache-control"] == "no-store"
    assert redirect.json()["url"] == redirect.headers["location"]
    assert downloaded.status_code == 200
    assert len(downloaded.content) == LARGE_SIZE
    assert hashlib.sha256(downloaded.content).hexdigest() == sha256_hex(large)
    assert downloaded.headers["content-disposition"].startswith("attachment")
    listed = uploader.api.request("GET", "/documents").json()["items"]
    assert final["documentId"] in [item["id"] for item in listed]
    assert time.monotonic() - started < 90  # seconds, not minutes (the suite runs on 2 cores in CI)


def test_the_download_url_is_a_short_lived_sigv4_get_with_an_attachment_disposition(
    target: Target, uploader: Uploader
) -> None:
    created = uploader.api.upload(samples.text().data, TEXT)
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]

    redirect, downloaded = follow_download(uploader.api, document_id, redirect="true")

    body = redirect.json()
    assert set(body) == {"url", "expiresIn"}
    assert 0 < body["expiresIn"] <= 300
    assert redirect.headers["location"] == body["url"]
    assert redirect.headers["cache-control"] == "no-store"
    query = {name: values[0] for name, values in parse_qs(urlsplit(body["url"]).query).items()}
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert int(query["X-Amz-Expires"]) == body["expiresIn"]
    assert query["X-Amz-SignedHeaders"] == "host"
    assert query["response-content-disposition"].startswith("attachment")
    if not target.deployed:
        assert body["url"].startswith(f"{target.s3_endpoint_url}/{target.bucket}/documents/")  # path style
    assert downloaded.status_code == 200
    assert downloaded.content == samples.text().data
    assert downloaded.headers["content-disposition"].startswith("attachment")
    # Small documents still download inline unless asked otherwise.
    inline = uploader.api.request("GET", f"/documents/{document_id}/content", params={"redirect": "false"})
    assert inline.status_code == 200
    assert inline.content == samples.text().data
    for query_string in ({"redirect": "yes"}, {"redirect": "true", "other": "1"}):
        refused = uploader.api.request("GET", f"/documents/{document_id}/content", params=query_string)
        assert_service_error(refused, 400, "invalid_query_parameter")


def test_curl_follows_the_303_to_the_bytes(target: Target, uploader: Uploader, tmp_path: Any) -> None:
    if target.deployed or target.principals is None:
        pytest.skip("local mode only: curl signs with a local principal's secret")
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    created = uploader.api.upload(samples.pdf().data, PDF)
    assert created.status_code == 201, created.text
    principal = target.principals.user()
    # A caller of its own signs with curl; the document must be its own, so upload through curl too.
    sigv4 = ["--aws-sigv4", f"aws:amz:{target.region}:execute-api"]
    user = ["--user", f"{principal.access_key_id}:{principal.secret_access_key}"]
    source = tmp_path / "in.pdf"
    source.write_bytes(samples.pdf().data)
    uploaded = subprocess.run(
        [curl, "-sS", *sigv4, *user, "-H", f"Content-Type: {PDF}", "--data-binary", f"@{source}",
         f"{target.api_url}/documents"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    document_id = json.loads(uploaded.stdout)["id"]
    copy = tmp_path / "copy.pdf"

    done = subprocess.run(
        [curl, "-sS", "-L", "-o", str(copy), "-w", "%{http_code} %{num_redirects}", *sigv4, *user,
         f"{target.api_url}/documents/{document_id}/content?redirect=true"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip

    assert done.stdout == "200 1"
    assert copy.read_bytes() == samples.pdf().data
    subprocess.run(
        [curl, "-sS", "-X", "DELETE", *sigv4, *user, f"{target.api_url}/documents/{document_id}"],
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip


# --- the processor's verdicts ---------------------------------------------------------------------------

NOT_UTF8 = "café au lait\n".encode("latin-1")
PNG = samples.png().data
MALFORMED_PDF = b"%PDF-1.7\nnot really a PDF\n%%EOF\n"
"""Starts like a PDF (so the type matches) but has no readable structure."""
MALFORMED_PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)
"""A PNG signature with no readable header after it."""


@pytest.mark.parametrize(
    ("code", "declared_type", "declared", "sent"),
    [
        ("size_mismatch", TEXT, b"twelve bytes", b"twelve bytes and then some"),
        ("checksum_mismatch", TEXT, b"declared these bytes\n", b"uploaded other bytes\n"),
        ("content_type_mismatch", PDF, PNG, PNG),
        ("malformed_document", PDF, MALFORMED_PDF, MALFORMED_PDF),
        ("malformed_document", "image/png", MALFORMED_PNG, MALFORMED_PNG),
        ("invalid_text_encoding", TEXT, NOT_UTF8, NOT_UTF8),
    ],
    ids=["size", "checksum", "type", "pdf", "png", "encoding"],
)
def test_each_rejection_is_recorded_on_the_session_and_nothing_is_stored(
    target: Target, uploader: Uploader, code: str, declared_type: str, declared: bytes, sent: bytes
) -> None:
    # The session declares the size and SHA-256 of ``declared``; the client uploads ``sent``.
    session = uploader.start(declared, declared_type, filename="bad")
    [part] = session["parts"]
    put = uploader.put_part(part, sent)
    assert put.status_code == 200, put.text

    completed = uploader.complete(session["id"], [{"partNumber": 1, "etag": put.headers["etag"]}])

    assert completed.status_code == 202, completed.text
    final = uploader.wait(session["id"])
    assert final["status"] == "rejected", final
    assert final["error"]["code"] == code
    assert final["error"]["message"]
    assert "documentId" not in final
    assert uploader.api.request("GET", f"/documents/{session['id']}").status_code == 404
    listed = uploader.api.request("GET", "/documents").json()["items"]
    assert session["id"] not in [item["id"] for item in listed]
    if not target.deployed:
        local = require_local(target, "the ingest bucket is only readable locally")
        listed = local.s3.list_objects_v2(Bucket=local.bucket).get("Contents", [])
        assert not any(entry["Key"].endswith(f"/{session['id']}") for entry in listed)  # deleted
    # A rejected session is final: no more part URLs, no abort.
    assert_service_error(uploader.sign(session["id"], {"partNumbers": [1]}), 409, "invalid_upload_state")
    assert_service_error(uploader.abort(session["id"]), 409, "invalid_upload_state")


def test_an_unsupported_type_is_refused_before_any_url_is_issued(uploader: Uploader) -> None:
    # The processor's own unsupported_content_type needs the allow-list to change between POST /uploads
    # and processing; local mode's API and processor share one environment, so only this face of the
    # rule is reachable end to end (the processor's is unit-tested).
    before = uploader.api.request("GET", "/uploads").json()["items"]
    refused = uploader.create(declaration(b"PK\x03\x04", "application/zip"))
    assert_service_error(refused, 415, "unsupported_content_type")
    latin1 = uploader.create(declaration(NOT_UTF8, "text/plain; charset=iso-8859-1"))
    assert_service_error(latin1, 415, "invalid_text_encoding")
    listing = uploader.api.request("GET", "/uploads")
    assert listing.status_code == 200
    assert listing.json()["items"] == before  # no session was started


def test_part_checksums_are_signed_in_when_the_session_asks_for_them(
    target: Target, uploader: Uploader
) -> None:
    # S3 fixes a multipart upload's checksum algorithm when it starts: "partChecksums": true starts a
    # SHA-256 upload, whose every part URL signs its part's checksum in (so none comes in the 201).
    data = b"a part whose checksum is signed in\n"
    session = uploader.start(data, TEXT, part_checksums=True)
    assert session["parts"] == []
    checksum = sha256_base64(data)
    unsigned = uploader.sign(session["id"], {"partNumbers": [1]})
    assert_service_error(unsigned, 400, "invalid_part")

    signed = uploader.sign(session["id"], {"partNumbers": [1], "checksums": [checksum]})

    assert signed.status_code == 200, signed.text
    [part] = signed.json()["parts"]
    assert part["headers"] == {"x-amz-checksum-sha256": checksum, "x-amz-sdk-checksum-algorithm": "SHA256"}
    query = parse_qs(urlsplit(part["url"]).query)
    # The part's exact length is signed too (clients send Content-Length themselves, so it is not listed).
    assert query["X-Amz-SignedHeaders"] == [
        "content-length;host;x-amz-checksum-sha256;x-amz-sdk-checksum-algorithm"
    ]
    other = b"other bytes of the very same size\n".ljust(len(data), b".")
    assert len(other) == len(data)
    put = uploader.put_part(part, other)
    if target.deployed:
        # S3 compares the signed-in checksum with the bytes (400 BadDigest) before storing anything.
        assert put.status_code == 400, put.text
        put = uploader.put_part(part, data)
        assert put.status_code == 200, put.text
        without = uploader.complete(session["id"], [{"partNumber": 1, "etag": put.headers["etag"]}])
        assert_service_error(without, 400, "invalid_part")  # a checksum session lists every checksum
        done = uploader.complete(
            session["id"], [{"partNumber": 1, "etag": put.headers["etag"], "checksumSha256": checksum}]
        )
        assert done.status_code == 202, done.text
        assert uploader.wait(session["id"])["status"] == "stored"
        return
    # moto does not verify part checksums (AWS does): the part is taken, and it is the processor's
    # whole-file SHA-256 that keeps the wrong bytes out of the vault.
    assert put.status_code == 200
    without = uploader.complete(session["id"], [{"partNumber": 1, "etag": put.headers["etag"]}])
    assert_service_error(without, 400, "invalid_part")  # a checksum session lists every part's checksum
    completed = uploader.complete(
        session["id"], [{"partNumber": 1, "etag": put.headers["etag"], "checksumSha256": checksum}]
    )
    assert completed.status_code == 202, completed.text
    final = uploader.wait(session["id"])
    assert (final["status"], final["error"]["code"]) == ("rejected", "checksum_mismatch")


def test_checksums_for_a_session_started_without_them_are_400(uploader: Uploader) -> None:
    data = b"no part checksums\n"
    session = uploader.start(data, TEXT)
    assert session["parts"]  # the first batch, unsigned checksums

    refused = uploader.sign(session["id"], {"partNumbers": [1], "checksums": [sha256_base64(data)]})

    assert_service_error(refused, 400, "invalid_part")
    assert uploader.abort(session["id"]).status_code == 204


# --- owner scope, abort, expiry -------------------------------------------------------------------------


def test_another_callers_session_is_404_on_every_route(uploader: Uploader, other: Uploader) -> None:
    data = b"alice's upload\n"
    session = uploader.start(data, TEXT)
    upload_id = session["id"]
    put = uploader.put_part(session["parts"][0], data)
    parts = [{"partNumber": 1, "etag": put.headers["etag"]}]

    for response in (
        other.get(upload_id),
        other.sign(upload_id, {"partNumbers": [1]}),
        other.complete(upload_id, parts),
        other.abort(upload_id),
    ):
        assert_service_error(response, 404, "not_found")
        assert response.json()["error"]["message"] == NO_SUCH_SESSION
    assert upload_id not in [item["id"] for item in other.api.request("GET", "/uploads").json()["items"]]
    # Exactly like a session that never existed.
    never = "0" * 31 + "1"
    assert other.get(never).json()["error"]["message"] == uploader.get(never).json()["error"]["message"]
    # And none of it touched alice's session.
    assert uploader.get(upload_id).json()["status"] == "awaiting-parts"
    assert uploader.abort(upload_id).status_code == 204


def test_an_aborted_session_takes_no_parts_and_no_complete_and_its_upload_is_gone(
    target: Target, uploader: Uploader
) -> None:
    data = b"abandoned half way\n"
    session = uploader.start(data, TEXT)
    put = uploader.put_part(session["parts"][0], data)
    assert put.status_code == 200
    local = None if target.deployed else require_local(target, "the ingest bucket is only readable locally")
    key = local.ingest_key(session["id"]) if local else None

    aborted = uploader.abort(session["id"])

    assert aborted.status_code == 204, aborted.text
    assert aborted.content == b""
    assert uploader.get(session["id"]).json()["status"] == "aborted"
    assert_service_error(uploader.sign(session["id"], {"partNumbers": [1]}), 409, "invalid_upload_state")
    completed = uploader.complete(session["id"], [{"partNumber": 1, "etag": put.headers["etag"]}])
    assert_service_error(completed, 409, "invalid_upload_state")
    assert uploader.abort(session["id"]).status_code == 204  # idempotent
    if local is not None and key is not None:
        assert not local.multipart_upload_open(key)
        assert not local.object_exists(key)
    # The part URL still names the aborted upload: S3 refuses it (NoSuchUpload).
    assert uploader.put_part(session["parts"][0], data).status_code == 404


def test_an_expired_session_refuses_parts_and_complete_and_reads_expired(
    target: Target, uploader: Uploader
) -> None:
    local = require_local(target, "moves the session's deadline in the emulator's table")
    data = b"too late\n"
    session = uploader.start(data, TEXT)
    put = uploader.put_part(session["parts"][0], data)
    assert put.status_code == 200

    local.move_deadline(session["id"], int(time.time()) - 60)

    read = uploader.get(session["id"])
    assert read.status_code == 200
    assert read.json()["status"] == "expired"
    assert read.json()["partsReceived"] == []
    assert_service_error(uploader.sign(session["id"], {"partNumbers": [1]}), 409, "invalid_upload_state")
    completed = uploader.complete(session["id"], [{"partNumber": 1, "etag": put.headers["etag"]}])
    assert_service_error(completed, 409, "invalid_upload_state")
    assert "expired" in completed.json()["error"]["message"]
    assert_service_error(uploader.abort(session["id"]), 409, "invalid_upload_state")
    listed = uploader.api.request("GET", "/uploads").json()["items"]
    assert [(item["id"], item["status"]) for item in listed] == [(session["id"], "expired")]
    assert local.multipart_upload_open(local.ingest_key(session["id"]))  # left to the lifecycle (1 day)


# --- the processor under repeated events ----------------------------------------------------------------


def test_a_redelivered_event_changes_nothing_and_leaves_one_document(
    target: Target, uploader: Uploader
) -> None:
    local = require_local(target, "re-delivers an S3 event through the emulator's ingest queue")
    data = large_text(6 * MIB)  # two parts: a multipart object, as large uploads are
    session = uploader.start(data, TEXT)
    key = local.ingest_key(session["id"])
    parts = uploader.put_parts(session, data)
    assert uploader.complete(session["id"], parts).status_code == 202
    first = uploader.wait(session["id"])
    assert first["status"] == "stored"
    vault_key = f"documents/{key.removeprefix('ingest/')}"
    versions = local.s3.list_object_versions(Bucket=target.bucket, Prefix=vault_key)
    assert [v["Key"] for v in versions.get("Versions", [])] == [vault_key]

    # The same event again, three times (S3 delivers at least once; Lambda retries).
    local.redeliver(key, size=len(data), etag=multipart_etag(parts), times=3)
    local.wait_until_delivered()

    again = uploader.get(session["id"]).json()
    assert again == first
    versions = local.s3.list_object_versions(Bucket=target.bucket, Prefix=vault_key)
    assert len(versions.get("Versions", [])) == 1  # never copied again (the vault is versioned)
    assert versions.get("DeleteMarkers", []) == []
    assert [item["id"] for item in uploader.api.request("GET", "/documents").json()["items"]] == [
        session["id"]
    ]
    assert local.failed_events() == 0
    _, downloaded = follow_download(uploader.api, session["id"], redirect="true")
    assert hashlib.sha256(downloaded.content).hexdigest() == sha256_hex(data)


# --- the rest of the contract, briefly ------------------------------------------------------------------


def test_a_repeated_idempotency_key_answers_the_same_session(uploader: Uploader) -> None:
    data = b"once only\n"
    body = declaration(data, TEXT)
    key = {"Idempotency-Key": f"e2e-uploads-{uuid.uuid4()}"}  # fresh: a deployed caller keeps its keys
    first = uploader.create(body, **key)
    assert first.status_code == 201, first.text

    again = uploader.create(body, **key)
    changed = uploader.create({**body, "size": len(data) + 1}, **key)

    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["parts"]  # fresh part URLs while it awaits parts
    assert_service_error(changed, 422, "idempotency_key_reused")
    listed = uploader.api.request("GET", "/uploads").json()["items"]
    assert [item["id"] for item in listed].count(first.json()["id"]) == 1  # one session, not two
    assert uploader.abort(first.json()["id"]).status_code == 204


def test_a_complete_with_a_wrong_etag_is_400_and_the_session_still_awaits_parts(uploader: Uploader) -> None:
    data = b"etag check\n"
    session = uploader.start(data, TEXT)
    assert uploader.put_part(session["parts"][0], data).status_code == 200

    wrong = uploader.complete(session["id"], [{"partNumber": 1, "etag": '"' + "0" * 32 + '"'}])

    assert_service_error(wrong, 400, "invalid_part")
    assert uploader.get(session["id"]).json()["status"] == "awaiting-parts"
    assert uploader.abort(session["id"]).status_code == 204
