"""Binary media types, matched the way API Gateway matches them.

API Gateway (REST, Lambda proxy) base64-encodes a request body, and sets ``isBase64Encoded``, when the
request's ``Content-Type`` matches one of the API's ``binaryMediaTypes``; other bodies reach Lambda as
UTF-8 text. On the way back it decodes a base64 proxy response to raw bytes when the request's first
``Accept`` type or the response's ``Content-Type`` matches. Local mode uses the deployed API's
list (``document_processor.routes.BINARY_MEDIA_TYPES``), so an upload that works locally arrives the
same way in AWS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from document_processor.routes import BINARY_MEDIA_TYPES

if TYPE_CHECKING:
    from collections.abc import Iterable

WILDCARD = "*"


def essence(media_type: str) -> str:
    """The ``type/subtype`` part of a media type, lower-cased and without parameters."""
    return media_type.split(";", 1)[0].strip().lower()


def matches_binary_media_type(media_type: str | None, patterns: Iterable[str] = BINARY_MEDIA_TYPES) -> bool:
    """Whether ``media_type`` matches one of ``patterns`` (``*/*`` and ``type/*`` wildcards allowed)."""
    if not media_type:
        return False
    candidate = essence(media_type)
    if "/" not in candidate:
        return False
    main, _, sub = candidate.partition("/")
    for pattern in patterns:
        pattern_main, _, pattern_sub = essence(pattern).partition("/")
        if pattern_main in (WILDCARD, main) and pattern_sub in (WILDCARD, sub):
            return True
    return False


def first_accept_type(accept: str | None) -> str | None:
    """The first media type listed in an ``Accept`` header (API Gateway looks at this one only)."""
    if not accept:
        return None
    first = accept.split(",", 1)[0].strip()
    return first or None
