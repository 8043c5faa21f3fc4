"""``Idempotency-Key`` on ``POST /documents``: same key and body, same document (marked as a replay);
same key, other request: 422; keys per caller, for 24 hours; and the lost-answer cases, where the first
attempt stored the object and died before answering, end with exactly one document."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.catalogue import Catalogue, create_dynamodb_client
from document_processor.documents import object_key
from document_processor.errors import CatalogueUnavailableError
from document_processor.idempotency import REUSED_MESSAGE, fingerprint, idempotent_request
from document_processor.identity import normalise_principal
from tests.unit.service.conftest import (
    ALICE,
    BOB,
    BUCKET,
    TABLE,
    Lambda,
    body_json,
    build_lambda,
    catalogue_items,
    make_event,
    object_versions,
)
from tests.unit.service.samples import make_pdf, make_png

if TYPE_CHECKING:
    from collections.abc import Callable

KEY = "4f1c2a7e-upload-0001"
T0 = 1_780_000_000.0
DAY = 86_400


class ProcessDied(BaseException):
    """The execution environment stops mid-request (timeout, out of memory): nothing is answered."""


def post(
    lam: Lambda,
    body: bytes = b"the same words",
    *,
    key: str | None = KEY,
    content_type: str = "text/plain",
    filename: str | None = None,
    caller: str = ALICE,
    version: str = "1.0",
) -> dict[str, Any]:
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    if filename is not None:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return lam.call(
        make_event("POST", "/documents", headers=headers, body=body, caller=caller, version=version)
    )


def created(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 201, response["body"]
    document: dict[str, Any] = body_json(response)
    return document


def replayed(response: dict[str, Any]) -> bool:
    return bool(response["headers"].get("Idempotent-Replayed") == "true")


def documents_stored(lam: Lambda) -> tuple[int, int]:
    """(object versions in the bucket, document items in the catalogue)."""
    return len(object_versions(lam.s3)), len(catalogue_items(lam.dynamodb))


@pytest.fixture
def clock() -> list[float]:
    """The service's clock (epoch seconds); tests move it."""
    return [T0]


@pytest.fixture
def app(s3: Any, dynamodb: Any, clock: list[float]) -> Lambda:
    return build_lambda(s3, dynamodb, clock=lambda: clock[0])


# --- the same request again -------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_the_same_key_and_body_give_the_same_document_once(app: Lambda, version: str) -> None:
    first = post(app, make_pdf(2), content_type="application/pdf", filename="a.pdf", version=version)
    again = post(app, make_pdf(2), content_type="application/pdf", filename="a.pdf", version=version)

    assert created(again) == created(first)
    assert not replayed(first)
    assert replayed(again)
    assert again["headers"]["Location"] == first["headers"]["Location"]
    assert documents_stored(app) == (1, 1)
    assert [line.get("DocumentsStored") for line in app.lines() if "DocumentsStored" in line] == [1]
    assert any(line.get("IdempotentReplays") == 1 for line in app.lines())


def test_a_replay_makes_no_s3_call(app: Lambda) -> None:
    created(post(app))
    calls: list[str] = []
    app.s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))

    assert replayed(post(app))
    assert calls == []


def test_without_a_key_the_same_body_is_a_second_document(app: Lambda) -> None:
    # The contrast that makes the key necessary: a plain retry stores twice.
    first, second = created(post(app, key=None)), created(post(app, key=None))

    assert first["id"] != second["id"]
    assert documents_stored(app) == (2, 2)


# --- the same key, another request ------------------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"body": b"other words"}, id="other body"),
        pytest.param({"body": make_png(1, 1), "content_type": "image/png"}, id="other type"),
        pytest.param({"content_type": "text/plain; charset=utf-8"}, id="other Content-Type header"),
        pytest.param({"filename": "b.txt"}, id="other filename"),
        pytest.param({"filename": None}, id="filename dropped"),
    ],
)
def test_the_same_key_with_another_request_is_422_and_changes_nothing(
    app: Lambda, other: dict[str, Any]
) -> None:
    original = created(post(app, filename="a.txt"))
    before = documents_stored(app)
    arguments: dict[str, Any] = {"filename": "a.txt", **other}

    response = post(app, **arguments)

    assert response["statusCode"] == 422
    error = body_json(response)["error"]
    assert error == {
        "code": "idempotency_key_reused",
        "message": REUSED_MESSAGE,
        "requestId": error["requestId"],
    }
    assert documents_stored(app) == before
    assert created(post(app, filename="a.txt")) == original  # the key still names the first request


