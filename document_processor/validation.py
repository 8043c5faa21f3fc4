"""Validation of request inputs that are not document content: body encoding and size, path ids,
the listing's parameters and cursor, and the ``Idempotency-Key`` header. Every failure is a typed 4xx
with a specific code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import TYPE_CHECKING, NamedTuple

from document_processor.errors import BadRequestError, ErrorCode, PayloadTooLargeError
from document_processor.ids import is_valid_document_id
from document_processor.settings import SUPPORTED_CONTENT_TYPES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from document_processor.events import Request

DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100
"""Upper bound of ``limit``: one catalogue Query page stays small and fast (well under 1 MB)."""
LIST_QUERY_PARAMETERS: frozenset[str] = frozenset({"limit", "cursor", "order", "contentType", "q"})
ORDER_NEWEST = "newest"
ORDER_OLDEST = "oldest"
ORDERS: frozenset[str] = frozenset({ORDER_NEWEST, ORDER_OLDEST})
MAX_NAME_PREFIX_LENGTH = 255
"""Longest ``q``: no kept filename is longer (``filenames.MAX_FILENAME_BYTES`` UTF-8 bytes)."""
ID_BYTES = 16
CURSOR_TAG_BYTES = 12
CURSOR_LENGTH = 38
"""Unpadded base64url of the 16 id bytes and the 12 tag bytes."""
MAX_IDEMPOTENCY_KEY_LENGTH = 255
_VISIBLE_ASCII = frozenset(chr(code) for code in range(0x21, 0x7F))
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


def json_body(request: Request) -> bytes | str | None:
    """A JSON request body as sent: base64-decoded (strictly) when the event carries it so, which the
    deployed API does for every body (``routes.BINARY_MEDIA_TYPES``); parsing is the operation's."""
    if request.body and request.is_base64_encoded:
        return decode_base64(request.body)
    return request.body


DOWNLOAD_QUERY_PARAMETERS: frozenset[str] = frozenset({"redirect"})
REDIRECT_VALUES: dict[str, bool] = {"true": True, "false": False}


def download_redirect(query: Mapping[str, list[str]]) -> bool:
    """``GET /documents/{id}/content``'s ``redirect``: ``true`` or ``false`` (the default), once; any
    other value or parameter is 400 ``invalid_query_parameter``."""
    require_known_parameters(query, DOWNLOAD_QUERY_PARAMETERS)
    if "redirect" not in query:
        return False
    value = query["redirect"][0]
    if value not in REDIRECT_VALUES:
        raise BadRequestError("redirect must be 'true' or 'false'.", code=ErrorCode.INVALID_QUERY_PARAMETER)
    return REDIRECT_VALUES[value]


def require_upload_id(value: str | None) -> str:
    """The path's upload ``id`` if canonical (upload ids are document ids); else a 400 before any call."""
    if not is_valid_document_id(value):
        raise BadRequestError("The upload id is not valid.", code=ErrorCode.INVALID_ID)
    return value


def require_document_id(value: str | None) -> str:
    """The path's ``id`` if it is a canonical document id; anything else is a 400 before any S3 call."""
    if not is_valid_document_id(value):
        raise BadRequestError("The document id is not valid.", code=ErrorCode.INVALID_ID)
    return value


class ListQuery(NamedTuple):
    """A validated ``GET /documents`` query."""

    limit: int
    """Items per page, 1..``MAX_PAGE_LIMIT`` (default ``DEFAULT_PAGE_LIMIT``)."""
    newest_first: bool
    """``order=newest`` (the default) or ``oldest``."""
    content_type: str | None
    """``contentType=``: one supported media type, lower case."""
    name_prefix: str | None
    """``q=``, case-folded: the filename prefix to match."""
    after: str | None
    """The document id the cursor continues after."""
    binding: str
    """What this listing's cursors are bound to (caller, order, contentType, q)."""


def require_known_parameters(query: Mapping[str, list[str]], allowed: frozenset[str]) -> None:
    """Refuse (400) a query parameter a listing does not take, or one given more than once."""
    for name, values in query.items():
        if name not in allowed:
            raise BadRequestError(
                f"Unknown query parameter {name!r}; use {', '.join(sorted(allowed))}.",
                code=ErrorCode.INVALID_QUERY_PARAMETER,
            )
        if len(values) != 1:
            raise BadRequestError(
                f"Query parameter {name!r} must appear once.", code=ErrorCode.INVALID_QUERY_PARAMETER
            )


def page_limit(query: Mapping[str, list[str]]) -> int:
    """A listing's ``limit``: ASCII digits, 1 to ``MAX_PAGE_LIMIT``; absent, ``DEFAULT_PAGE_LIMIT``."""
    if "limit" not in query:
        return DEFAULT_PAGE_LIMIT
    raw = query["limit"][0]
    if not (0 < len(raw) <= 3 and _ASCII_DIGITS.issuperset(raw)) or not 1 <= int(raw) <= MAX_PAGE_LIMIT:
        raise BadRequestError(
            f"limit must be an integer from 1 to {MAX_PAGE_LIMIT}.", code=ErrorCode.INVALID_LIMIT
        )
    return int(raw)


