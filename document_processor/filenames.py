"""Client filenames: read from ``Content-Disposition`` and sanitised into something safe to store,
show and send back, and carried as metadata only (never part of an object key).

Parsing uses the standard library's MIME header parser, which handles quoting and RFC 2231
``filename*=UTF-8''...`` encoding; S3 user metadata must be ASCII, so the sanitised name is stored
percent-encoded and decoded on read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from document_processor.errors import BadRequestError, ErrorCode

MAX_FILENAME_BYTES = 255
"""Longest stored filename in UTF-8 bytes (the common filesystem limit); longer names are truncated."""
ACCEPTED_DISPOSITIONS: frozenset[str] = frozenset({"attachment", "inline", "form-data"})
EXTENDED_CHARSETS: dict[str, str] = {"utf-8": "utf-8", "iso-8859-1": "latin-1"}
"""Charsets RFC 8187 requires for ``filename*``, and their codec names."""
_REPLACED = frozenset('<>:"|?*')
"""Characters that are path or shell syntax somewhere (Windows reserves all of them): replaced by ``_``."""
_SPACES = frozenset({"Zs", "Zl", "Zp"})
"""Unicode space and separator categories: become one plain space."""
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
"""Controls, format characters (bidi overrides, zero-width), surrogates, private-use, unassigned."""


def filename_from_content_disposition(header: str | None) -> str | None:
    """The sanitised filename a ``Content-Disposition`` header names, or ``None`` when it names none.

    ``filename*`` (RFC 8187: UTF-8 or ISO-8859-1, percent-encoded) wins over ``filename``, as RFC 6266
    asks; an extended value that does not decode in its declared charset is a 400, never guessed at.
    """
    if header is None or not header.strip():
        return None
    from email.message import Message  # already loaded by botocore

    message = Message()
    message["Content-Disposition"] = header
    if message.get_content_disposition() not in ACCEPTED_DISPOSITIONS:
        raise _invalid("Content-Disposition must be 'attachment' (optionally with a filename).")
    plain: str | None = None
    extended: str | None = None
    # typeshed says str values, but RFC 2231 ``name*`` values arrive as (charset, language, text) tuples.
    parameters: list[tuple[str, Any]] = message.get_params(header="content-disposition", failobj=[])
    for name, value in parameters[1:]:
        if name.lower() != "filename":
            continue
        if isinstance(value, tuple):
            extended = _decode_extended(value)
        elif plain is None:
            plain = value
    chosen = extended if extended is not None else plain
    return sanitise_filename(chosen) if chosen is not None else None


def _decode_extended(value: tuple[str | None, str | None, str]) -> str:
    charset, _, text = value
    if (charset or "").lower() not in EXTENDED_CHARSETS:
        raise _invalid("The filename* charset must be UTF-8 or ISO-8859-1.")
    try:
        # The email parser keeps percent-decoded octets as code points 0-255.
        return text.encode("latin-1").decode(EXTENDED_CHARSETS[(charset or "").lower()])
    except UnicodeError:
        raise _invalid("The filename* value is not valid in its declared charset.") from None


def _invalid(message: str) -> BadRequestError:
    return BadRequestError(message, code=ErrorCode.INVALID_CONTENT_DISPOSITION)


def sanitise_filename(name: str) -> str | None:
    """A safe version of ``name``: last path component only, no control or format characters, no
    leading dots or surrounding spaces, path/shell syntax replaced, NFC-normalised, at most
    ``MAX_FILENAME_BYTES`` UTF-8 bytes. ``None`` when nothing usable is left.
    """
    import unicodedata  # only needed when a filename is supplied; keeps cold start lean

    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept: list[str] = []
    for char in name:
        category = unicodedata.category(char)
        if char in _REPLACED:
            kept.append("_")
        elif category in _SPACES or char in "\t\n\r\v\f":
            kept.append(" ")
        elif category not in _DROPPED:
            kept.append(char)
    cleaned = "".join(kept)
    cleaned = " ".join(cleaned.split()).lstrip(". ").rstrip(" ")
    encoded = cleaned.encode("utf-8")
    if len(encoded) > MAX_FILENAME_BYTES:
        cleaned = encoded[:MAX_FILENAME_BYTES].decode("utf-8", errors="ignore").rstrip(" ")
    return cleaned or None


def encode_for_metadata(filename: str) -> str:
    """Percent-encode (UTF-8) so the name fits S3's ASCII-only user metadata."""
    return quote(filename, safe="")


def decode_from_metadata(value: str) -> str | None:
    """Reverse ``encode_for_metadata``; anything not decodable is dropped rather than shown garbled."""
    try:
        decoded = unquote(value, errors="strict")
    except UnicodeDecodeError:
        return None
    return sanitise_filename(decoded)


def content_disposition(filename: str | None) -> str:
    """An ``attachment`` disposition for a download: ASCII fallback plus RFC 6266 ``filename*``."""
    if not filename:
        return "attachment"
    fallback = "".join(char if 32 <= ord(char) < 127 and char not in '"\\%' else "_" for char in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
