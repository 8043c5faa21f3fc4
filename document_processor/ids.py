"""Document ids: server-generated, time-ordered, and validated strictly before they touch a key.

An id is 32 lowercase hex digits: 48 bits of millisecond timestamp then 80 random bits. Time first
makes S3's lexicographic listing return a caller's documents oldest first, and keeps pagination
stable while new documents arrive. Only the canonical form is accepted, so one document has
exactly one id and no input (``..``, ``/``, percent-escapes, unicode digits, upper case) can
change the shape of the object key it is spliced into.
"""

from __future__ import annotations

import secrets
import time
from typing import TypeGuard

ID_LENGTH = 32
TIMESTAMP_HEX_DIGITS = 12
RANDOM_BYTES = 10
_HEX_DIGITS = frozenset("0123456789abcdef")


def new_document_id(*, now_ms: int | None = None) -> str:
    """A fresh id: the current time in milliseconds (48 bits) followed by 80 random bits."""
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    return f"{millis & 0xFFFF_FFFF_FFFF:012x}{secrets.token_hex(RANDOM_BYTES)}"


def is_valid_document_id(candidate: object) -> TypeGuard[str]:
    """Whether ``candidate`` is a canonical id (a ``str`` of exactly 32 lowercase ASCII hex digits)."""
    return isinstance(candidate, str) and len(candidate) == ID_LENGTH and _HEX_DIGITS.issuperset(candidate)


def created_at(document_id: str) -> str:
    """The creation time embedded in a (valid) id, as an RFC 3339 UTC timestamp with milliseconds."""
    from datetime import UTC, datetime  # datetime is already loaded by botocore

    millis = int(document_id[:TIMESTAMP_HEX_DIGITS], 16)
    moment = datetime.fromtimestamp(millis / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
