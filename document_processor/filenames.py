"""Client filenames: read from ``Content-Disposition`` and sanitised into something safe to store,
show and send back, and carried as metadata only (never part of an object key).

Parsing uses the standard library's MIME header parser, which handles quoting and RFC 2231
``filename*=UTF-8''...`` encoding; S3 user metadata must be ASCII, so the sanitised name is stored
percent-encoded and decoded on read.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from document_processor.errors import BadRequestError, ErrorCode

MAX_FILENAME_BYTES = 255
"""Longest stored filename in UTF-8 bytes (the common filesystem limit); longer names are truncated."""
ACCEPTED_DISPOSITIONS: frozenset[str] = frozenset({"attachment", "inline", "form-data"})
_REPLACED = frozenset('<>:"|?*')
"""Characters that are path or shell syntax somewhere (Windows reserves all of them): replaced by ``_``."""


def filename_from_content_disposition(header: str | None) -> str | None:
    """The sanitised filename a ``Content-Disposition`` header names, or ``None`` when it names none."""
    if header is None or not header.strip():
        return None
    from email.message import Message  # already loaded by botocore; kept local for clarity

    message = Message()
    message["Content-Disposition"] = header
    disposition = message.get_content_disposition()
    if disposition not in ACCEPTED_DISPOSITIONS:
        raise BadRequestError(
            "Content-Disposition must be 'attachment' (optionally with a filename).",
            code=ErrorCode.INVALID_CONTENT_DISPOSITION,
        )
    try:
        raw = message.get_filename()
    except (LookupError, UnicodeError):
        raise BadRequestError(
            "The Content-Disposition filename is not decodable.", code=ErrorCode.INVALID_CONTENT_DISPOSITION
        ) from None
    return sanitise_filename(raw) if raw is not None else None


def sanitise_filename(name: str) -> str | None:
    """A safe version of ``name``: last path component only, no control or format characters, no
    leading dots or surrounding spaces, path/shell syntax replaced, NFC-normalised, at most
    ``MAX_FILENAME_BYTES`` UTF-8 bytes. ``None`` when nothing usable is left.
    """
    import unicodedata  # only needed when a filename is supplied; keeps cold start lean

    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        "_" if char in _REPLACED else (" " if char.isspace() else char)
        for char in name
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} or char.isspace()
    )
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
