"""``validate_stream``: every rejection code, facts within the existing budgets, one pass in bounded memory.

The bounded-memory tests stream 16 MiB and 64 MiB objects from a generator (and once from moto's S3)
under ``tracemalloc``: the peak of what validation allocates must not grow with the object's size.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tracemalloc
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.ingest_validation import (
    CHUNK_BYTES,
    Rejected,
    RejectionCode,
    Validated,
    validate_stream,
)
from document_processor.settings import JPEG, PDF, PNG, SUPPORTED_CONTENT_TYPES, TEXT
from tests.unit.service.conftest import BUCKET
from tests.unit.service.samples import make_jpeg, make_pdf, make_png

if TYPE_CHECKING:
    from collections.abc import Callable

MiB = 1024 * 1024


def validate(data: bytes, content_type: str, **overrides: Any) -> Validated:
    """Validate ``data`` as declared correctly, unless ``overrides`` change a declaration."""
    arguments: dict[str, Any] = {
        "declared_size": len(data),
        "declared_content_type": content_type,
        "declared_sha256": hashlib.sha256(data).hexdigest(),
        "allowed": SUPPORTED_CONTENT_TYPES,
    }
    arguments.update(overrides)
    return validate_stream(io.BytesIO(data), **arguments)


def rejection(call: Callable[[], object]) -> RejectionCode:
    with pytest.raises(Rejected) as caught:
        call()
    assert caught.value.message
    return caught.value.code


class ShortReads(io.RawIOBase):
    """A stream that returns at most ``step`` bytes per read, as a socket may."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__()
        self._data = io.BytesIO(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        limit = self._step if size is None or size < 0 else min(size, self._step)
        return self._data.read(limit)


class Generated(io.RawIOBase):
    """``size`` bytes of ASCII text, produced on demand (nothing of the object is held), and their hash."""

    LINE = b"the quick brown fox jumps over the lazy dog 0123456789\n" * 64

    def __init__(self, size: int) -> None:
        super().__init__()
        self._left = size

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        reps, rest = divmod(wanted, len(self.LINE))
        data = self.LINE * reps + self.LINE[:rest]
        self._left -= len(data)
        return data

    @classmethod
    def sha256(cls, size: int) -> str:
        hasher = hashlib.sha256()
        stream = cls(size)
        while chunk := stream.read(MiB):
            hasher.update(chunk)
        return hasher.hexdigest()


# --- accepted documents ------------------------------------------------------------------------------


def test_a_pdf_is_accepted_with_its_page_count() -> None:
    data = make_pdf(3)
    assert validate(data, PDF) == Validated(
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type=PDF, facts={"pageCount": 3}
    )


@pytest.mark.parametrize(("media_type", "make"), [(PNG, make_png), (JPEG, make_jpeg)])
def test_an_image_is_accepted_with_its_dimensions(media_type: str, make: Callable[[int, int], bytes]) -> None:
    assert validate(make(37, 21), media_type).facts == {"width": 37, "height": 21}


def test_text_is_stored_as_utf8_whatever_charset_spelling_was_declared() -> None:
    data = "naïve café ✓\n".encode()
    result = validate(data, "text/plain; charset=UTF-8")
    assert result.content_type == "text/plain; charset=utf-8"
    assert result.facts == {}


def test_a_multibyte_character_split_across_chunks_is_one_character() -> None:
    data = b"a" * (CHUNK_BYTES - 1) + "€".encode() + b"b" * 10
    assert validate(data, TEXT).size == len(data)


def test_short_reads_from_the_stream_are_assembled_into_full_chunks() -> None:
    data = make_png(40, 30) + b"\x00" * (3 * MiB)
    result = validate_stream(
        ShortReads(data, 4096),  # type: ignore[arg-type]
        declared_size=len(data),
        declared_content_type=PNG,
        declared_sha256=hashlib.sha256(data).hexdigest(),
        allowed=SUPPORTED_CONTENT_TYPES,
    )
    assert result.facts == {"width": 40, "height": 30}


@pytest.mark.parametrize(("chunk_bytes", "part_bytes"), [(7, 16), (16, 16), (64, 5), (3, 100), (4096, 1)])
def test_each_part_range_is_hashed_as_s3_hashes_a_copied_part(chunk_bytes: int, part_bytes: int) -> None:
    data = b"plain text, hashed twice: whole and in part ranges\n" * 3
    validated = validate(data, TEXT, chunk_bytes=chunk_bytes, part_bytes=part_bytes)
    expected = tuple(
        base64.b64encode(hashlib.sha256(data[start : start + part_bytes]).digest()).decode()
        for start in range(0, len(data), part_bytes)
    )
    assert validated.part_sha256 == expected
    assert validated.sha256 == hashlib.sha256(data).hexdigest()


def test_without_part_bytes_no_part_is_hashed() -> None:
    assert validate(b"plain text", TEXT).part_sha256 == ()


def test_an_uppercase_declared_sha256_matches() -> None:
    data = b"hello"
    assert validate(data, TEXT, declared_sha256=hashlib.sha256(data).hexdigest().upper()).size == 5


# --- every rejection code ----------------------------------------------------------------------------


def test_a_type_off_the_allow_list_is_unsupported_before_anything_is_read() -> None:
    class Unreadable(io.RawIOBase):
        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("read")

    assert (
        rejection(
            lambda: validate_stream(
                Unreadable(),  # type: ignore[arg-type]
                declared_size=5,
                declared_content_type=PDF,
                declared_sha256="0" * 64,
                allowed=frozenset({TEXT}),
            )
        )
        is RejectionCode.UNSUPPORTED_CONTENT_TYPE
    )


@pytest.mark.parametrize("declared", ["application/zip", "not a type", ""])
def test_an_unknown_or_malformed_type_is_unsupported(declared: str) -> None:
    assert rejection(lambda: validate(b"data", declared)) is RejectionCode.UNSUPPORTED_CONTENT_TYPE


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (make_png(2, 2), PDF),  # another allowed type's bytes
        (b"plain words", PNG),  # no signature at all
        (make_pdf(1), TEXT),  # a PDF renamed to .txt is still a PDF
        (b"", JPEG),  # nothing to sniff
    ],
)
def test_bytes_that_are_not_the_declared_type_are_a_mismatch(data: bytes, declared: str) -> None:
    assert rejection(lambda: validate(data, declared)) is RejectionCode.CONTENT_TYPE_MISMATCH


