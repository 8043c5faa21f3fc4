"""Idempotent uploads over HTTP: ``Idempotency-Key`` on ``POST /documents``.

The same caller, key and request give the same document (a replay, marked ``Idempotent-Replayed:
true``); the same key with another request is 422; keys are per caller; a refused request does not use
its key up; and a client that never read its answer retries into exactly one document. The 24-hour
expiry needs a clock the suite does not control; the service's unit tests cover it.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from local_mode.signing import BotocoreSigV4
from tests.e2e import samples
from tests.e2e.assertions import assert_service_error
from tests.e2e.listing import disposition, ids_of, new_tag, walk
from tests.e2e.raw_http import send_and_hang_up

if TYPE_CHECKING:
    import httpx

    from tests.e2e.targets import ApiClient, Target

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
SETTLE_SECONDS = 20.0
"""How long a lost request may take to finish on the server before the test gives up waiting."""


def _key() -> str:
    return f"e2e-{uuid.uuid4()}"


def _upload(
    client: ApiClient,
    key: str | bytes,
    data: bytes,
    content_type: str = "text/plain",
    filename: str | None = None,
) -> httpx.Response:
    headers: dict[str, Any] = {KEY_HEADER: key, **(disposition(filename) if filename else {})}
    return client.upload(data, content_type, **headers)


def _listed(client: ApiClient, tag: str) -> list[str]:
    return ids_of(walk(client, q=tag))


def _assert_fresh(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    assert REPLAYED_HEADER.lower() not in {name.lower() for name in response.headers}
    body: dict[str, Any] = response.json()
    return body


def _assert_replay_of(response: httpx.Response, first: httpx.Response) -> None:
    assert response.status_code == 201, response.text
    assert response.headers[REPLAYED_HEADER] == "true"
    assert response.json() == first.json()
    assert response.headers["Location"] == first.headers["Location"]


def test_the_same_key_and_request_twice_give_one_document_the_second_marked_as_a_replay(
    alice: ApiClient,
) -> None:
    tag, key = new_tag(), _key()
    sample = samples.pdf(pages=2)

    first = _upload(alice, key, sample.data, sample.content_type, f"{tag}report.pdf")
    second = _upload(alice, key, sample.data, sample.content_type, f"{tag}report.pdf")
    third = _upload(alice, key, sample.data, sample.content_type, f"{tag}report.pdf")

    document = _assert_fresh(first)
    _assert_replay_of(second, first)
    _assert_replay_of(third, first)
    assert _listed(alice, tag) == [document["id"]]
    assert alice.request("GET", f"/documents/{document['id']}").json() == document


@pytest.mark.parametrize(
    "change",
    [
        {"data": b"other bytes\n"},
        {"filename": "other-name.txt"},
        {"filename": None},
        {"content_type": "text/plain; charset=utf-8"},
    ],
    ids=["other-body", "other-filename", "no-filename", "other-content-type-header"],
)
def test_the_same_key_with_another_request_is_422_and_stores_nothing(
    alice: ApiClient, change: dict[str, Any]
) -> None:
    tag, key = new_tag(), _key()
    original: dict[str, Any] = {
        "data": b"the original\n",
        "content_type": "text/plain",
        "filename": "original.txt",
    }
    first = _upload(alice, key, **{**original, "filename": f"{tag}original.txt"})
    document = _assert_fresh(first)

    changed = {**original, "filename": f"{tag}original.txt", **change}
    if changed["filename"] is not None and changed["filename"] != f"{tag}original.txt":
        changed["filename"] = f"{tag}{changed['filename']}"
    refused = _upload(alice, key, **changed)

    assert_service_error(refused, 422, "idempotency_key_reused")
    assert "new key" in refused.json()["error"]["message"].lower()
    assert _listed(alice, tag) == [document["id"]]
    # The refusal did not disturb the key's record: the original request still replays
    _assert_replay_of(_upload(alice, key, **{**original, "filename": f"{tag}original.txt"}), first)


def test_keys_are_scoped_to_the_caller(alice: ApiClient, bob: ApiClient) -> None:
    tag, key = new_tag(), _key()
    data = b"the same bytes, the same key\n"

    alices = _assert_fresh(_upload(alice, key, data, filename=f"{tag}same.txt"))
    bobs = _assert_fresh(_upload(bob, key, data, filename=f"{tag}same.txt"))
    # Bob's key is his own even with another body: no 422 from Alice's use of it
    bob_other = _upload(bob, _key(), b"other\n", filename=f"{tag}other.txt")

    assert bobs["id"] != alices["id"]
    assert bob_other.status_code == 201
    assert _listed(alice, tag) == [alices["id"]]
    assert set(_listed(bob, tag)) == {bobs["id"], bob_other.json()["id"]}
    assert_service_error(bob.request("GET", f"/documents/{alices['id']}"), 404, "not_found")
    # Each caller's replay answers with their own document
    assert _upload(alice, key, data, filename=f"{tag}same.txt").json()["id"] == alices["id"]
    assert _upload(bob, key, data, filename=f"{tag}same.txt").json()["id"] == bobs["id"]


def test_a_refused_request_does_not_use_its_key_up(target: Target, alice: ApiClient) -> None:
    tag, key = new_tag(), _key()

    refused = _upload(alice, key, b"%PDF-1.7 but not really", "image/png", f"{tag}bad.png")
    too_large = _upload(alice, key, b"x" * (target.max_document_bytes + 1), filename=f"{tag}big.txt")
    stored = _upload(alice, key, b"now a valid text\n", filename=f"{tag}good.txt")

    assert_service_error(refused, 415, "content_type_mismatch")
    assert_service_error(too_large, 413, "document_too_large")
    document = _assert_fresh(stored)
    assert _listed(alice, tag) == [document["id"]]


@pytest.mark.parametrize(
    "key",
    ["x" * 256, "has space", "tab\tinside", b"cl\xe9", "\x7f"],
    ids=["256-characters", "space", "tab", "non-ascii", "del"],
)
def test_an_invalid_key_is_refused_and_stores_nothing(
    target: Target, alice: ApiClient, key: str | bytes
) -> None:
    tag = new_tag()
    response = _upload(alice, key, b"keyed\n", filename=f"{tag}keyed.txt")
    assert_service_error(response, 400, "invalid_idempotency_key")
    assert _listed(alice, tag) == []


def test_an_empty_key_is_refused(target: Target, alice: ApiClient) -> None:
    if target.deployed:
        pytest.skip("API Gateway may drop an empty header before the function sees it")
    assert_service_error(_upload(alice, "", b"keyed\n"), 400, "invalid_idempotency_key")


@pytest.mark.parametrize(
    "key", ["!", "~" * 255, "".join(map(chr, range(0x21, 0x7F))), "6f1c1d0e-6a1e-4bb5-9f55-2f1f8a4a7b3e"]
)
def test_visible_ascii_keys_up_to_255_characters_are_accepted(
    target: Target, alice: ApiClient, key: str
) -> None:
    if target.deployed:  # a shared caller: keep the shape, make the key this run's own
        key = key[: max(len(key) - 12, 1)] + uuid.uuid4().hex[:12]
    first = _upload(alice, key, b"visible\n")
    _assert_fresh(first)
    _assert_replay_of(_upload(alice, key, b"visible\n"), first)


def _wait_for_listing(client: ApiClient, tag: str, count: int, seconds: float = SETTLE_SECONDS) -> list[str]:
    """The tagged listing once it holds ``count`` documents, or after ``seconds`` (a request whose
    client hung up still finishes on the server)."""
    deadline = time.monotonic() + seconds
    while True:
        listed = _listed(client, tag)
        if len(listed) >= count or time.monotonic() > deadline:
            return listed
        time.sleep(0.1)


def _hang_up_upload(target: Target, client: ApiClient, key: str, data: bytes, filename: str) -> None:
    """Send a signed, keyed upload and close the connection without reading the answer."""
    url = f"{target.api_url}/documents"
    headers = [("Content-Type", "text/plain"), (KEY_HEADER, key), *disposition(filename).items()]
    auth = client.http.auth
    assert isinstance(auth, BotocoreSigV4)
    host = url.split("/")[2]
    signature = auth.headers_for("POST", url, [("Host", host), *headers], data)
    send_and_hang_up(url, "POST", [*headers, *signature.items()], data)


def test_a_client_that_never_read_its_answer_retries_into_exactly_one_document(
    target: Target, alice: ApiClient
) -> None:
    tag, key = new_tag(), _key()
    data = b"the answer to this upload was never read\n"

    _hang_up_upload(target, alice, key, data, f"{tag}lost.txt")
    stored = _wait_for_listing(alice, tag, 1)
    alice.created.extend(stored)
    assert len(stored) == 1, "the upload whose answer was lost was not stored"

    retry = _upload(alice, key, data, filename=f"{tag}lost.txt")

    assert retry.status_code == 201, retry.text
    assert retry.headers[REPLAYED_HEADER] == "true"
    assert retry.json()["id"] == stored[0]
    assert _listed(alice, tag) == stored


def test_a_retry_racing_the_lost_request_still_ends_with_one_document(
    target: Target, alice: ApiClient
) -> None:
    tag, key = new_tag(), _key()
    data = b"retried at once\n"

    _hang_up_upload(target, alice, key, data, f"{tag}raced.txt")
    retry = _upload(alice, key, data, filename=f"{tag}raced.txt")  # no wait: may overtake the first

    assert retry.status_code == 201, retry.text
    # Give the first request time to finish whatever it was doing; a second document would show here
    assert _wait_for_listing(alice, tag, 2, seconds=3.0) == [retry.json()["id"]]


def test_concurrent_requests_with_one_key_store_one_document(alice: ApiClient) -> None:
    tag, key = new_tag(), _key()
    data = b"sent four times at once\n"

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: _upload(alice, key, data, filename=f"{tag}once.txt"), range(4)))

    assert [answer.status_code for answer in answers] == [201] * 4, [a.text for a in answers]
    assert len({answer.json()["id"] for answer in answers}) == 1
    fresh = [answer for answer in answers if answer.headers.get(REPLAYED_HEADER) != "true"]
    assert len(fresh) == 1
    assert _listed(alice, tag) == [answers[0].json()["id"]]
