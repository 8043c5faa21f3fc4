"""Large-upload sessions (DESIGN §4.2, issue 14): the request a client declares, the part plan, and the
session's state machine. Pure building blocks: the catalogue (``catalogue.py``) stores sessions and the
presigner (``presign.py``) signs their parts; nothing here calls AWS.

A session is created by ``POST /uploads`` with the file's name, type, size and SHA-256. Its id is a fresh
document id and is *also* the id the processor stores the document under, so one session maps to exactly
one document and nothing can collide. The bytes go to the quarantine ingest bucket under
``ingest/<owner key>/<upload id>`` (``ingest_key``), never to the vault, and reach it only after the
processor has validated them.

States and the only legal moves (anything else is 409 ``invalid_upload_state``)::

    awaiting-parts -> processing (complete) | aborted (DELETE) | expired (its clock ran out)
    processing     -> scanning (malware gate, DESIGN §4.3) | stored | rejected
    scanning       -> stored | rejected | expired (no scan result before its clock ran out)

``stored``, ``rejected``, ``expired`` and ``aborted`` are terminal. A session awaiting parts (or a scan
result) whose ``expiresAt`` has passed *reads* as ``expired`` (``UploadSession.status_at``) even before
anything writes that status, so no request can act on it; every move is a conditional write on the
current status, so two racing requests cannot both move one session.
"""

from __future__ import annotations