def test_keys_are_per_caller(app: Lambda) -> None:
    alice = created(post(app, caller=ALICE))

    bob = post(app, caller=BOB)
    bob_other_body = post(app, b"bob's own words", key="bob-key", caller=BOB)

    assert not replayed(bob)
    assert created(bob)["id"] != alice["id"]
    assert created(bob_other_body)
    assert replayed(post(app, caller=ALICE))
    assert created(post(app, caller=ALICE)) == alice
    assert documents_stored(app) == (3, 3)


def test_a_key_expires_after_24_hours(app: Lambda, clock: list[float]) -> None:
    first = created(post(app))

    clock[0] = T0 + DAY - 1
    just_before = post(app)
    assert_reused = post(app, b"another body")
    clock[0] = T0 + DAY + 1
    after = post(app, b"another body")  # expired: a new request, whatever it is
    again = post(app, b"another body")

    assert replayed(just_before)
    assert created(just_before) == first
    assert assert_reused["statusCode"] == 422
    assert not replayed(after)
    assert created(after)["id"] != first["id"]
    assert replayed(again)
    assert created(again) == created(after)


def test_an_expired_record_is_taken_over_even_before_dynamodb_deletes_it(
    app: Lambda, clock: list[float]
) -> None:
    created(post(app))
    clock[0] = T0 + 2 * DAY
    created(post(app, b"later"))

    [record] = catalogue_items(app.dynamodb, "IDEM#")  # one record per key: the new one replaced it
    assert int(record["expiresAt"]["N"]) == int(T0 + 2 * DAY) + DAY


def test_the_record_keeps_only_a_hash_of_the_key(app: Lambda) -> None:
    created(post(app))

    [record] = catalogue_items(app.dynamodb, "IDEM#")
    assert record["sk"]["S"] == "IDEM#" + hashlib.sha256(KEY.encode()).hexdigest()
    assert KEY not in str(record)
    assert record["state"]["S"] == "completed"
    assert record["pk"]["S"] == "OWNER#" + normalise_principal(ALICE).owner_key


# --- validation never uses up a key -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"caf\xe9", "text/plain", 415, "invalid_text_encoding"),
        (b"%PDF-1.7 tiny", "image/png", 415, "content_type_mismatch"),
        (b"%PDF-1.7 not really", "application/pdf", 415, "malformed_document"),
        (b"x" * 31, "text/plain", 413, "document_too_large"),
    ],
)
def test_a_refused_request_leaves_the_key_unused(
    s3: Any, dynamodb: Any, body: bytes, content_type: str, status: int, code: str
) -> None:
    lam = build_lambda(s3, dynamodb, MAX_DOCUMENT_BYTES="30")

    refused = post(lam, body, content_type=content_type)
    accepted = post(lam, b"fine")

    assert refused["statusCode"] == status
    assert body_json(refused)["error"]["code"] == code
    assert not replayed(accepted)
    assert created(accepted)["size"] == 4


@pytest.mark.parametrize("key", ["", " ", "has space", "x" * 256, "caf\u00e9", "tab\tkey", "\x7f"])
def test_an_invalid_key_is_400_before_anything_is_written(app: Lambda, key: str) -> None:
    response = post(app, key=key)

    assert response["statusCode"] == 400
    assert body_json(response)["error"]["code"] == "invalid_idempotency_key"
    assert documents_stored(app) == (0, 0)
    assert catalogue_items(app.dynamodb, "IDEM#") == []


def test_a_key_of_255_visible_characters_is_accepted(app: Lambda) -> None:
    key = "".join(chr(0x21 + n % 94) for n in range(255))

    assert created(post(app, key=key))
    assert replayed(post(app, key=key))


# --- the answer was lost ----------------------------------------------------------------------------


def die_after(client: Any, event: str) -> Callable[[], None]:
    """The process dies right after ``event`` succeeded (the call's effect stays); returns a reviver."""

    def hook(**_: Any) -> None:
        raise ProcessDied

    client.meta.events.register(event, hook, unique_id="die-after")
    return lambda: client.meta.events.unregister(event, unique_id="die-after")