def list_parameters(query: dict[str, list[str]], *, owner_key: str) -> ListQuery:
    """The listing's parameters; unknown or repeated ones, and cursors of another listing, are refused.

    ``owner_key`` is the caller's: a cursor is accepted only by the listing that issued it (same caller,
    order, contentType and q), so one handed to anyone else, or reused with other filters, is a 400.
    """
    require_known_parameters(query, LIST_QUERY_PARAMETERS)
    limit = page_limit(query)
    order = query.get("order", [ORDER_NEWEST])[0]
    if order not in ORDERS:
        raise BadRequestError(
            f"order must be {ORDER_NEWEST!r} or {ORDER_OLDEST!r}.", code=ErrorCode.INVALID_QUERY_PARAMETER
        )
    content_type = query["contentType"][0].lower() if "contentType" in query else None
    if content_type is not None and content_type not in SUPPORTED_CONTENT_TYPES:
        raise BadRequestError(
            f"contentType must be one of {', '.join(sorted(SUPPORTED_CONTENT_TYPES))}.",
            code=ErrorCode.INVALID_QUERY_PARAMETER,
        )
    name_prefix = _name_prefix(query["q"][0]) if "q" in query else None
    binding = cursor_binding(owner_key, order, content_type, name_prefix)
    after = decode_cursor(query["cursor"][0], binding) if "cursor" in query else None
    return ListQuery(
        limit=limit,
        newest_first=order == ORDER_NEWEST,
        content_type=content_type,
        name_prefix=name_prefix,
        after=after,
        binding=binding,
    )


def _name_prefix(raw: str) -> str:
    """``q``, case-folded, if it is 1..``MAX_NAME_PREFIX_LENGTH`` characters without control characters."""
    if not 0 < len(raw) <= MAX_NAME_PREFIX_LENGTH or any(_unusable(character) for character in raw):
        raise BadRequestError(
            f"q must be 1 to {MAX_NAME_PREFIX_LENGTH} characters without control characters.",
            code=ErrorCode.INVALID_QUERY_PARAMETER,
        )
    return raw.casefold()


def _unusable(character: str) -> bool:
    """C0/C1 controls, DEL, and lone surrogates (which no UTF-8 filename can contain)."""
    code = ord(character)
    return code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


def cursor_binding(owner_key: str, order: str, content_type: str | None, name_prefix: str | None) -> str:
    """What a listing's cursors are bound to: the caller and the listing's parameters (``q`` last)."""
    return f"{owner_key}|{order}|{content_type or ''}|{name_prefix or ''}"


def _cursor_tag(document_id: str, binding: str) -> bytes:
    """The first ``CURSOR_TAG_BYTES`` of SHA-256 over the id and the binding (the id has a fixed length)."""
    return hashlib.sha256(f"{document_id}|{binding}".encode()).digest()[:CURSOR_TAG_BYTES]


def encode_cursor(document_id: str, binding: str) -> str:
    """An opaque cursor for "continue after ``document_id``" in the listing ``binding`` names.

    Unpadded base64url of the id's 16 bytes and a 12-byte tag over the id and the binding. The cursor
    carries only a position: the partition always comes from the caller, so even a cursor forged
    with a correct tag cannot reach anyone else's documents. The tag makes an altered cursor, or one
    used by another caller or with another order, contentType or q, a clear 400 instead of a page.
    """
    raw = bytes.fromhex(document_id) + _cursor_tag(document_id, binding)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, binding: str) -> str:
    """The document id a cursor of this listing continues after; anything else is 400 ``invalid_cursor``.

    Only cursors ``encode_cursor`` could produce decode (length, alphabet and canonical form are
    checked); a well-formed cursor whose tag does not match is refused with a message saying why.
    """
    if len(cursor) == CURSOR_LENGTH and _BASE64URL.issuperset(cursor):
        raw = base64.urlsafe_b64decode(cursor + "==")
        document_id = raw[:ID_BYTES].hex()
        if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") == cursor:
            if not hmac.compare_digest(raw[ID_BYTES:], _cursor_tag(document_id, binding)):
                raise BadRequestError(
                    "The cursor was altered or belongs to another listing (another caller, order, "
                    "contentType or q): repeat that listing's parameters with it, or start again "
                    "without a cursor.",
                    code=ErrorCode.INVALID_CURSOR,
                )
            return document_id
    raise BadRequestError("The cursor is not valid.", code=ErrorCode.INVALID_CURSOR)


def idempotency_key(header: str | None) -> str | None:
    """The ``Idempotency-Key`` header if present: 1..255 visible ASCII characters, else a 400."""
    if header is None:
        return None
    if not 0 < len(header) <= MAX_IDEMPOTENCY_KEY_LENGTH or not _VISIBLE_ASCII.issuperset(header):
        raise BadRequestError(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters "
            "(no spaces); a random UUID is a good key.",
            code=ErrorCode.INVALID_IDEMPOTENCY_KEY,
        )
    return header


def _too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"The document is larger than the {max_bytes}-byte limit.")
