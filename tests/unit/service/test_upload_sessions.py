"""Upload sessions in the catalogue (moto DynamoDB): the item's shape, conditional creates, consistent and
owner-scoped reads, conditional state transitions (racing moves, the clock, the state machine), and the
newest-first listing with its cursor."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from document_processor.catalogue import Catalogue, session_from_item, session_item
from document_processor.documents import Document
from document_processor.errors import CatalogueError, CatalogueUnavailableError, NotFoundError
from document_processor.identity import normalise_principal
from document_processor.ids import new_document_id
from document_processor.uploads import (
    EXPIRING_STATUSES,
    SESSION_LIFETIME_SECONDS,
    TRANSITIONS,
    InvalidUploadStateError,
    UploadError,
    UploadRequest,
    UploadSession,
    UploadStatus,
    new_session,
    rfc3339,
)
from tests.unit.service.conftest import ALICE, BOB, TABLE, catalogue_items
from tests.unit.service.test_storage_failures import CATALOGUE_FAILURES, Fault

if TYPE_CHECKING:
    from collections.abc import Callable

NOW = 1_780_000_000.25
ALICE_KEY = normalise_principal(ALICE).owner_key
BOB_KEY = normalise_principal(BOB).owner_key
REQUEST = UploadRequest(
    filename="Scan Ärger.pdf", content_type="application/pdf", size=52_428_801, sha256="ab" * 32
)
Status = UploadStatus


@pytest.fixture
def catalogue(dynamodb: Any) -> Catalogue:
    return Catalogue(dynamodb, TABLE)


def make_session(*, now: float = NOW, upload_id: str | None = None, owner: str = ALICE) -> UploadSession:
    upload_id = upload_id or new_document_id(now_ms=int(now * 1000))
    return new_session(
        upload_id, REQUEST, owner=normalise_principal(owner).principal, multipart_upload_id="mpu-1", now=now
    )


def stored_with(catalogue: Catalogue, status: UploadStatus, **changes: Any) -> UploadSession:
    """A session written straight in ``status`` (to start a transition from any state)."""
    session = make_session()._replace(status=status, **changes)
    assert catalogue.create_session(ALICE_KEY, session)
    return session


def test_a_session_item_has_the_declared_shape_and_reads_back(catalogue: Catalogue, dynamodb: Any) -> None:
    session = make_session()

    assert catalogue.create_session(ALICE_KEY, session) is True

    [item] = catalogue_items(dynamodb, "UPLOAD#")
    assert item == {
        "pk": {"S": f"OWNER#{ALICE_KEY}"},
        "sk": {"S": f"UPLOAD#{session.id}"},
        "id": {"S": session.id},
        "owner": {"S": "arn:aws:iam::111122223333:role/DocumentWriter"},
        "filename": {"S": "Scan Ärger.pdf"},
        "filenameLower": {"S": "scan ärger.pdf"},
        "contentType": {"S": "application/pdf"},
        "size": {"N": "52428801"},
        "sha256": {"S": "ab" * 32},
        "partSize": {"N": str(5 * 1024 * 1024)},
        "partCount": {"N": "11"},
        "multipartUploadId": {"S": "mpu-1"},
        "status": {"S": "awaiting-parts"},
        "createdAt": {"S": session.created_at},
        "expiresAt": {"N": str(int(NOW) + 86_400)},
        "updatedAt": {"S": rfc3339(NOW)},
    }
    assert catalogue.get_session(ALICE_KEY, session.id) == session


def test_error_and_document_id_round_trip_through_the_item() -> None:
    session = make_session()._replace(
        status=Status.REJECTED,
        error=UploadError("checksum_mismatch", "The SHA-256 differs."),
        document_id="d" * 32,
    )

    item = session_item(ALICE_KEY, session)

    assert item["error"] == {
        "M": {"code": {"S": "checksum_mismatch"}, "message": {"S": "The SHA-256 differs."}}
    }
    assert item["documentId"] == {"S": "d" * 32}
    assert session_from_item(item) == session


def test_create_never_overwrites(catalogue: Catalogue) -> None:
    session = make_session()
    catalogue.create_session(ALICE_KEY, session)

    assert catalogue.create_session(ALICE_KEY, session._replace(filename="other.pdf", size=1)) is False
    assert catalogue.get_session(ALICE_KEY, session.id) == session


def test_another_owners_session_is_not_found(catalogue: Catalogue) -> None:
    session = make_session()
    catalogue.create_session(ALICE_KEY, session)

    assert catalogue.get_session(BOB_KEY, session.id) is None
    assert catalogue.get_session(ALICE_KEY, new_document_id()) is None
    with pytest.raises(NotFoundError):
        catalogue.transition_session(BOB_KEY, session.id, [Status.AWAITING_PARTS], Status.ABORTED, now=NOW)
    assert catalogue.get_session(ALICE_KEY, session.id) == session


def test_a_document_id_is_not_a_session(catalogue: Catalogue) -> None:
    """Documents and sessions share a partition but never a sort key."""
    document_id = new_document_id()
    catalogue.put_document(
        ALICE_KEY,
        Document(id=document_id, content_type="text/plain", size=1, sha256=None, filename=None, facts={}),
        owner=ALICE,
    )

    assert catalogue.get_session(ALICE_KEY, document_id) is None
    assert catalogue.list_sessions(ALICE_KEY, limit=10, after_id=None) == ([], None)


def test_get_reads_consistently(catalogue: Catalogue, dynamodb: Any) -> None:
    session = make_session()
    catalogue.create_session(ALICE_KEY, session)
    sent: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.GetItem", lambda params, **_: sent.append(params)
    )

    catalogue.get_session(ALICE_KEY, session.id)

    assert [params["ConsistentRead"] for params in sent] == [True]


def test_complete_moves_awaiting_parts_to_processing(catalogue: Catalogue) -> None:
    session = stored_with(catalogue, Status.AWAITING_PARTS)
    later = NOW + 3600

    moved = catalogue.transition_session(
        ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.PROCESSING, now=later
    )

    assert moved == session._replace(
        status=Status.PROCESSING,
        updated_at=rfc3339(later),
        expires_at=int(later)
        + SESSION_LIFETIME_SECONDS,  # kept a day from the move: never TTL'd mid-processing
    )
    assert catalogue.get_session(ALICE_KEY, session.id) == moved


def test_stored_records_the_document_and_rejected_the_error(catalogue: Catalogue) -> None:
    first = stored_with(catalogue, Status.PROCESSING)
    second = stored_with(catalogue, Status.SCANNING)
    error = UploadError("size_mismatch", "The object is 3 bytes; 52428801 were declared.")

    stored = catalogue.transition_session(
        ALICE_KEY,
        first.id,
        [Status.PROCESSING, Status.SCANNING],
        Status.STORED,
        now=NOW,
        document_id=first.id,
    )
    rejected = catalogue.transition_session(
        ALICE_KEY, second.id, [Status.PROCESSING, Status.SCANNING], Status.REJECTED, now=NOW, error=error
    )

    assert (stored.status, stored.document_id, stored.error) == (Status.STORED, first.id, None)
    assert (rejected.status, rejected.error, rejected.document_id) == (Status.REJECTED, error, None)
    assert catalogue.get_session(ALICE_KEY, second.id) == rejected


def test_a_move_from_the_wrong_state_is_409_with_the_session_found(catalogue: Catalogue) -> None:
    session = stored_with(catalogue, Status.STORED, document_id="e" * 32)

    with pytest.raises(InvalidUploadStateError) as raised:
        catalogue.transition_session(ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.ABORTED, now=NOW)

    assert raised.value.status == 409
    assert raised.value.code == "invalid_upload_state"
    assert (
        raised.value.message
        == "The upload session is 'stored'; this request needs it to be 'awaiting-parts'."
    )
    assert raised.value.current is Status.STORED
    assert raised.value.session == session
    assert catalogue.get_session(ALICE_KEY, session.id) == session


def test_of_two_racing_moves_exactly_one_wins(catalogue: Catalogue) -> None:
    session = stored_with(catalogue, Status.AWAITING_PARTS)

    completed = catalogue.transition_session(
        ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.PROCESSING, now=NOW
    )
    with pytest.raises(InvalidUploadStateError) as raised:
        catalogue.transition_session(ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.ABORTED, now=NOW)

    assert raised.value.current is Status.PROCESSING
    assert catalogue.get_session(ALICE_KEY, session.id) == completed


def test_a_session_past_its_time_cannot_be_completed_only_expired(catalogue: Catalogue) -> None:
    session = stored_with(catalogue, Status.AWAITING_PARTS)
    deadline = session.expires_at

    with pytest.raises(InvalidUploadStateError) as raised:
        catalogue.transition_session(
            ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.PROCESSING, now=deadline
        )
    assert raised.value.current is Status.EXPIRED
    assert catalogue.get_session(ALICE_KEY, session.id) == session

    expired = catalogue.transition_session(
        ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.EXPIRED, now=deadline
    )
    assert expired.status is Status.EXPIRED


def test_a_session_in_time_cannot_be_expired(catalogue: Catalogue) -> None:
    session = stored_with(catalogue, Status.AWAITING_PARTS)

    with pytest.raises(InvalidUploadStateError) as raised:
        catalogue.transition_session(
            ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.EXPIRED, now=session.expires_at - 1
        )

    assert raised.value.current is Status.AWAITING_PARTS
    assert raised.value.message == "The upload session has not expired yet."
    assert catalogue.get_session(ALICE_KEY, session.id) == session


LEGAL = [(source, target) for source, targets in TRANSITIONS.items() for target in sorted(targets)]
ILLEGAL = [pair for pair in itertools.product(Status, Status) if pair not in LEGAL]


def _extras(target: UploadStatus) -> dict[str, Any]:
    if target is Status.STORED:
        return {"document_id": "f" * 32}
    if target is Status.REJECTED:
        return {"error": UploadError("scan_failed", "The scan failed.")}
    return {}


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=[f"{s}->{t}" for s, t in LEGAL])
def test_every_legal_move_is_written(
    catalogue: Catalogue, source: UploadStatus, target: UploadStatus
) -> None:
    session = stored_with(catalogue, source)
    now = session.expires_at if target is Status.EXPIRED else NOW

    moved = catalogue.transition_session(ALICE_KEY, session.id, [source], target, now=now, **_extras(target))

    assert moved.status is target
    assert catalogue.get_session(ALICE_KEY, session.id) == moved


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=[f"{s}->{t}" for s, t in ILLEGAL])
def test_a_move_the_state_machine_lacks_is_refused_before_any_call(
    catalogue: Catalogue, dynamodb: Any, source: UploadStatus, target: UploadStatus
) -> None:
    session = stored_with(catalogue, source)
    fault = Fault(dynamodb, "UpdateItem", RuntimeError("must not be called"))

    with pytest.raises(ValueError, match="no transition"):
        catalogue.transition_session(ALICE_KEY, session.id, [source], target, now=NOW, **_extras(target))

    assert fault.calls == []
    assert catalogue.get_session(ALICE_KEY, session.id) == session


@pytest.mark.parametrize(
    ("target", "extras"),
    [
        (Status.REJECTED, {}),
        (Status.STORED, {}),
        (Status.STORED, {"document_id": "f" * 32, "error": UploadError("x", "y")}),
        (Status.SCANNING, {"document_id": "f" * 32}),
    ],
)
def test_outcome_attributes_go_with_their_status_only(
    catalogue: Catalogue, target: UploadStatus, extras: dict[str, Any]
) -> None:
    session = stored_with(catalogue, Status.PROCESSING)

    with pytest.raises(ValueError, match="required for, and only for"):
        catalogue.transition_session(ALICE_KEY, session.id, [Status.PROCESSING], target, now=NOW, **extras)


def test_listing_is_newest_first_in_pages_and_only_the_owners(catalogue: Catalogue) -> None:
    ids = [new_document_id(now_ms=int(NOW * 1000) + step) for step in range(5)]
    for upload_id in ids:
        catalogue.create_session(ALICE_KEY, make_session(upload_id=upload_id))
    catalogue.create_session(BOB_KEY, make_session(owner=BOB))

    first, after = catalogue.list_sessions(ALICE_KEY, limit=2, after_id=None)
    second, after_second = catalogue.list_sessions(ALICE_KEY, limit=2, after_id=after)
    third, end = catalogue.list_sessions(ALICE_KEY, limit=2, after_id=after_second)

    assert [session.id for session in first + second + third] == ids[::-1]
    assert (after, after_second, end) == (ids[3], ids[1], None)


def test_a_page_that_ends_the_listing_says_so(catalogue: Catalogue) -> None:
    for step in range(2):
        catalogue.create_session(ALICE_KEY, make_session(upload_id=new_document_id(now_ms=step + 1)))

    sessions, after = catalogue.list_sessions(ALICE_KEY, limit=2, after_id=None)

    assert len(sessions) == 2
    assert after is None


@pytest.mark.parametrize(("error", "status", "code"), CATALOGUE_FAILURES)
@pytest.mark.parametrize("operation", ["PutItem", "GetItem", "UpdateItem", "Query"])
def test_dynamodb_failures_are_the_catalogues_errors(
    catalogue: Catalogue, dynamodb: Any, operation: str, error: Exception, status: int, code: str
) -> None:
    session = make_session()
    if operation != "PutItem":
        catalogue.create_session(ALICE_KEY, session)
    Fault(dynamodb, operation, error)
    calls: dict[str, Callable[[], object]] = {
        "PutItem": lambda: catalogue.create_session(ALICE_KEY, session),
        "GetItem": lambda: catalogue.get_session(ALICE_KEY, session.id),
        "UpdateItem": lambda: catalogue.transition_session(
            ALICE_KEY, session.id, [Status.AWAITING_PARTS], Status.ABORTED, now=NOW
        ),
        "Query": lambda: catalogue.list_sessions(ALICE_KEY, limit=10, after_id=None),
    }

    with pytest.raises((CatalogueError, CatalogueUnavailableError)) as raised:
        calls[operation]()

    assert (raised.value.status, str(raised.value.code)) == (status, code)
    assert TABLE not in raised.value.message


MOVES = st.sampled_from(LEGAL).flatmap(
    lambda move: st.tuples(st.just(move), st.booleans())  # (source, target), late: at/after the deadline
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(MOVES, min_size=1, max_size=6))
def test_any_sequence_of_moves_matches_the_state_machine(
    catalogue: Catalogue, moves: list[tuple[tuple[UploadStatus, UploadStatus], bool]]
) -> None:
    """Each attempt succeeds exactly when the model says so, and the stored session follows the model."""
    session = make_session(upload_id=new_document_id())
    catalogue.create_session(ALICE_KEY, session)
    status, deadline = Status.AWAITING_PARTS, session.expires_at

    for (source, target), late in moves:
        now = deadline if late else deadline - 1
        # awaiting parts and scanning (the malware gate) are held to the deadline: past it they read
        # expired, and only the move to expired leaves them
        seen = Status.EXPIRED if status in EXPIRING_STATUSES and now >= deadline else status
        leaving_expiring = source in EXPIRING_STATUSES and status is source
        allowed = status is source and (
            not leaving_expiring or ((target is Status.EXPIRED) == (now >= deadline))
        )
        if allowed:
            moved = catalogue.transition_session(
                ALICE_KEY, session.id, [source], target, now=now, **_extras(target)
            )
            status, deadline = target, int(now) + SESSION_LIFETIME_SECONDS
            assert (moved.status, moved.expires_at) == (status, deadline)
        else:
            with pytest.raises(InvalidUploadStateError) as raised:
                catalogue.transition_session(
                    ALICE_KEY, session.id, [source], target, now=now, **_extras(target)
                )
            assert raised.value.current is seen
        stored = catalogue.get_session(ALICE_KEY, session.id)
        assert stored is not None
        assert (stored.status, stored.expires_at) == (status, deadline)


def test_a_session_with_part_checksums_keeps_the_flag(catalogue: Catalogue, dynamodb: Any) -> None:
    flagged = make_session()._replace(part_checksums=True)
    plain = make_session(upload_id=new_document_id(now_ms=int(NOW * 1000) + 1))

    assert catalogue.create_session(ALICE_KEY, flagged)
    assert catalogue.create_session(ALICE_KEY, plain)

    items = {item["id"]["S"]: item for item in catalogue_items(dynamodb, "UPLOAD#")}
    assert items[flagged.id]["partChecksums"] == {"BOOL": True}
    assert "partChecksums" not in items[plain.id]  # an item without the flag reads as before
    assert catalogue.get_session(ALICE_KEY, flagged.id) == flagged
    assert catalogue.get_session(ALICE_KEY, plain.id) == plain
    moved = catalogue.transition_session(
        ALICE_KEY, flagged.id, [Status.AWAITING_PARTS], Status.ABORTED, now=NOW + 1
    )
    assert moved.part_checksums is True