def test_a_retry_after_dying_between_put_object_and_the_answer_ends_with_one_document(app: Lambda) -> None:
    revive = die_after(app.s3, "after-call.s3.PutObject")
    with pytest.raises(ProcessDied):
        post(app, make_pdf(1), content_type="application/pdf")
    revive()
    assert documents_stored(app) == (1, 0)  # stored, not catalogued, nobody told

    retry = post(app, make_pdf(1), content_type="application/pdf")

    document = created(retry)
    assert replayed(retry)
    assert documents_stored(app) == (1, 1)
    [stored] = object_versions(app.s3)
    assert stored["Key"] == object_key(normalise_principal(ALICE), document["id"])
    assert body_json(app.call(make_event("GET", f"/documents/{document['id']}"))) == document
    assert body_json(app.call(make_event("GET", "/documents")))["items"] == [document]
    assert replayed(post(app, make_pdf(1), content_type="application/pdf"))
    assert documents_stored(app) == (1, 1)


def test_without_a_key_the_same_crash_leaves_a_duplicate(app: Lambda) -> None:
    revive = die_after(app.s3, "after-call.s3.PutObject")
    with pytest.raises(ProcessDied):
        post(app, key=None)
    revive()

    created(post(app, key=None))

    assert len(object_versions(app.s3)) == 2


