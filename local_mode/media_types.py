"""Binary media types, matched the way API Gateway matches them.

API Gateway (REST, Lambda proxy) base64-encodes a request body, and sets ``isBase64Encoded``, when the
request's ``Content-Type`` matches one of the API's ``binaryMediaTypes``; other bodies reach Lambda as
UTF-8 text. On the way back it decodes a base64 proxy response to raw bytes when the request's first
``Accept`` type or the response's ``Content-Type`` matches. Local mode must use the same list as the
deployed API, or uploads that work locally could arrive mangled in AWS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

BINARY_MEDIA_TYPES: tuple[str, ...] = ("*/*",)
"""The deployed API's ``binaryMediaTypes``: every body is treated as binary.

``*/*`` is what AWS recommends when clients cannot control the order of their ``Accept`` values, and
it keeps documents byte-exact whatever media type they declare. The deployed API's list is
``lib.api_gateway_stack.BINARY_MEDIA_TYPES``; it is not imported here (that module loads Pulumi), and
``tests/unit/local_mode/test_media_types.py`` fails if the two differ.
"""

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
