"""Content-Type parsing and content verification: the declared type must be allowed *and* be what the
bytes are.

Binary types are recognised by their signatures (magic bytes) at offset 0. Plain text has no
signature, so it is accepted only when it is valid UTF-8, contains no NUL byte, and does not start
with one of the binary signatures (a PDF renamed to ``.txt`` is still a PDF).
"""

from __future__ import annotations

import re

from document_processor.errors import ErrorCode, UnsupportedMediaTypeError
from document_processor.settings import JPEG, PDF, PNG, TEXT

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
"""Leading bytes of each binary type (ISO 32000 header, PNG signature, JPEG SOI + first marker)."""
TEXT_CHARSETS: frozenset[str] = frozenset({"utf-8", "utf8", "us-ascii"})
"""Charsets a ``text/plain`` upload may declare (US-ASCII is a subset of UTF-8)."""
STORED_TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
"""What a text document is stored and served as, so browsers and clients decode it correctly."""

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # noqa: S105 - RFC 9110 token syntax, not a secret
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})", re.ASCII)
_PARAMETER = re.compile(rf"\s*({_TOKEN})\s*=\s*(?:({_TOKEN})|\"([^\"\\]*)\")\s*", re.ASCII)


def parse_content_type(header: str | None) -> tuple[str, dict[str, str]]:
    """Split a ``Content-Type`` header into its lower-case media type and parameters (RFC 9110 syntax)."""
    if header is None or not header.strip():
        raise UnsupportedMediaTypeError(
            "A Content-Type header is required.", code=ErrorCode.MISSING_CONTENT_TYPE
        )
    media_type, *raw_parameters = header.split(";")
    match = _MEDIA_TYPE.fullmatch(media_type.strip())
    parameters: dict[str, str] = {}
    for raw in raw_parameters:
        if not raw.strip():
            continue  # RFC 9110 §5.6.6: ``*( OWS ";" OWS [ parameter ] )``, so "type/subtype;" is valid
        parameter = _PARAMETER.fullmatch(raw)
        if parameter is None:
            match = None
            break
        name, token, quoted = parameter.groups()
        parameters[name.lower()] = token if token is not None else quoted
    if match is None:
        raise UnsupportedMediaTypeError("The Content-Type header is malformed.")
    return f"{match.group(1)}/{match.group(2)}".lower(), parameters


def sniff(data: bytes) -> str | None:
    """The binary media type ``data`` starts with, or ``None`` when it has no known signature."""
    for signature, media_type in SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


def verify_content(declared: str, parameters: dict[str, str], data: bytes, *, allowed: frozenset[str]) -> str:
    """Check ``data`` against the declared, allowed type; return the Content-Type to store it with."""
    if declared not in allowed:
        raise UnsupportedMediaTypeError(
            f"Content-Type {declared!r} is not accepted; use one of {', '.join(sorted(allowed))}."
        )
    detected = sniff(data)
    if declared == TEXT:
        charset = parameters.get("charset", "utf-8").lower()
        if charset not in TEXT_CHARSETS:
            raise UnsupportedMediaTypeError(
                f"Text must be UTF-8; charset {charset!r} is not accepted.",
                code=ErrorCode.INVALID_TEXT_ENCODING,
            )
        if detected is not None:
            raise UnsupportedMediaTypeError(
                "The content does not match the declared Content-Type.", code=ErrorCode.CONTENT_TYPE_MISMATCH
            )
        if b"\x00" in data or not _is_utf8(data):
            raise UnsupportedMediaTypeError(
                "Text content must be valid UTF-8 without NUL bytes.", code=ErrorCode.INVALID_TEXT_ENCODING
            )
        return STORED_TEXT_CONTENT_TYPE
    if detected != declared:
        raise UnsupportedMediaTypeError(
            "The content does not match the declared Content-Type.", code=ErrorCode.CONTENT_TYPE_MISMATCH
        )
    return declared


def media_type_of(stored_content_type: str) -> str:
    """The bare media type of a stored ``Content-Type`` (drops parameters such as the charset)."""
    return stored_content_type.split(";", 1)[0].strip().lower()


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