def test_a_retry_after_dying_before_completing_the_record_ends_with_one_document(
    app: Lambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    def die(*_: object, **__: object) -> None:
        raise ProcessDied

    with monkeypatch.context() as patch:
        patch.setattr(Catalogue, "complete_idempotency", die)
        with pytest.raises(ProcessDied):
            post(app)
    assert documents_stored(app) == (1, 1)

    retry = post(app)

    assert replayed(retry)
    assert documents_stored(app) == (1, 1)
    [record] = catalogue_items(app.dynamodb, "IDEM#")
    assert record["state"]["S"] == "completed"
    assert record["documentId"]["S"] == created(retry)["id"]


def test_a_failure_to_complete_the_record_still_answers_201_and_a_retry_resumes(
    app: Lambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_: object, **__: object) -> None:
        raise CatalogueUnavailableError("Storage is temporarily unavailable; retry later.")

    with monkeypatch.context() as patch:
        patch.setattr(Catalogue, "complete_idempotency", unavailable)
        first = post(app)

    retry = post(app)

    assert created(retry) == created(first)
    assert not replayed(first)
    assert replayed(retry)
    assert documents_stored(app) == (1, 1)


def test_a_pending_attempt_is_finished_under_its_id(app: Lambda) -> None:
    # Another attempt with this key and body claimed an id and has not stored anything yet (it is
    # still running, or it died right after the claim): this request stores under that id.
    caller = normalise_principal(ALICE)
    reserved = "0190aaaa0000" + "1" * 20
    request = idempotent_request(
        KEY, content_type_header="text/plain", content_disposition_header=None, body_sha256=_sha(b"words")
    )
    Catalogue(app.dynamodb, TABLE).claim_idempotency(
        caller.owner_key,
        request.key_digest,
        fingerprint=request.fingerprint,
        document_id=reserved,
        now=int(T0),
    )

    response = post(app, b"words")

    assert created(response)["id"] == reserved
    assert replayed(response)
    assert documents_stored(app) == (1, 1)


def test_a_pending_id_held_by_another_object_is_never_overwritten(app: Lambda) -> None:
    caller = normalise_principal(ALICE)
    reserved = "0190aaaa0000" + "2" * 20
    key = object_key(caller, reserved)
    app.s3.put_object(Bucket=BUCKET, Key=key, Body=b"something else", Metadata={"owner": caller.principal})
    request = idempotent_request(
        KEY, content_type_header="text/plain", content_disposition_header=None, body_sha256=_sha(b"words")
    )
    Catalogue(app.dynamodb, TABLE).claim_idempotency(
        caller.owner_key,
        request.key_digest,
        fingerprint=request.fingerprint,
        document_id=reserved,
        now=int(T0),
    )

    response = post(app, b"words")

    assert response["statusCode"] == 502
    assert body_json(response)["error"]["code"] == "storage_error"
    assert app.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"something else"
    assert catalogue_items(app.dynamodb) == []


def test_fingerprints_tell_requests_apart_and_keys_are_hashed() -> None:
    def fingerprint(content_type: str | None, disposition: str | None, body: bytes) -> str:
        return idempotent_request(
            KEY,
            content_type_header=content_type,
            content_disposition_header=disposition,
            body_sha256=_sha(body),
        ).fingerprint

    base = fingerprint("text/plain", None, b"x")
    assert base == fingerprint("text/plain", None, b"x")
    assert len({base, fingerprint("text/plain", "", b"x"), fingerprint("text/plain", None, b"y")}) == 3
    # Length prefixes: moving characters between the headers makes another fingerprint.
    assert fingerprint("text/plain", "attachment", b"x") != fingerprint("text/plainattachment", "", b"x")
    assert (
        idempotent_request(
            KEY, content_type_header=None, content_disposition_header=None, body_sha256=b""
        ).key_digest
        == hashlib.sha256(KEY.encode()).hexdigest()
    )


def _sha(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()


def test_a_claim_whose_answer_was_lost_is_still_this_requests_own(app: Lambda) -> None:
    # The claim's PutItem was written but its answer lost; botocore's retry is refused with the very
    # record it wrote (same fingerprint, same proposed id): that is a fresh claim, not a replay.
    lose_claim_answer(app.dynamodb)

    response = post(app)

    assert response["statusCode"] == 201
    assert not replayed(response)
    assert documents_stored(app) == (1, 1)


def lose_claim_answer(client: Any) -> None:
    """The first idempotency-record PutItem reaches DynamoDB twice: as if its answer was lost and retried."""
    lost: list[bool] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        if params["Item"]["sk"]["S"].startswith("IDEM#") and not lost:
            lost.append(True)
            Catalogue(create_dynamodb_client(), TABLE)._client.put_item(**params)  # it reached DynamoDB

    client.meta.events.register("before-parameter-build.dynamodb.PutItem", hook, unique_id="lose-claim")


def test_an_item_written_late_for_a_document_deleted_meanwhile_is_removed_by_its_writer(
    app: Lambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Attempt A stored the object; before its item write lands, the client's same-key retry B answers
    # the id, and the client deletes the document (object and item gone, their S3 events reconciled).
    # A's late item would have no event left to remove it: A itself must take a second look.
    real_put = Catalogue.put_document
    retry: list[dict[str, Any]] = []
    delayed: list[bool] = []

    def slow_put(catalogue: Catalogue, owner_key: str, document: Any, *, owner: str) -> bool:
        if not delayed:  # only attempt A's write is delayed; B's goes straight through
            delayed.append(True)
            retry.append(post(app))
            deleted = app.call(make_event("DELETE", f"/documents/{created(retry[0])['id']}"))
            assert deleted["statusCode"] == 204
            assert catalogue_items(app.dynamodb) == []
        return real_put(catalogue, owner_key, document, owner=owner)

    monkeypatch.setattr(Catalogue, "put_document", slow_put)
    first = post(app)

    assert created(first)["id"] == created(retry[0])["id"]
    assert replayed(retry[0])
    assert catalogue_items(app.dynamodb) == []
    listing = body_json(app.call(make_event("GET", "/documents")))
    assert listing["items"] == []


def _fingerprint_before_generalising(
    content_type: str | None, disposition: str | None, body_sha256: bytes
) -> str:
    """The POST /documents fingerprint as it was computed before ``idempotency.fingerprint`` existed."""
    digest = hashlib.sha256()
    for part in (content_type, disposition):
        if part is None:
            digest.update(b"-")
        else:
            encoded = part.encode("utf-8", "surrogatepass")
            digest.update(b"+%d:" % len(encoded) + encoded)
    digest.update(b"+%d:" % len(body_sha256) + body_sha256)
    return digest.hexdigest()


@pytest.mark.parametrize(
    ("content_type", "disposition"),
    [("application/pdf", None), ("text/plain", 'attachment; filename="a.txt"'), (None, "inline"), ("", "")],
)
def test_document_fingerprints_are_unchanged_so_live_records_still_replay(
    content_type: str | None, disposition: str | None
) -> None:
    body_sha256 = hashlib.sha256(b"body").digest()

    request = idempotent_request(
        "k", content_type_header=content_type, content_disposition_header=disposition, body_sha256=body_sha256
    )

    assert request.fingerprint == _fingerprint_before_generalising(content_type, disposition, body_sha256)


def test_fingerprints_keep_their_parts_apart() -> None:
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
    assert fingerprint(None) != fingerprint("")
    assert fingerprint("a") != fingerprint("a", None)
    assert fingerprint("x", b"y") == fingerprint("x", "y")
