"""Validation of request inputs that are not document content: body encoding and size, path ids,
and the listing's ``limit`` and ``cursor``. Every failure is a typed 4xx with a specific code.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from document_processor.errors import BadRequestError, ErrorCode, PayloadTooLargeError
from document_processor.ids import is_valid_document_id

if TYPE_CHECKING:
    from document_processor.events import Request

DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100
"""Upper bound of ``limit``: one ListObjectsV2 page stays small and fast (S3's own ceiling is 1000)."""
LIST_QUERY_PARAMETERS: frozenset[str] = frozenset({"limit", "cursor"})
CURSOR_LENGTH = 22
"""base64url of a 16-byte id, unpadded."""
_ASCII_DIGITS = frozenset("0123456789")
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def decode_body(request: Request, *, max_bytes: int) -> bytes:
    """The raw upload bytes: base64-decoded strictly when the event says so, then size-checked.

    An oversized base64 body is refused before it is decoded, so a 6 MB event never costs a 6 MB decode.
    """
    body = request.body
    if not body:
        raise BadRequestError("The request body is empty.", code=ErrorCode.EMPTY_BODY)
    if request.is_base64_encoded:
        if len(body) > 4 * -(-max_bytes // 3):
            raise _too_large(max_bytes)
        data = decode_base64(body)
    else:
        try:
            data = body.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequestError("The request body is not valid text.") from None
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def decode_base64(text: str) -> bytes:
    """Decode canonical, padded base64 (what API Gateway and function URLs send); anything else is a 400.

    The C decoder in its lenient mode skips characters outside the alphabet and stops at the first
    padding, so any deviation from the canonical form yields fewer bytes than the length implies: one
    length comparison validates the whole string. (``strict_mode=True`` checks the same, ~35% slower on
    a 6 MB body, and a regex pre-check would cost more than the decode; a property test holds the two
    to the same verdict, except that ``====`` after a complete quad and non-zero padding bits, which
    both decoders ignore, are refused here, as RFC 4648 asks.)
    """
    padding = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
    try:
        if len(text) % 4:
            raise binascii.Error("base64 text is padded to a multiple of 4 characters")
        data = binascii.a2b_base64(text)
        if len(data) != len(text) // 4 * 3 - padding:
            raise binascii.Error("non-canonical base64")
        # Only the final quad can carry padding bits; canonical ones are zero (RFC 4648 §3.5), which the
        # lenient and strict decoders both ignore. Re-encoding that quad is O(1) and checks them.
        if padding and binascii.b2a_base64(data[padding - 3 :], newline=False) != text[-4:].encode():
            raise binascii.Error("non-zero padding bits")
    except (binascii.Error, ValueError):
        raise BadRequestError(
            "The request body is not valid base64.", code=ErrorCode.INVALID_BASE64
        ) from None
    return data


def require_document_id(value: str | None) -> str:
    """The path's ``id`` if it is a canonical document id; anything else is a 400 before any S3 call."""
    if not is_valid_document_id(value):
        raise BadRequestError("The document id is not valid.", code=ErrorCode.INVALID_ID)
    return value


def list_parameters(query: dict[str, list[str]]) -> tuple[int, str | None]:
    """``(limit, start-after id)`` from the query; unknown or repeated parameters are refused."""
    for name, values in query.items():
        if name not in LIST_QUERY_PARAMETERS:
            raise BadRequestError(
                f"Unknown query parameter {name!r}; use 'limit' and 'cursor'.",
                code=ErrorCode.INVALID_QUERY_PARAMETER,
            )
        if len(values) != 1:
            raise BadRequestError(
                f"Query parameter {name!r} must appear once.", code=ErrorCode.INVALID_QUERY_PARAMETER
            )
    limit = DEFAULT_PAGE_LIMIT
    if "limit" in query:
        raw = query["limit"][0]
        if not (0 < len(raw) <= 3 and _ASCII_DIGITS.issuperset(raw)) or not 1 <= int(raw) <= MAX_PAGE_LIMIT:
            raise BadRequestError(
                f"limit must be an integer from 1 to {MAX_PAGE_LIMIT}.", code=ErrorCode.INVALID_LIMIT
            )
        limit = int(raw)
    cursor = decode_cursor(query["cursor"][0]) if "cursor" in query else None
    return limit, cursor


def encode_cursor(document_id: str) -> str:
    """An opaque cursor for "continue after ``document_id``": base64url of the id's 16 bytes."""
    return base64.urlsafe_b64encode(bytes.fromhex(document_id)).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The document id a cursor continues after; only cursors ``encode_cursor`` could produce pass.

    The cursor only says *where* to resume: the listing prefix always comes from the caller's own
    identity, so a forged or replayed cursor cannot reach another caller's documents.
    """
    if len(cursor) == CURSOR_LENGTH and _BASE64URL.issuperset(cursor):
        document_id = base64.urlsafe_b64decode(cursor + "==").hex()
        if encode_cursor(document_id) == cursor:
            return document_id
    raise BadRequestError("The cursor is not valid.", code=ErrorCode.INVALID_CURSOR)


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"The document is larger than the {max_bytes}-byte limit.")
