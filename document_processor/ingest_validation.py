"""Validating an ingest object in one pass, in bounded memory, whatever its size (DESIGN §4.2).

The processor reads a large upload exactly once, in ``CHUNK_BYTES`` pieces, and decides as it goes:

- the declared type must be on the allow-list (``unsupported_content_type``, before a byte is read);
- the first bytes must carry the declared type's signature, and text must carry none
  (``content_type_mismatch``), as ``content_types.verify_content`` decides for ``POST /documents``;
- text must be UTF-8 without NUL bytes (``invalid_text_encoding``), checked with an incremental
  decoder, so a character split across two chunks is still one character;
- the byte count must be the declared size (``size_mismatch``; reading stops at the first byte too many);
- the SHA-256 of the bytes must be the declared one (``checksum_mismatch``).

Facts come from the same bounded extractors as the API path, within the same budgets: image dimensions
from the head of the object (the first chunk; a header that lies beyond it exceeds the image budget's
input, and the fact is skipped as the API would skip it), a PDF's page count only when the whole object
fits the PDF budget's input limit, spooled to a ``SpooledTemporaryFile`` that stays in memory only up to
``SPOOL_MEMORY_BYTES`` and otherwise lives in the function's ``/tmp``. An unreadable PDF or image is
``malformed_document``. Memory is the chunk, the head, the decoder's few bytes and the spool threshold.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import io
import logging
import tempfile
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from document_processor.content_types import (
    STORED_TEXT_CONTENT_TYPE,
    TEXT_CHARSETS,
    parse_content_type,
    sniff,
)
from document_processor.errors import ServiceError
from document_processor.fact_budget import FactBudget, FactBudgetExceeded, Limit, MeteredStream
from document_processor.metadata import IMAGE_MAX_INPUT_BYTES, PDF_MAX_INPUT_BYTES, image_budget, pdf_budget
from document_processor.observability import count_fact_skipped
from document_processor.settings import JPEG, PDF, PNG, TEXT

if TYPE_CHECKING:
    from typing import BinaryIO

CHUNK_BYTES = 1024 * 1024
"""Bytes read from the object at a time (also the head handed to the image extractor)."""
SPOOL_MEMORY_BYTES = 1024 * 1024
"""A PDF spooled for its page count stays in memory up to this size, then moves to ``/tmp``."""
SHA256_HEX_DIGITS = 64

LOGGER = logging.getLogger("document_processor.ingest_validation")


class RejectionCode(StrEnum):
    """Why an ingest object was refused (the ``error.code`` recorded on its upload session)."""

    SIZE_MISMATCH = "size_mismatch"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    CONTENT_TYPE_MISMATCH = "content_type_mismatch"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    INVALID_TEXT_ENCODING = "invalid_text_encoding"
    """Same code as ``POST /documents`` for text that is not UTF-8 (DESIGN §4.2 lists no other)."""
    MALFORMED_DOCUMENT = "malformed_document"
    """Same code as ``POST /documents`` for a PDF or image its extractor cannot read."""
    PROCESSING_FAILED = "processing_failed"
    """Not a verdict on the bytes: the quarantined copy expired (the ingest bucket's lifecycle) before any
    processing attempt stored it, e.g. a failure-queue replay days later (``processor``)."""
    MALWARE_DETECTED = "malware_detected"
    """The malware gate (DESIGN §4.3): GuardDuty found a threat in the upload, which was deleted."""
    SCAN_FAILED = "scan_failed"
    """The malware gate could give no verdict (``UNSUPPORTED``, ``ACCESS_DENIED``, ``FAILED``): it fails
    closed, the upload was deleted."""


PROCESSING_FAILED_MESSAGE = (
    "The upload could not be validated before its quarantined copy expired; upload it again."
)
"""The message recorded with ``RejectionCode.PROCESSING_FAILED``."""


class Rejected(Exception):
    """The object is not the document its session declared; ``message`` is safe to show the client."""

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Validated(NamedTuple):
    """What validation proved about the object: the document to store."""

    size: int
    sha256: str
    """Hex SHA-256 of the bytes read (equal to the declared one)."""
    content_type: str
    """The ``Content-Type`` to store it with (text gets ``; charset=utf-8``, as in ``POST /documents``)."""
    facts: dict[str, int]
    """``pageCount`` or ``width``/``height`` when they could be read within budget; empty for text."""
    part_sha256: tuple[str, ...] = ()
    """Base64 SHA-256 of each ``part_bytes`` range in order (what S3 reports for each part of a multipart
    copy), when asked for; empty otherwise."""


def validate_stream(
    body: BinaryIO,
    *,
    declared_size: int,
    declared_content_type: str,
    declared_sha256: str,
    allowed: frozenset[str],
    chunk_bytes: int = CHUNK_BYTES,
    part_bytes: int | None = None,
) -> Validated:
    """Read ``body`` once, in ``chunk_bytes`` pieces, and check it against its session's declarations.

    ``part_bytes``: also hash each range of that many bytes (``Validated.part_sha256``), so the parts of
    a multipart copy can be checked against the bytes validated before the copy becomes visible (a second
    SHA-256 over the same bytes, asked for only above the single-copy limit: OpenSSL hashes ~1 GiB/s on
    the build machine, so ~20 s more for a 20 GiB upload whose read alone takes minutes).
    Raises ``Rejected`` with the first problem found; any error reading ``body`` propagates unchanged
    (a transient failure, for the caller to retry, never a rejection).
    """
    media_type, stored_type = _declared_type(declared_content_type, allowed)
    hasher = hashlib.sha256()
    parts = _PartHashes(part_bytes) if part_bytes else None
    decoder = codecs.getincrementaldecoder("utf-8")("strict") if media_type == TEXT else None
    spool: Any = None
    if media_type == PDF and declared_size <= PDF_MAX_INPUT_BYTES:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - closed below
    try:
        head = _read_full(
            body, max(chunk_bytes, IMAGE_MAX_INPUT_BYTES) if media_type in (PNG, JPEG) else chunk_bytes
        )
        _check_signature(media_type, head)
        size = 0
        chunk = head
        while chunk:
            size += len(chunk)
            if size > declared_size:
                raise Rejected(
                    RejectionCode.SIZE_MISMATCH,
                    f"The upload is larger than the declared {declared_size} bytes.",
                )
            hasher.update(chunk)
            if parts is not None:
                parts.update(chunk)
            if decoder is not None:
                _check_text(decoder, chunk, final=False)
            if spool is not None:
                spool.write(chunk)
            chunk = _read_full(body, chunk_bytes)
        if decoder is not None:
            _check_text(decoder, b"", final=True)
        if size != declared_size:
            raise Rejected(
                RejectionCode.SIZE_MISMATCH,
                f"The upload has {size} bytes; {declared_size} were declared.",
            )
        digest = hasher.hexdigest()
        if digest != declared_sha256.lower():
            raise Rejected(
                RejectionCode.CHECKSUM_MISMATCH,
                "The upload's SHA-256 is not the declared one; upload the file again.",
            )
        facts = _facts(media_type, head, size, spool)
    finally:
        if spool is not None:
            spool.close()
    part_sha256 = parts.digests() if parts is not None else ()
    return Validated(size=size, sha256=digest, content_type=stored_type, facts=facts, part_sha256=part_sha256)


class _PartHashes:
    """SHA-256 of consecutive ranges of ``part_bytes`` bytes, fed chunks of any size."""

    def __init__(self, part_bytes: int) -> None:
        if part_bytes < 1:
            raise ValueError("part_bytes must be positive")
        self._part_bytes = part_bytes
        self._hasher = hashlib.sha256()
        self._left = part_bytes
        self._done: list[str] = []

    def update(self, chunk: bytes) -> None:
        """Hash ``chunk``, closing each range as it fills."""
        view = memoryview(chunk)
        while view:
            take = min(len(view), self._left)
            self._hasher.update(view[:take])
            self._left -= take
            view = view[take:]
            if not self._left:
                self._finish()

    def digests(self) -> tuple[str, ...]:
        """Every range's base64 digest, the last (shorter) one closed too."""
        if self._left != self._part_bytes:  # a last, shorter range
            self._finish()
        return tuple(self._done)

    def _finish(self) -> None:
        self._done.append(base64.b64encode(self._hasher.digest()).decode("ascii"))
        self._hasher = hashlib.sha256()
        self._left = self._part_bytes


def _declared_type(declared: str, allowed: frozenset[str]) -> tuple[str, str]:
    """The declared media type and the Content-Type to store; refuse a type off the allow-list."""
    try:
        media_type, parameters = parse_content_type(declared)
    except ServiceError:
        media_type, parameters = "", {}
    if media_type not in allowed:
        raise Rejected(
            RejectionCode.UNSUPPORTED_CONTENT_TYPE,
            f"Content-Type {declared!r} is not accepted; use one of {', '.join(sorted(allowed))}.",
        )
    if media_type != TEXT:
        return media_type, media_type
    charset = parameters.get("charset", "utf-8").lower()
    if charset not in TEXT_CHARSETS:
        raise Rejected(
            RejectionCode.INVALID_TEXT_ENCODING, f"Text must be UTF-8; charset {charset!r} is not accepted."
        )
    return media_type, STORED_TEXT_CONTENT_TYPE


def _check_signature(media_type: str, head: bytes) -> None:
    """The head must start with the declared type's signature; text must start with none."""
    detected = sniff(head)
    if (media_type == TEXT and detected is not None) or (media_type != TEXT and detected != media_type):
        raise Rejected(
            RejectionCode.CONTENT_TYPE_MISMATCH, "The content does not match the declared Content-Type."
        )


def _check_text(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool) -> None:
    """UTF-8 without NUL, across chunk boundaries (the decoder keeps a split character's first bytes)."""
    if b"\x00" in chunk:
        raise Rejected(
            RejectionCode.INVALID_TEXT_ENCODING, "Text content must be valid UTF-8 without NUL bytes."
        )
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        raise Rejected(
            RejectionCode.INVALID_TEXT_ENCODING, "Text content must be valid UTF-8 without NUL bytes."
        ) from None


def _read_full(body: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end (a raw or network stream may return short reads)."""
    first = body.read(size)
    if not first or len(first) == size:
        return first or b""
    parts = [first]
    missing = size - len(first)
    while missing:
        more = body.read(missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def _facts(media_type: str, head: bytes, size: int, spool: Any) -> dict[str, int]:
    """The type's facts within its budget (``metadata``'s budgets and extractors)."""
    if media_type == PDF:
        if spool is None:
            _skipped("pageCount", Limit.INPUT_BYTES, {"inputBytes": size})
            return {}
        from document_processor import pdf_facts  # deferred: only PDFs pay for importing pypdf

        budget = pdf_budget()
        spool.seek(0)
        try:
            return {"pageCount": pdf_facts.page_count(spool, budget)}
        except pdf_facts.MalformedPdfError as error:
            raise Rejected(RejectionCode.MALFORMED_DOCUMENT, str(error)) from None
        except FactBudgetExceeded as exceeded:
            _skipped("pageCount", exceeded.limit, budget.spent())
            return {}
    if media_type in (PNG, JPEG):
        import imagesize  # deferred: only images pay for importing imagesize

        budget = image_budget()
        try:
            width, height = imagesize.get(MeteredStream(cast("BinaryIO", _Head(head, size, budget)), budget))
        except FactBudgetExceeded:
            width = height = -1
        except Exception:  # imagesize raises on some truncated headers, returns -1 on others
            raise Rejected(RejectionCode.MALFORMED_DOCUMENT, "The image could not be read.") from None
        if budget.exceeded is not None:  # imagesize turns every exception, the budget's too, into -1
            _skipped("dimensions", budget.exceeded, budget.spent())
            return {}
        if width <= 0 or height <= 0:
            raise Rejected(RejectionCode.MALFORMED_DOCUMENT, "The image could not be read.")
        return {"width": int(width), "height": int(height)}
    return {}


def _skipped(fact: str, limit: Limit, spent: dict[str, Any]) -> None:
    LOGGER.warning(
        "Document stored without a fact: describing it would exceed the budget",
        extra={"fact": fact, "limit": str(limit), **spent},
    )
    count_fact_skipped(fact, str(limit))


class _Head(io.RawIOBase):
    """The first bytes of an object of ``size`` bytes, seekable over the whole object.

    A read past the head (an image header further in than the head reaches) exhausts the budget's
    input, as reading that far would under ``POST /documents``: the fact is skipped, not the document.
    """

    def __init__(self, head: bytes, size: int, budget: FactBudget) -> None:
        super().__init__()
        self._head = head
        self._size = size
        self._budget = budget
        self._position = 0

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def seekable(self) -> bool:
        """Always: imagesize seeks over segments."""
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the whole object (seeking reads nothing)."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        """The current position within the object."""
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        """Bytes of the head; refuse (budget exhausted) a read that needs bytes beyond it."""
        end = self._size if size is None or size < 0 else min(self._size, self._position + size)
        if end > len(self._head):
            self._budget.fail(Limit.INPUT_BYTES)
        data = self._head[self._position : end]
        self._position += len(data)
        return data