@pytest.mark.parametrize(
    "data",
    [b"caf\xe9", b"ok\x00ok", b"a" * (CHUNK_BYTES - 1) + b"\xe2\x82", b"\xff" + b"a" * (2 * CHUNK_BYTES)],
)
def test_text_that_is_not_utf8_is_refused(data: bytes) -> None:
    assert rejection(lambda: validate(data, TEXT)) is RejectionCode.INVALID_TEXT_ENCODING


def test_a_charset_other_than_utf8_is_refused() -> None:
    assert (
        rejection(lambda: validate(b"abc", "text/plain; charset=latin-1"))
        is RejectionCode.INVALID_TEXT_ENCODING
    )


@pytest.mark.parametrize("declared_size", [1, 4, 6, 10 * MiB])
def test_a_size_other_than_the_declared_one_is_a_size_mismatch(declared_size: int) -> None:
    assert (
        rejection(lambda: validate(b"hello", TEXT, declared_size=declared_size))
        is RejectionCode.SIZE_MISMATCH
    )


def test_reading_stops_at_the_first_chunk_past_the_declared_size() -> None:
    stream = Generated(64 * MiB)
    with pytest.raises(Rejected) as caught:
        validate_stream(
            stream,  # type: ignore[arg-type]
            declared_size=MiB,
            declared_content_type=TEXT,
            declared_sha256="0" * 64,
            allowed=SUPPORTED_CONTENT_TYPES,
        )
    assert caught.value.code is RejectionCode.SIZE_MISMATCH
    assert stream._left == 62 * MiB  # two chunks read, not sixty-four