import base64
import binascii
import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from document_processor.content_types import TEXT_CHARSETS, parse_content_type
from document_processor.errors import (
    BadRequestError,
    ConflictError,
    ErrorCode,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from document_processor.filenames import sanitise_filename
from document_processor.ids import created_at, is_valid_document_id
from document_processor.settings import DEFAULT_MAX_UPLOAD_BYTES, TEXT
from document_processor.validation import decode_cursor, page_limit, require_known_parameters

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

MIB: Final = 1024 * 1024
GIB: Final = 1024 * MIB
MIN_PART_SIZE: Final = 5 * MIB
"""S3's smallest part (every part but the last)."""
MAX_PART_SIZE: Final = 5 * GIB
"""S3's largest part."""
MAX_PARTS: Final = 10_000
"""S3's most parts in one multipart upload."""
MAX_OBJECT_BYTES: Final = 5 * 1024**4
"""S3's largest object, 5 TiB: the part plan covers it. What this service accepts is lower
(``settings.MAX_UPLOAD_BYTES_CEILING``: what the processor reads and copies in one invocation)."""
SESSION_LIFETIME_SECONDS: Final = 24 * 60 * 60
"""How long a session awaits its parts; also how long a session's record is kept after each move, so a
session in ``processing`` is never deleted by DynamoDB's TTL under the processor, and a client can read
the outcome (``stored``, ``rejected``) for a day."""
MAX_REQUEST_BODY_CHARACTERS: Final = 16_384
"""Longest ``POST /uploads`` body: a 255-byte filename as JSON ``\\u`` escapes is ~800 characters."""
SHA256_HEX_LENGTH: Final = 64
SHA256_BYTES: Final = 32
INGEST_PREFIX: Final = "ingest/"
UPLOAD_REQUEST_FIELDS: Final = ("filename", "contentType", "size", "sha256")
"""The required keys of a ``POST /uploads`` body."""
UPLOAD_OPTIONAL_FIELDS: Final = ("partChecksums",)
"""The optional keys of a ``POST /uploads`` body; nothing else is allowed."""
SESSION_LIST_PARAMETERS: Final = frozenset({"limit", "cursor"})
_LOWER_HEX: Final = frozenset("0123456789abcdef")
_VISIBLE_ASCII: Final = frozenset(chr(code) for code in range(0x21, 0x7F))


class UploadStatus(StrEnum):
    """A session's status (the ``status`` field of the API and of the catalogue item)."""

    AWAITING_PARTS = "awaiting-parts"
    PROCESSING = "processing"
    SCANNING = "scanning"
    STORED = "stored"
    REJECTED = "rejected"
    EXPIRED = "expired"
    ABORTED = "aborted"


TRANSITIONS: Final[Mapping[UploadStatus, frozenset[UploadStatus]]] = {
    UploadStatus.AWAITING_PARTS: frozenset(
        {UploadStatus.PROCESSING, UploadStatus.ABORTED, UploadStatus.EXPIRED}
    ),
    UploadStatus.PROCESSING: frozenset({UploadStatus.SCANNING, UploadStatus.STORED, UploadStatus.REJECTED}),
    UploadStatus.SCANNING: frozenset({UploadStatus.STORED, UploadStatus.REJECTED, UploadStatus.EXPIRED}),
    UploadStatus.STORED: frozenset(),
    UploadStatus.REJECTED: frozenset(),
    UploadStatus.EXPIRED: frozenset(),
    UploadStatus.ABORTED: frozenset(),
}
"""Every legal move; a status with none is terminal."""
TERMINAL_STATUSES: Final = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
EXPIRING_STATUSES: Final = frozenset({UploadStatus.AWAITING_PARTS, UploadStatus.SCANNING})
"""Statuses that read ``expired`` once ``expiresAt`` has passed: each waits for something from outside
(the client's parts, GuardDuty's verdict) that may never come."""


def can_transition(current: UploadStatus, target: UploadStatus) -> bool:
    """Whether the state machine allows ``current`` -> ``target``."""
    return target in TRANSITIONS[current]


class UploadError(NamedTuple):
    """Why a session was rejected: a stable code (``size_mismatch``, ``checksum_mismatch``, ...) and a
    message safe to show the client."""

    code: str
    message: str


class UploadSession(NamedTuple):
    """One upload session as the catalogue holds it."""

    id: str
    """The upload id, also the id of the document it becomes."""
    owner: str
    """The normalised principal that created it (its owner key is the catalogue partition)."""
    filename: str
    """Sanitised (``filenames.sanitise_filename``)."""
    content_type: str
    """The declared media type, on the allow-list (no parameters)."""
    size: int
    sha256: str
    """The declared SHA-256 of the whole file, 64 lowercase hex digits."""
    part_size: int
    part_count: int
    multipart_upload_id: str
    """S3's id of the multipart upload to ``ingest_key(owner_key, id)``."""
    status: UploadStatus
    """The stored status; read it through ``status_at`` (a session past its time reads ``expired``)."""
    expires_at: int
    """Epoch seconds: while awaiting parts, the deadline; after a move, when the record may be deleted."""
    updated_at: str
    """RFC 3339 time of the last write."""
    error: UploadError | None = None
    """Set when ``rejected``."""
    document_id: str | None = None
    """Set when ``stored``."""
    part_checksums: bool = False
    """Every part carries its SHA-256 (``PartChecksums``): the S3 upload was created with
    ``ChecksumAlgorithm=SHA256``, each part URL signs one in, and the complete lists them all."""

    @property
    def created_at(self) -> str:
        """When the session was created (embedded in its time-ordered id)."""
        return created_at(self.id)

    def status_at(self, now: float) -> UploadStatus:
        """The status a reader sees at ``now``: awaiting parts, or waiting for a malware scan result,
        past ``expires_at`` is ``expired`` (a scan result that never comes never stores anything)."""
        if self.status in EXPIRING_STATUSES and now >= self.expires_at:
            return UploadStatus.EXPIRED
        return self.status

    def to_json(self, *, now: float) -> dict[str, Any]:
        """The session as ``GET /uploads/{id}`` shows it, less ``partsReceived`` (S3's ListParts)."""
        body: dict[str, Any] = {
            "id": self.id,
            "status": str(self.status_at(now)),
            "filename": self.filename,
            "contentType": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "partSize": self.part_size,
            "partCount": self.part_count,
            "partChecksums": self.part_checksums,
            "createdAt": self.created_at,
            "expiresAt": rfc3339(self.expires_at),
        }
        if self.document_id is not None:
            body["documentId"] = self.document_id
        if self.error is not None:
            body["error"] = {"code": self.error.code, "message": self.error.message}
        return body


class InvalidUploadStateError(ConflictError):
    """409 ``invalid_upload_state``: the session is not in a state the request can act on.

    ``session`` is the session as it was found (``None`` when the caller had none to hand), so the
    processor can tell "already done" from "someone else got there first"."""

    def __init__(
        self,
        current: UploadStatus,
        expected: Iterable[UploadStatus],
        *,
        session: UploadSession | None = None,
        message: str | None = None,
    ) -> None:
        wanted = " or ".join(repr(str(status)) for status in sorted(expected))
        super().__init__(
            message or f"The upload session is {str(current)!r}; this request needs it to be {wanted}."
        )
        self.current = current
        self.session = session


def require_status(session: UploadSession, expected: Iterable[UploadStatus], *, now: float) -> None:
    """Raise ``InvalidUploadStateError`` unless the session, as read at ``now``, is in ``expected``."""
    wanted = frozenset(expected)
    current = session.status_at(now)
    if current not in wanted:
        raise InvalidUploadStateError(current, wanted, session=session)


class PartPlan(NamedTuple):
    """How a file is cut into parts: every part is ``part_size`` bytes except the last (1..part_size)."""

    part_size: int
    part_count: int


def plan_parts(size: int) -> PartPlan:
    """The part plan for ``size`` bytes (1..``MAX_OBJECT_BYTES``).

    The part size is the smallest whole number of MiB, at least 5 MiB, that fits the file in 10,000
    parts: small files get S3's minimum part (fewest round trips for the least memory per part in the
    client), and any allowed size still fits. Whole MiB keep part boundaries easy to check by eye.
    """
    if not 1 <= size <= MAX_OBJECT_BYTES:
        raise ValueError(f"size must be 1..{MAX_OBJECT_BYTES}, got {size!r}")
    smallest = -(-size // MAX_PARTS)
    part_size = max(MIN_PART_SIZE, -(-smallest // MIB) * MIB)
    return PartPlan(part_size=part_size, part_count=-(-size // part_size))


def part_length(plan: PartPlan, size: int, part_number: int) -> int:
    """How many bytes part ``part_number`` (1-based) of a ``size``-byte file holds under ``plan``."""
    if not 1 <= part_number <= plan.part_count:
        raise ValueError(f"part_number must be 1..{plan.part_count}, got {part_number!r}")
    if part_number < plan.part_count:
        return plan.part_size
    return size - (plan.part_count - 1) * plan.part_size


def ingest_key(owner_key: str, upload_id: str) -> str:
    """``ingest/<owner key>/<upload id>``: the only key a session's bytes are uploaded to."""
    if not owner_key or not _LOWER_HEX.issuperset(owner_key) or not is_valid_document_id(upload_id):
        raise ValueError("ingest_key needs a hex owner key and a canonical upload id")
    return f"{INGEST_PREFIX}{owner_key}/{upload_id}"


def parse_ingest_key(key: str) -> tuple[str, str] | None:
    """``(owner key, upload id)`` of a key ``ingest_key`` could have built, else ``None``.

    The processor gets keys from S3 events; anything else under the ingest bucket (a stray upload, a
    key with extra segments) matches no session and is left alone rather than guessed at.
    """
    prefix, _, rest = key.partition(INGEST_PREFIX)
    owner_key, slash, upload_id = rest.partition("/")
    if prefix or not slash or not owner_key or not _LOWER_HEX.issuperset(owner_key):
        return None
    if not is_valid_document_id(upload_id):
        return None
    return owner_key, upload_id


class UploadRequest(NamedTuple):
    """A validated ``POST /uploads`` body."""

    filename: str
    """Sanitised."""
    content_type: str
    """The bare media type, on the allow-list."""
    size: int
    sha256: str
    """64 lowercase hex digits."""
    part_checksums: bool = False
    """``partChecksums``: every part will carry its SHA-256 (see ``PART_CHECKSUMS_FACT``)."""


PART_CHECKSUMS_FACT: Final = """Why part checksums are all or nothing, chosen when the upload starts.

An S3 multipart upload's checksum algorithm is fixed by ``CreateMultipartUpload``. Created without one,
an ``UploadPart`` carrying ``x-amz-checksum-sha256`` is refused (``InvalidRequest``: "Checksum Type
mismatch occurred, expected checksum Type: null, actual checksum Type: sha256"); created with
``ChecksumAlgorithm=SHA256``, a part without one is refused the same way ("expected checksum Type:
sha256, actual checksum Type: null") and so is a ``CompleteMultipartUpload`` that does not list every
part's checksum ("The upload was created using a sha256 checksum. The complete request must include
the checksum for each part."). Sources: the ``CreateMultipartUpload``/``CompleteMultipartUpload`` API
reference (``x-amz-checksum-algorithm``; "you must provide the checksum of each part"), apache/arrow-rs
issue #6793 and floci-io/floci pull request #3093 (both recording S3's answers; moto checks none of it).
So a session either signs every part's checksum (``partChecksums: true``: no URL before the client
sends the part's SHA-256) or none, and requests that mix the two are a 400 ``invalid_part`` here rather
than a failed PUT at S3."""


def parse_upload_request(
    body: str | bytes | None, *, allowed: frozenset[str], max_size: int = DEFAULT_MAX_UPLOAD_BYTES
) -> UploadRequest:
    """Validate a ``POST /uploads`` body, before any S3 call or URL.

    Checked in this order, the first failure answering: a JSON object with exactly the keys
    ``filename``, ``contentType``, ``size``, ``sha256`` and the right JSON types (400
    ``invalid_request``; ``partChecksums``, optional, a JSON boolean); ``contentType`` on the
    allow-list (415 ``unsupported_content_type``; text must be UTF-8: 415 ``invalid_text_encoding``);
    ``size`` 1..``max_size`` (400 below, 413 ``document_too_large`` above); ``sha256`` 64 lowercase
    hex digits (400 ``invalid_sha256``); a filename with something left after sanitising (400).
    """
    fields = _json_object(body)
    missing = [name for name in UPLOAD_REQUEST_FIELDS if name not in fields]
    unknown = sorted(set(fields) - set(UPLOAD_REQUEST_FIELDS) - set(UPLOAD_OPTIONAL_FIELDS))
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(repr(name) for name in unknown)}")
        raise BadRequestError(
            f"The body must have the keys {', '.join(UPLOAD_REQUEST_FIELDS)} and may have "
            f"{', '.join(UPLOAD_OPTIONAL_FIELDS)}, nothing else ({'; '.join(problems)})."
        )
    filename, content_type, size, sha256 = (fields[name] for name in UPLOAD_REQUEST_FIELDS)
    wrong = [
        name
        for name, value, expected in (
            ("filename", filename, str),
            ("contentType", content_type, str),
            ("sha256", sha256, str),
        )
        if not isinstance(value, expected)
    ]
    if wrong:
        raise BadRequestError(f"{', '.join(wrong)} must be JSON strings.")
    if not isinstance(size, int) or isinstance(size, bool):
        raise BadRequestError("size must be a JSON integer (the file's length in bytes).")
    part_checksums = fields.get("partChecksums", False)
    if not isinstance(part_checksums, bool):
        raise BadRequestError("partChecksums must be a JSON boolean (true: every part carries its SHA-256).")
    media_type = _allowed_media_type(content_type, allowed)
    if size < 1:
        raise BadRequestError("size must be at least 1 byte; an empty file cannot be uploaded.")
    if size > max_size:
        raise PayloadTooLargeError(f"The document is larger than the {max_size}-byte limit.")
    if len(sha256) != SHA256_HEX_LENGTH or not _LOWER_HEX.issuperset(sha256):
        raise BadRequestError(
            "sha256 must be the SHA-256 of the whole file as 64 lowercase hex digits.",
            code=ErrorCode.INVALID_SHA256,
        )
    kept = sanitise_filename(filename)
    if kept is None:
        raise BadRequestError("filename must keep at least one usable character once sanitised.")
    return UploadRequest(
        filename=kept, content_type=media_type, size=size, sha256=sha256, part_checksums=part_checksums
    )


def _json_object(
    body: str | bytes | None, *, max_length: int = MAX_REQUEST_BODY_CHARACTERS
) -> dict[str, Any]:
    """The body as a JSON object; duplicate keys, non-objects and oversized bodies are a 400."""
    if not body:
        raise BadRequestError("The request body is empty; send a JSON object.", code=ErrorCode.EMPTY_BODY)
    if len(body) > max_length:
        raise BadRequestError(f"The request body is longer than {max_length} characters.")
    try:
        parsed = json.loads(body, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, duplicate keys, huge integers
        raise BadRequestError("The request body must be a JSON object (UTF-8, no repeated keys).") from None
    if not isinstance(parsed, dict):
        raise BadRequestError("The request body must be a JSON object.")
    return parsed


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object hook that refuses repeated keys (two parsers could otherwise read two bodies)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("repeated key")
    return result


def _allowed_media_type(content_type: str, allowed: frozenset[str]) -> str:
    """The bare media type of a declared ``contentType`` if allowed, else 415 (as ``POST /documents``)."""
    media_type, parameters = parse_content_type(content_type)
    if media_type not in allowed:
        raise UnsupportedMediaTypeError(
            f"Content-Type {media_type!r} is not accepted; use one of {', '.join(sorted(allowed))}."
        )
    if media_type == TEXT:
        charset = parameters.get("charset", "utf-8").lower()
        if charset not in TEXT_CHARSETS:
            raise UnsupportedMediaTypeError(
                f"Text must be UTF-8; charset {charset!r} is not accepted.",
                code=ErrorCode.INVALID_TEXT_ENCODING,
            )
    return media_type


MAX_PARTS_PER_REQUEST: Final = 100
"""Most part URLs one request gets (``POST /uploads``'s first batch, ``POST /uploads/{id}/parts``): about
1.5 KB each, so an answer stays far under Lambda's 6 MB, and URLs are signed close to their use."""
MAX_ETAG_LENGTH: Final = 1024
MAX_COMPLETE_BODY_CHARACTERS: Final = 3 * MIB
"""Longest ``POST /uploads/{id}/complete`` body: it lists every part, ~70 characters each in compact JSON
(~135 with a checksum), so 10,000 parts take ~1.4 MB; 3 MiB leaves room for whitespace and, as base64,
still fits Lambda's 6 MB request payload."""
PARTS_REQUEST_FIELDS: Final = frozenset({"partNumbers", "checksums"})
COMPLETE_PART_FIELDS: Final = frozenset({"partNumber", "etag", "checksumSha256"})


class PartRequest(NamedTuple):
    """One part a client asks a URL for, with the checksum to sign in (base64 SHA-256) if it sent one."""

    part_number: int
    checksum_sha256: str | None = None


class CompletedPart(NamedTuple):
    """One part of ``POST /uploads/{id}/complete``: what S3's ``CompleteMultipartUpload`` needs."""

    part_number: int
    etag: str
    checksum_sha256: str | None = None


def first_parts(session: UploadSession) -> list[PartRequest]:
    """The parts whose URLs ``POST /uploads`` returns at once: the first ``MAX_PARTS_PER_REQUEST``, or
    none when every part's checksum is to be signed in (the API cannot know them)."""
    if session.part_checksums:
        return []
    return [PartRequest(number) for number in range(1, min(session.part_count, MAX_PARTS_PER_REQUEST) + 1)]


def parse_parts_request(
    body: str | bytes | None, *, part_count: int, part_checksums: bool | None = None
) -> list[PartRequest]:
    """Validate ``POST /uploads/{id}/parts``: ``{"partNumbers": [..], "checksums"?: [..]}``.

    ``partNumbers``: 1..``MAX_PARTS_PER_REQUEST`` distinct integers in 1..``part_count``;
    ``checksums``: the base64 SHA-256 of each listed part, same order and length, each signed into its
    URL; required when ``part_checksums`` (the session's), refused when it is ``False`` (``None``:
    optional; see ``PART_CHECKSUMS_FACT``). Shape errors are 400 ``invalid_request``, bad parts 400
    ``invalid_part``.
    """
    fields = _json_object(body)
    unknown = sorted(set(fields) - PARTS_REQUEST_FIELDS)
    if unknown or "partNumbers" not in fields:
        raise BadRequestError('The body must be {"partNumbers": [..]} with an optional "checksums": [..].')
    numbers = fields["partNumbers"]
    if not isinstance(numbers, list) or not 1 <= len(numbers) <= MAX_PARTS_PER_REQUEST:
        raise _invalid_part(f"partNumbers must be a list of 1 to {MAX_PARTS_PER_REQUEST} part numbers.")
    for number in numbers:
        _require_part_number(number, part_count)
    if len(set(numbers)) != len(numbers):
        raise _invalid_part("partNumbers must not repeat a part.")
    checksums = fields.get("checksums")
    if checksums is not None and part_checksums is False:
        raise _invalid_part(
            "This upload session was created without part checksums (partChecksums): leave out checksums."
        )
    if checksums is None and part_checksums:
        raise _invalid_part(
            "This upload session signs every part's checksum (partChecksums): send checksums, the base64 "
            "SHA-256 of each listed part."
        )
    if checksums is None:
        return [PartRequest(number) for number in numbers]
    if not isinstance(checksums, list) or len(checksums) != len(numbers):
        raise _invalid_part("checksums must list one base64 SHA-256 per part number, in the same order.")
    for checksum in checksums:
        if not isinstance(checksum, str):
            raise _invalid_part("checksums must be JSON strings.")
        require_sha256_base64(checksum)
    return [PartRequest(number, checksum) for number, checksum in zip(numbers, checksums, strict=True)]


def parse_complete_request(
    body: str | bytes | None, *, part_count: int, part_checksums: bool | None = None
) -> list[CompletedPart]:
    """Validate ``POST /uploads/{id}/complete``: ``{"parts": [{"partNumber", "etag", "checksumSha256"?}]}``.

    Every part of the plan, once, in ascending order (what ``CompleteMultipartUpload`` requires; a
    missing part would make an object shorter than declared, which the processor would only reject
    later); each ``etag`` the one S3 answered for that part's PUT (1..1024 visible ASCII characters);
    ``checksumSha256`` on every part when ``part_checksums`` (the session's), on none when it is
    ``False`` (``None``: optional; see ``PART_CHECKSUMS_FACT``).
    """
    fields = _json_object(body, max_length=MAX_COMPLETE_BODY_CHARACTERS)
    if set(fields) != {"parts"} or not isinstance(fields["parts"], list):
        raise BadRequestError('The body must be {"parts": [{"partNumber": .., "etag": ..}, ..]}.')
    entries: list[Any] = fields["parts"]
    if len(entries) != part_count:
        raise _invalid_part(f"parts must list all {part_count} parts of the upload, each once.")
    completed: list[CompletedPart] = []
    for expected, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not {"partNumber", "etag"} <= set(entry) <= COMPLETE_PART_FIELDS:
            raise BadRequestError(
                'Each part must be {"partNumber": .., "etag": ..} (and optionally "checksumSha256").'
            )
        _require_part_number(entry["partNumber"], part_count)
        if entry["partNumber"] != expected:
            raise _invalid_part("parts must be listed in ascending order, each part number once.")
        etag = entry["etag"]
        if (
            not isinstance(etag, str)
            or not 0 < len(etag) <= MAX_ETAG_LENGTH
            or not _VISIBLE_ASCII.issuperset(etag)
        ):
            raise _invalid_part("Each etag must be the ETag S3 answered for that part's upload.")
        checksum = entry.get("checksumSha256")
        if checksum is None and part_checksums:
            raise _invalid_part(
                "This upload session signs every part's checksum (partChecksums): give each part's "
                "checksumSha256."
            )
        if checksum is not None and part_checksums is False:
            raise _invalid_part(
                "This upload session was created without part checksums (partChecksums): leave out "
                "checksumSha256."
            )
        if checksum is not None:
            if not isinstance(checksum, str):
                raise _invalid_part("checksumSha256 must be a JSON string.")
            require_sha256_base64(checksum)
        completed.append(CompletedPart(expected, etag, checksum))
    return completed


def require_sha256_base64(value: str) -> None:
    """Refuse (400 ``invalid_part``) anything but the canonical base64 of 32 bytes (a SHA-256 digest)."""
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != SHA256_BYTES or base64.b64encode(digest).decode("ascii") != value:
        raise BadRequestError(
            "A part checksum must be the base64 of the part's 32-byte SHA-256 (44 characters).",
            code=ErrorCode.INVALID_PART,
        )


def _require_part_number(number: object, part_count: int) -> None:
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= part_count:
        raise _invalid_part(f"Part numbers are integers from 1 to {part_count} (this upload's part count).")


def _invalid_part(message: str) -> BadRequestError:
    return BadRequestError(message, code=ErrorCode.INVALID_PART)


def new_session(
    upload_id: str, request: UploadRequest, *, owner: str, multipart_upload_id: str, now: float
) -> UploadSession:
    """The session ``POST /uploads`` creates once S3 has started the multipart upload."""
    if not is_valid_document_id(upload_id):
        raise ValueError("upload_id must be a canonical id (ids.new_document_id)")
    plan = plan_parts(request.size)
    return UploadSession(
        id=upload_id,
        owner=owner,
        filename=request.filename,
        content_type=request.content_type,
        size=request.size,
        sha256=request.sha256,
        part_size=plan.part_size,
        part_count=plan.part_count,
        multipart_upload_id=multipart_upload_id,
        status=UploadStatus.AWAITING_PARTS,
        expires_at=int(now) + SESSION_LIFETIME_SECONDS,
        updated_at=rfc3339(now),
        part_checksums=request.part_checksums,
    )


class SessionListQuery(NamedTuple):
    """A validated ``GET /uploads`` query (sessions are listed newest first only)."""

    limit: int
    after: str | None
    """The upload id the cursor continues after."""
    binding: str
    """What this listing's cursors are bound to (``session_cursor_binding``)."""


def session_cursor_binding(owner_key: str) -> str:
    """The binding of the caller's session-listing cursors (``validation.encode_cursor``).

    ``uploads`` stands where a document listing's order is, and no document listing has that order, so
    a document cursor is a 400 here and a session cursor a 400 there, like one of another caller.
    """
    return f"{owner_key}|uploads|newest"


def list_parameters(query: Mapping[str, list[str]], *, owner_key: str) -> SessionListQuery:
    """``GET /uploads``'s ``limit`` and ``cursor``; anything else, or a repeated one, is a 400."""
    require_known_parameters(query, SESSION_LIST_PARAMETERS)
    limit = page_limit(query)
    binding = session_cursor_binding(owner_key)
    after = decode_cursor(query["cursor"][0], binding) if "cursor" in query else None
    return SessionListQuery(limit=limit, after=after, binding=binding)


def rfc3339(epoch_seconds: float) -> str:
    """``epoch_seconds`` as an RFC 3339 UTC timestamp with milliseconds (the API's time format)."""
    from datetime import UTC, datetime  # already loaded by botocore

    millis = int(epoch_seconds * 1000)
    moment = datetime.fromtimestamp(millis // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
