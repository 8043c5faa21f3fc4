"""The upload session model without AWS: ``POST /uploads`` request validation with its exact answers, the
part plan (properties over every size S3 allows), the state machine, ingest keys, and the session
listing's parameters."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from document_processor.errors import ServiceError
from document_processor.ids import new_document_id
from document_processor.settings import (
    DEFAULT_ALLOWED_CONTENT_TYPES,
    DEFAULT_MAX_UPLOAD_BYTES,
    JPEG,
    PDF,
    PNG,
    TEXT,
)
from document_processor.uploads import (
    MAX_OBJECT_BYTES,
    MAX_PART_SIZE,
    MAX_PARTS,
    MAX_PARTS_PER_REQUEST,
    MAX_REQUEST_BODY_CHARACTERS,
    MIB,
    MIN_PART_SIZE,
    SESSION_LIFETIME_SECONDS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    CompletedPart,
    InvalidUploadStateError,
    PartPlan,
    PartRequest,
    UploadError,
    UploadRequest,
    UploadStatus,
    can_transition,
    first_parts,
    ingest_key,
    list_parameters,
    new_session,
    parse_complete_request,
    parse_ingest_key,
    parse_parts_request,
    parse_upload_request,
    part_length,
    plan_parts,
    require_status,
    rfc3339,
    session_cursor_binding,
)
from document_processor.validation import cursor_binding, encode_cursor

ALLOWED = frozenset(DEFAULT_ALLOWED_CONTENT_TYPES)
SHA = "0123456789abcdef" * 4
OWNER_KEY = "a" * 64
NOW = 1_780_000_000.5


def body(**fields: Any) -> str:
    base: dict[str, Any] = {"filename": "scan.pdf", "contentType": PDF, "size": 52_428_800, "sha256": SHA}
    base.update(fields)
    return json.dumps({name: value for name, value in base.items() if value is not ...})


def refusal(raw: str | bytes | None, **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ServiceError) as raised:
        parse_upload_request(raw, allowed=kwargs.pop("allowed", ALLOWED), **kwargs)
    return raised.value.status, str(raised.value.code), raised.value.message


# --- request validation ------------------------------------------------------------------------------


def test_a_valid_request_is_parsed() -> None:
    assert parse_upload_request(body(), allowed=ALLOWED) == UploadRequest(
        filename="scan.pdf", content_type=PDF, size=52_428_800, sha256=SHA
    )


@pytest.mark.parametrize(
    "declared", [PDF, PNG, JPEG, "Application/PDF", "text/plain; charset=utf-8", "text/plain"]
)
def test_every_allowed_type_is_accepted_as_its_bare_media_type(declared: str) -> None:
    parsed = parse_upload_request(body(contentType=declared), allowed=ALLOWED)

    assert parsed.content_type == declared.split(";")[0].lower()


def test_the_filename_is_sanitised_like_a_content_disposition_one() -> None:
    parsed = parse_upload_request(body(filename="../../etc/\u202epasswd\x00.pdf"), allowed=ALLOWED)

    assert parsed.filename == "passwd.pdf"


def test_bytes_bodies_are_accepted() -> None:
    assert parse_upload_request(body().encode(), allowed=ALLOWED).size == 52_428_800


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, (400, "empty_body", "The request body is empty; send a JSON object.")),
        ("", (400, "empty_body", "The request body is empty; send a JSON object.")),
        ("[]", (400, "invalid_request", "The request body must be a JSON object.")),
        ('"x"', (400, "invalid_request", "The request body must be a JSON object.")),
        ("{", (400, "invalid_request", "The request body must be a JSON object (UTF-8, no repeated keys).")),
        (
            b"\xff{}",
            (400, "invalid_request", "The request body must be a JSON object (UTF-8, no repeated keys)."),
        ),
        (
            body()[:-1] + ', "size": 1}',
            (400, "invalid_request", "The request body must be a JSON object (UTF-8, no repeated keys)."),
        ),
        (
            body(sha256=...),
            (
                400,
                "invalid_request",
                "The body must have the keys filename, contentType, size, sha256 and may have "
                "partChecksums, nothing else (missing sha256).",
            ),
        ),
        (
            body(parts=3, extra=1),
            (
                400,
                "invalid_request",
                "The body must have the keys filename, contentType, size, sha256 and may have "
                "partChecksums, nothing else (unknown 'extra', 'parts').",
            ),
        ),
        (body(filename=7), (400, "invalid_request", "filename must be JSON strings.")),
        (
            body(contentType=None, sha256=1),
            (400, "invalid_request", "contentType, sha256 must be JSON strings."),
        ),
        (
            body(size="5"),
            (400, "invalid_request", "size must be a JSON integer (the file's length in bytes)."),
        ),
        (
            body(size=5.0),
            (400, "invalid_request", "size must be a JSON integer (the file's length in bytes)."),
        ),
        (
            body(size=True),
            (400, "invalid_request", "size must be a JSON integer (the file's length in bytes)."),
        ),
        (
            body(size=0),
            (400, "invalid_request", "size must be at least 1 byte; an empty file cannot be uploaded."),
        ),
        (
            body(size=-1),
            (400, "invalid_request", "size must be at least 1 byte; an empty file cannot be uploaded."),
        ),
        (
            body(size=DEFAULT_MAX_UPLOAD_BYTES + 1),
            (413, "document_too_large", "The document is larger than the 5368709120-byte limit."),
        ),
        (
            body(contentType="application/zip"),
            (
                415,
                "unsupported_content_type",
                "Content-Type 'application/zip' is not accepted; use one of application/pdf, image/jpeg, "
                "image/png, text/plain.",
            ),
        ),
        (
            body(contentType="not a type"),
            (415, "unsupported_content_type", "The Content-Type header is malformed."),
        ),
        (
            body(contentType="text/plain; charset=latin-1"),
            (415, "invalid_text_encoding", "Text must be UTF-8; charset 'latin-1' is not accepted."),
        ),
        (
            body(sha256=SHA.upper()),
            (
                400,
                "invalid_sha256",
                "sha256 must be the SHA-256 of the whole file as 64 lowercase hex digits.",
            ),
        ),
        (
            body(sha256=SHA[:-1]),
            (
                400,
                "invalid_sha256",
                "sha256 must be the SHA-256 of the whole file as 64 lowercase hex digits.",
            ),
        ),
        (
            body(sha256=SHA[:-1] + "g"),
            (
                400,
                "invalid_sha256",
                "sha256 must be the SHA-256 of the whole file as 64 lowercase hex digits.",
            ),
        ),
        (
            body(sha256=SHA[:-1] + "\u0661"),  # ARABIC-INDIC DIGIT ONE: a digit, not hex
            (
                400,
                "invalid_sha256",
                "sha256 must be the SHA-256 of the whole file as 64 lowercase hex digits.",
            ),
        ),
        (
            body(filename=" ..\u200b "),
            (400, "invalid_request", "filename must keep at least one usable character once sanitised."),
        ),
        (
            '{"size": ' + "9" * 5000 + "}",  # beyond Python's int-from-text digit limit
            (400, "invalid_request", "The request body must be a JSON object (UTF-8, no repeated keys)."),
        ),
        (
            " " * (MAX_REQUEST_BODY_CHARACTERS - 1) + "{}",
            (
                400,
                "invalid_request",
                f"The request body is longer than {MAX_REQUEST_BODY_CHARACTERS} characters.",
            ),
        ),
    ],
)
def test_every_bad_request_has_its_status_code_and_message(
    raw: str | bytes | None, expected: tuple[int, str, str]
) -> None:
    assert refusal(raw) == expected


def test_an_unsupported_type_is_refused_before_the_size_and_checksum() -> None:
    """415 comes before any other check of the values: no URL is ever issued for a refused type."""
    assert refusal(body(contentType="video/mp4", size=10**12, sha256="x"))[:2] == (
        415,
        "unsupported_content_type",
    )


def test_a_type_the_deployment_does_not_allow_is_415() -> None:
    assert refusal(body(contentType=TEXT), allowed=frozenset({PDF}))[:2] == (415, "unsupported_content_type")


def test_the_size_limit_is_configurable() -> None:
    assert parse_upload_request(body(size=100), allowed=ALLOWED, max_size=100).size == 100
    assert refusal(body(size=101), max_size=100) == (
        413,
        "document_too_large",
        "The document is larger than the 100-byte limit.",
    )


def test_a_body_at_the_length_limit_is_read() -> None:
    raw = body()
    padded = raw[:-1] + " " * (MAX_REQUEST_BODY_CHARACTERS - len(raw)) + "}"

    assert len(padded) == MAX_REQUEST_BODY_CHARACTERS
    assert parse_upload_request(padded, allowed=ALLOWED).filename == "scan.pdf"


# --- part planning -------------------------------------------------------------------------------------


SIZES = st.one_of(
    st.integers(min_value=1, max_value=MAX_OBJECT_BYTES),
    st.integers(min_value=1, max_value=DEFAULT_MAX_UPLOAD_BYTES),
    st.integers(min_value=1, max_value=200 * MIB),
    # around the sizes where the part size starts to grow and then steps by 1 MiB
    st.integers(min_value=-MAX_PARTS * 3, max_value=MAX_PARTS * 3).map(
        lambda offset: min(max(1, MAX_PARTS * MIN_PART_SIZE + offset), MAX_OBJECT_BYTES)
    ),
    st.integers(min_value=5, max_value=525).flatmap(
        lambda mib: st.integers(min_value=-2, max_value=2).map(
            lambda offset: min(max(1, MAX_PARTS * mib * MIB + offset), MAX_OBJECT_BYTES)
        )
    ),
)


@given(SIZES)
@example(1)
@example(MIN_PART_SIZE)
@example(MIN_PART_SIZE + 1)
@example(MAX_PARTS * MIN_PART_SIZE)
@example(MAX_PARTS * MIN_PART_SIZE + 1)
@example(DEFAULT_MAX_UPLOAD_BYTES)
@example(MAX_OBJECT_BYTES)
def test_every_size_fits_s3s_part_limits_with_the_smallest_whole_mib_part(size: int) -> None:
    plan = plan_parts(size)

    assert 1 <= plan.part_count <= MAX_PARTS
    assert MIN_PART_SIZE <= plan.part_size <= MAX_PART_SIZE
    assert plan.part_size % MIB == 0
    assert (plan.part_count - 1) * plan.part_size < size <= plan.part_count * plan.part_size
    last = part_length(plan, size, plan.part_count)
    assert 1 <= last <= plan.part_size
    lengths = [part_length(plan, size, n) for n in range(1, plan.part_count + 1)]
    assert sum(lengths) == size
    assert set(lengths[:-1]) <= {plan.part_size}
    # minimal: one MiB less would either drop below S3's minimum or need more than 10,000 parts
    smaller = plan.part_size - MIB
    assert smaller < MIN_PART_SIZE or -(-size // smaller) > MAX_PARTS


@pytest.mark.parametrize(
    ("size", "plan"),
    [
        (1, PartPlan(MIN_PART_SIZE, 1)),
        (MIN_PART_SIZE, PartPlan(MIN_PART_SIZE, 1)),
        (MIN_PART_SIZE + 1, PartPlan(MIN_PART_SIZE, 2)),
        (100 * MIB, PartPlan(MIN_PART_SIZE, 20)),
        (MAX_PARTS * MIN_PART_SIZE, PartPlan(MIN_PART_SIZE, MAX_PARTS)),
        (MAX_PARTS * MIN_PART_SIZE + 1, PartPlan(6 * MIB, 8334)),
        (DEFAULT_MAX_UPLOAD_BYTES, PartPlan(MIN_PART_SIZE, 1024)),
        (MAX_OBJECT_BYTES, PartPlan(525 * MIB, 9987)),
    ],
)
def test_plans_for_known_sizes(size: int, plan: PartPlan) -> None:
    assert plan_parts(size) == plan


@pytest.mark.parametrize("size", [0, -1, MAX_OBJECT_BYTES + 1])
def test_sizes_outside_s3s_object_limits_have_no_plan(size: int) -> None:
    with pytest.raises(ValueError, match="size must be"):
        plan_parts(size)


@pytest.mark.parametrize("part_number", [0, 3])
def test_a_part_outside_the_plan_has_no_length(part_number: int) -> None:
    with pytest.raises(ValueError, match=r"part_number must be 1\.\.2"):
        part_length(plan_parts(MIN_PART_SIZE + 1), MIN_PART_SIZE + 1, part_number)


# --- sessions and the state machine ---------------------------------------------------------------------


def session(**changes: Any) -> Any:
    request = UploadRequest(filename="scan.pdf", content_type=PDF, size=MIN_PART_SIZE * 3 + 7, sha256=SHA)
    made = new_session(
        new_document_id(), request, owner="arn:aws:iam::1:role/R", multipart_upload_id="m", now=NOW
    )
    return made._replace(**changes)


def test_a_new_session_awaits_its_planned_parts_for_a_day() -> None:
    made = session()

    assert made.status is UploadStatus.AWAITING_PARTS
    assert (made.part_size, made.part_count) == (MIN_PART_SIZE, 4)
    assert made.expires_at == int(NOW) + SESSION_LIFETIME_SECONDS
    assert made.updated_at == "2026-05-28T20:26:40.500Z"
    assert (made.error, made.document_id) == (None, None)


def test_a_new_session_needs_a_canonical_id() -> None:
    request = UploadRequest(filename="a", content_type=PDF, size=1, sha256=SHA)

    with pytest.raises(ValueError, match="canonical"):
        new_session("../x", request, owner="o", multipart_upload_id="m", now=NOW)


def test_awaiting_parts_reads_expired_from_its_deadline_on() -> None:
    made = session()

    assert made.status_at(made.expires_at - 0.001) is UploadStatus.AWAITING_PARTS
    assert made.status_at(made.expires_at) is UploadStatus.EXPIRED
    # a session that moved on keeps its status whatever its record's expiry
    assert (
        made._replace(status=UploadStatus.PROCESSING).status_at(made.expires_at + 1)
        is UploadStatus.PROCESSING
    )


def test_the_api_shape_of_a_session() -> None:
    made = session(status=UploadStatus.REJECTED, error=UploadError("size_mismatch", "Too short."))

    assert made.to_json(now=NOW) == {
        "id": made.id,
        "status": "rejected",
        "filename": "scan.pdf",
        "contentType": PDF,
        "size": MIN_PART_SIZE * 3 + 7,
        "sha256": SHA,
        "partSize": MIN_PART_SIZE,
        "partCount": 4,
        "partChecksums": False,
        "createdAt": made.created_at,
        "expiresAt": rfc3339(made.expires_at),
        "error": {"code": "size_mismatch", "message": "Too short."},
    }
    assert session().to_json(now=NOW + SESSION_LIFETIME_SECONDS)["status"] == "expired"
    assert (
        session(status=UploadStatus.STORED, document_id="d" * 32).to_json(now=NOW)["documentId"] == "d" * 32
    )


def test_the_state_machine_is_the_documented_one() -> None:
    status = UploadStatus
    assert {source: set(targets) for source, targets in TRANSITIONS.items() if targets} == {
        status.AWAITING_PARTS: {status.PROCESSING, status.ABORTED, status.EXPIRED},
        status.PROCESSING: {status.SCANNING, status.STORED, status.REJECTED},
        status.SCANNING: {status.STORED, status.REJECTED, status.EXPIRED},
    }
    assert set(TRANSITIONS) == set(status)
    assert {status.STORED, status.REJECTED, status.EXPIRED, status.ABORTED} == TERMINAL_STATUSES
    assert not any(can_transition(terminal, target) for terminal in TERMINAL_STATUSES for target in status)
    assert not any(can_transition(current, current) for current in status)


def test_every_status_is_reachable_from_a_new_session() -> None:
    reached = {UploadStatus.AWAITING_PARTS}
    frontier = [UploadStatus.AWAITING_PARTS]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)

    assert reached == set(UploadStatus)


def test_require_status_is_409_with_what_it_found() -> None:
    made = session(status=UploadStatus.ABORTED)

    require_status(session(), [UploadStatus.AWAITING_PARTS], now=NOW)
    with pytest.raises(InvalidUploadStateError) as raised:
        require_status(made, [UploadStatus.AWAITING_PARTS, UploadStatus.PROCESSING], now=NOW)

    assert (raised.value.status, str(raised.value.code)) == (409, "invalid_upload_state")
    assert raised.value.message == (
        "The upload session is 'aborted'; this request needs it to be 'awaiting-parts' or 'processing'."
    )
    assert raised.value.session == made


def test_require_status_sees_an_expired_session() -> None:
    made = session()

    with pytest.raises(InvalidUploadStateError) as raised:
        require_status(made, [UploadStatus.AWAITING_PARTS], now=made.expires_at)

    assert raised.value.current is UploadStatus.EXPIRED


# --- ingest keys -------------------------------------------------------------------------------------------


def test_ingest_keys_round_trip() -> None:
    upload_id = new_document_id()

    key = ingest_key(OWNER_KEY, upload_id)

    assert key == f"ingest/{OWNER_KEY}/{upload_id}"
    assert parse_ingest_key(key) == (OWNER_KEY, upload_id)


@pytest.mark.parametrize(
    ("owner_key", "upload_id"),
    [
        ("", "0" * 32),
        ("a/b", "0" * 32),
        ("A" * 64, "0" * 32),
        (OWNER_KEY, "../" + "0" * 29),
        (OWNER_KEY, "0" * 31),
    ],
)
def test_no_ingest_key_from_a_bad_segment(owner_key: str, upload_id: str) -> None:
    with pytest.raises(ValueError, match="ingest_key"):
        ingest_key(owner_key, upload_id)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "ingest/",
        f"documents/{OWNER_KEY}/{'0' * 32}",
        f"x/ingest/{OWNER_KEY}/{'0' * 32}",
        f"ingest/{OWNER_KEY}/{'0' * 32}/extra",
        f"ingest/{OWNER_KEY}/{'0' * 32}.part",
        f"ingest/{OWNER_KEY}//{'0' * 32}",
        f"ingest//{'0' * 32}",
        f"ingest/{OWNER_KEY.upper()}/{'0' * 32}",
        f"ingest/{OWNER_KEY}/{'0' * 31}G",
        f"ingest/{OWNER_KEY}",
    ],
)
def test_a_key_no_session_could_have_is_not_parsed(key: str) -> None:
    assert parse_ingest_key(key) is None


# --- listing parameters ------------------------------------------------------------------------------------


def test_listing_defaults_and_a_cursor_of_this_listing() -> None:
    after = new_document_id()
    cursor = encode_cursor(after, session_cursor_binding(OWNER_KEY))

    assert list_parameters({}, owner_key=OWNER_KEY) == (20, None, session_cursor_binding(OWNER_KEY))
    assert list_parameters({"limit": ["100"], "cursor": [cursor]}, owner_key=OWNER_KEY).after == after


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": ["0"]}, "invalid_limit"),
        ({"limit": ["101"]}, "invalid_limit"),
        ({"limit": ["1e2"]}, "invalid_limit"),
        ({"limit": ["1", "2"]}, "invalid_query_parameter"),
        ({"order": ["oldest"]}, "invalid_query_parameter"),
        ({"cursor": ["x"]}, "invalid_cursor"),
    ],
)
def test_listing_parameters_refused(query: dict[str, list[str]], code: str) -> None:
    with pytest.raises(ServiceError) as raised:
        list_parameters(query, owner_key=OWNER_KEY)

    assert (raised.value.status, str(raised.value.code)) == (400, code)


@pytest.mark.parametrize(
    "binding",
    [
        session_cursor_binding("b" * 64),  # another caller's session listing
        cursor_binding(OWNER_KEY, "newest", None, None),  # this caller's document listing
    ],
)
def test_a_cursor_of_another_listing_is_refused(binding: str) -> None:
    cursor = encode_cursor(new_document_id(), binding)

    with pytest.raises(ServiceError) as raised:
        list_parameters({"cursor": [cursor]}, owner_key=OWNER_KEY)

    assert str(raised.value.code) == "invalid_cursor"


# --- part URL and completion requests -----------------------------------------------------------------------

CHECKSUM = base64.b64encode(hashlib.sha256(b"part").digest()).decode()


def test_the_first_batch_is_the_first_hundred_parts_or_all() -> None:
    assert first_parts(session()) == [PartRequest(n) for n in (1, 2, 3, 4)]
    many = session(part_count=250)
    assert [part.part_number for part in first_parts(many)] == list(range(1, MAX_PARTS_PER_REQUEST + 1))


def test_a_parts_request_with_and_without_checksums() -> None:
    assert parse_parts_request('{"partNumbers": [3, 1]}', part_count=4) == [PartRequest(3), PartRequest(1)]
    assert parse_parts_request(json.dumps({"partNumbers": [2], "checksums": [CHECKSUM]}), part_count=4) == [
        PartRequest(2, CHECKSUM)
    ]


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (
            "{}",
            "invalid_request",
            'The body must be {"partNumbers": [..]} with an optional "checksums": [..].',
        ),
        (
            '{"partNumbers": [1], "x": 1}',
            "invalid_request",
            'The body must be {"partNumbers": [..]} with an optional "checksums": [..].',
        ),
        ('{"partNumbers": []}', "invalid_part", "partNumbers must be a list of 1 to 100 part numbers."),
        ('{"partNumbers": 1}', "invalid_part", "partNumbers must be a list of 1 to 100 part numbers."),
        (
            json.dumps({"partNumbers": list(range(1, 102))}),
            "invalid_part",
            "partNumbers must be a list of 1 to 100 part numbers.",
        ),
        (
            '{"partNumbers": [0]}',
            "invalid_part",
            "Part numbers are integers from 1 to 4 (this upload's part count).",
        ),
        (
            '{"partNumbers": [5]}',
            "invalid_part",
            "Part numbers are integers from 1 to 4 (this upload's part count).",
        ),
        (
            '{"partNumbers": [true]}',
            "invalid_part",
            "Part numbers are integers from 1 to 4 (this upload's part count).",
        ),
        (
            '{"partNumbers": [1.0]}',
            "invalid_part",
            "Part numbers are integers from 1 to 4 (this upload's part count).",
        ),
        ('{"partNumbers": [1, 1]}', "invalid_part", "partNumbers must not repeat a part."),
        (
            json.dumps({"partNumbers": [1, 2], "checksums": [CHECKSUM]}),
            "invalid_part",
            "checksums must list one base64 SHA-256 per part number, in the same order.",
        ),
        (
            json.dumps({"partNumbers": [1], "checksums": [7]}),
            "invalid_part",
            "checksums must be JSON strings.",
        ),
        (
            json.dumps({"partNumbers": [1], "checksums": ["ab" * 32]}),
            "invalid_part",
            "A part checksum must be the base64 of the part's 32-byte SHA-256 (44 characters).",
        ),
    ],
)
def test_bad_parts_requests(raw: str, code: str, message: str) -> None:
    with pytest.raises(ServiceError) as raised:
        parse_parts_request(raw, part_count=4)

    assert (raised.value.status, str(raised.value.code), raised.value.message) == (400, code, message)


def completion(*numbers: int, **extra: Any) -> str:
    return json.dumps({"parts": [{"partNumber": n, "etag": f'"etag-{n}"', **extra} for n in numbers]})


def test_a_complete_request_lists_every_part_in_order() -> None:
    assert parse_complete_request(completion(1, 2, 3), part_count=3) == [
        CompletedPart(1, '"etag-1"'),
        CompletedPart(2, '"etag-2"'),
        CompletedPart(3, '"etag-3"'),
    ]
    assert parse_complete_request(completion(1, checksumSha256=CHECKSUM), part_count=1) == [
        CompletedPart(1, '"etag-1"', CHECKSUM)
    ]


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (
            '{"parts": {}}',
            "invalid_request",
            'The body must be {"parts": [{"partNumber": .., "etag": ..}, ..]}.',
        ),
        (
            '{"parts": [], "x": 1}',
            "invalid_request",
            'The body must be {"parts": [{"partNumber": .., "etag": ..}, ..]}.',
        ),
        (completion(1, 2), "invalid_part", "parts must list all 3 parts of the upload, each once."),
        (completion(1, 2, 3, 4), "invalid_part", "parts must list all 3 parts of the upload, each once."),
        (
            completion(1, 3, 2),
            "invalid_part",
            "parts must be listed in ascending order, each part number once.",
        ),
        (
            completion(1, 1, 2),
            "invalid_part",
            "parts must be listed in ascending order, each part number once.",
        ),
        (
            json.dumps(
                {"parts": [{"partNumber": 1}, {"partNumber": 2, "etag": "e"}, {"partNumber": 3, "etag": "e"}]}
            ),
            "invalid_request",
            'Each part must be {"partNumber": .., "etag": ..} (and optionally "checksumSha256").',
        ),
        (
            completion(1, 2, 3, size=5),
            "invalid_request",
            'Each part must be {"partNumber": .., "etag": ..} (and optionally "checksumSha256").',
        ),
        (
            json.dumps({"parts": [{"partNumber": n, "etag": "e\n"} for n in (1, 2, 3)]}),
            "invalid_part",
            "Each etag must be the ETag S3 answered for that part's upload.",
        ),
        (
            json.dumps({"parts": [{"partNumber": n, "etag": ""} for n in (1, 2, 3)]}),
            "invalid_part",
            "Each etag must be the ETag S3 answered for that part's upload.",
        ),
        (
            completion(1, 2, 3, checksumSha256="nope"),
            "invalid_part",
            "A part checksum must be the base64 of the part's 32-byte SHA-256 (44 characters).",
        ),
    ],
)
def test_bad_complete_requests(raw: str, code: str, message: str) -> None:
    with pytest.raises(ServiceError) as raised:
        parse_complete_request(raw, part_count=3)

    assert (raised.value.status, str(raised.value.code), raised.value.message) == (400, code, message)


# --- part checksums: all or nothing, chosen by POST /uploads -------------------------------------------


def test_part_checksums_are_an_optional_boolean_of_the_request() -> None:
    assert parse_upload_request(body(), allowed=ALLOWED).part_checksums is False
    assert parse_upload_request(body(partChecksums=True), allowed=ALLOWED).part_checksums is True
    assert parse_upload_request(body(partChecksums=False), allowed=ALLOWED).part_checksums is False
    for wrong in ("true", 1, None):
        assert refusal(body(partChecksums=wrong)) == (
            400,
            "invalid_request",
            "partChecksums must be a JSON boolean (true: every part carries its SHA-256).",
        )


def test_a_session_with_part_checksums_gets_no_unsigned_first_batch() -> None:
    made = session(part_checksums=True)

    assert first_parts(made) == []
    assert made.to_json(now=NOW)["partChecksums"] is True


def test_a_session_with_part_checksums_needs_them_on_every_request() -> None:
    with pytest.raises(ServiceError) as missing:
        parse_parts_request('{"partNumbers": [1]}', part_count=4, part_checksums=True)
    assert (missing.value.status, str(missing.value.code)) == (400, "invalid_part")
    assert parse_parts_request(
        json.dumps({"partNumbers": [1], "checksums": [CHECKSUM]}), part_count=4, part_checksums=True
    ) == [PartRequest(1, CHECKSUM)]
    with pytest.raises(ServiceError) as incomplete:
        parse_complete_request(
            json.dumps(
                {
                    "parts": [
                        {"partNumber": 1, "etag": '"e1"', "checksumSha256": CHECKSUM},
                        {"partNumber": 2, "etag": '"e2"'},
                    ]
                }
            ),
            part_count=2,
            part_checksums=True,
        )
    assert (incomplete.value.status, str(incomplete.value.code)) == (400, "invalid_part")
    assert "checksumSha256" in incomplete.value.message


def test_a_session_without_part_checksums_refuses_them() -> None:
    with pytest.raises(ServiceError) as signed:
        parse_parts_request(
            json.dumps({"partNumbers": [1], "checksums": [CHECKSUM]}), part_count=4, part_checksums=False
        )
    assert (signed.value.status, str(signed.value.code)) == (400, "invalid_part")
    assert "without part checksums" in signed.value.message
    with pytest.raises(ServiceError) as listed:
        parse_complete_request(completion(1, checksumSha256=CHECKSUM), part_count=1, part_checksums=False)
    assert (listed.value.status, str(listed.value.code)) == (400, "invalid_part")


def test_a_complete_body_for_ten_thousand_parts_fits_its_limit() -> None:
    checksum = {"checksumSha256": CHECKSUM}
    raw = json.dumps(
        {"parts": [{"partNumber": n, "etag": '"' + "f" * 32 + '"', **checksum} for n in range(1, 10_001)]},
        indent=2,
    )

    assert len(parse_complete_request(raw, part_count=10_000)) == 10_000