def test_bytes_whose_sha256_is_not_the_declared_one_are_a_checksum_mismatch() -> None:
    data = b"hello"
    other = hashlib.sha256(b"hellO").hexdigest()
    assert rejection(lambda: validate(data, TEXT, declared_sha256=other)) is RejectionCode.CHECKSUM_MISMATCH


@pytest.mark.parametrize(
    ("data", "declared"),
    [(b"%PDF-1.7\nnot really a pdf", PDF), (b"\x89PNG\r\n\x1a\n\x00\x00", PNG)],
)
def test_a_document_its_extractor_cannot_read_is_malformed(data: bytes, declared: str) -> None:
    assert rejection(lambda: validate(data, declared)) is RejectionCode.MALFORMED_DOCUMENT


def test_a_read_error_is_not_a_rejection() -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int | None = -1) -> bytes:
            raise ConnectionResetError("reset")

    with pytest.raises(ConnectionResetError):
        validate_stream(
            Broken(),  # type: ignore[arg-type]
            declared_size=5,
            declared_content_type=TEXT,
            declared_sha256="0" * 64,
            allowed=SUPPORTED_CONTENT_TYPES,
        )


# --- facts within budget -----------------------------------------------------------------------------


def test_a_pdf_larger_than_the_pdf_budget_is_accepted_without_a_page_count(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("document_processor.ingest_validation.PDF_MAX_INPUT_BYTES", 1000)
    data = make_pdf(2) + b"\n" * 1000
    assert validate(data, PDF).facts == {}
    assert any(getattr(record, "fact", None) == "pageCount" for record in caplog.records)


def test_a_jpeg_whose_header_lies_beyond_the_head_is_accepted_without_dimensions() -> None:
    image = make_jpeg(16, 16)
    # An APP15 segment chain of 2 MiB before the frame header: imagesize would have to read past the head.
    padding = b"".join(b"\xff\xef\xff\xff" + b"\x00" * 0xFFFD for _ in range(2 * MiB // 0xFFFF + 1))
    data = image[:2] + padding + image[2:]
    assert validate(data, JPEG).facts == {}


# --- bounded memory ----------------------------------------------------------------------------------


def peak_while_validating(size: int) -> int:
    """Peak bytes traced while validating a generated ``size``-byte text object."""
    sha256 = Generated.sha256(size)
    tracemalloc.start()
    try:
        result = validate_stream(
            Generated(size),  # type: ignore[arg-type]
            declared_size=size,
            declared_content_type=TEXT,
            declared_sha256=sha256,
            allowed=SUPPORTED_CONTENT_TYPES,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size == size
    return peak


def test_memory_does_not_grow_with_the_object() -> None:
    small, large = peak_while_validating(16 * MiB), peak_while_validating(64 * MiB)
    assert large < 8 * MiB  # a few chunks: the chunk, its decoded text, the generator's buffer
    assert large <= small * 1.1 + 256 * 1024


def test_memory_does_not_grow_with_an_object_streamed_from_s3(s3: Any) -> None:
    """From moto's S3: moto builds its whole answer in memory, so validation's own peak is measured
    from the moment GetObject has answered (``reset_peak``)."""
    peaks = []
    for size in (16 * MiB, 64 * MiB):
        data = make_pdf(1)  # signature and page count at the start...
        data = data + b" " * (size - len(data))  # ...padding after %%EOF, which PDF readers ignore
        s3.put_object(Bucket=BUCKET, Key=f"ingest/{size}", Body=data)
        sha256 = hashlib.sha256(data).hexdigest()
        del data
        tracemalloc.start()
        try:
            body = s3.get_object(Bucket=BUCKET, Key=f"ingest/{size}")["Body"]
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            result = validate_stream(
                body,
                declared_size=size,
                declared_content_type=PDF,
                declared_sha256=sha256,
                allowed=SUPPORTED_CONTENT_TYPES,
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert result.size == size
        peaks.append(peak - before)
        s3.delete_object(Bucket=BUCKET, Key=f"ingest/{size}")
    small, large = peaks
    assert large < 12 * MiB
    assert large <= small * 1.1 + 512 * 1024
