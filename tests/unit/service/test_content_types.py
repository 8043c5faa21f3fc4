"""Declared Content-Type versus actual content: allow-list, magic bytes, UTF-8 text."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from document_processor.content_types import (
    SIGNATURES,
    STORED_TEXT_CONTENT_TYPE,
    media_type_of,
    parse_content_type,
    sniff,
    verify_content,
)
from document_processor.errors import UnsupportedMediaTypeError
from document_processor.settings import SUPPORTED_CONTENT_TYPES
from tests.unit.service.samples import make_jpeg, make_pdf, make_png

ALL = frozenset(SUPPORTED_CONTENT_TYPES)


@pytest.mark.parametrize(
    ("header", "media_type", "parameters"),
    [
        ("application/pdf", "application/pdf", {}),
        ("Image/PNG", "image/png", {}),
        ("text/plain; charset=UTF-8", "text/plain", {"charset": "UTF-8"}),
        ('text/plain;charset="utf-8"', "text/plain", {"charset": "utf-8"}),
        ("text/plain ; Charset = us-ascii ", "text/plain", {"charset": "us-ascii"}),
        ("application/pdf;", "application/pdf", {}),
        ("text/plain; ;charset=utf-8; ", "text/plain", {"charset": "utf-8"}),
    ],
)
def test_content_type_header_is_parsed(header: str, media_type: str, parameters: dict[str, str]) -> None:
    assert parse_content_type(header) == (media_type, parameters)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_content_type"),
        ("   ", "missing_content_type"),
        ("pdf", "unsupported_content_type"),
        ("application/pdf; charset", "unsupported_content_type"),
        ("application /pdf", "unsupported_content_type"),
        ('text/plain; charset=utf-8; x="unterminated', "unsupported_content_type"),
    ],
)
def test_bad_content_type_headers_are_415(header: str | None, code: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as raised:
        parse_content_type(header)

    assert raised.value.code == code


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make_pdf(1), "application/pdf"),
        (make_png(1, 1), "image/png"),
        (make_jpeg(8, 8), "image/jpeg"),
        (b"plain text", None),
        (b"", None),
        (b"%PDF", None),
    ],
)
def test_sniff_recognises_real_documents(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


@given(st.sampled_from(SIGNATURES), st.binary(max_size=64))
def test_a_signature_prefix_always_determines_the_type(signature: tuple[bytes, str], tail: bytes) -> None:
    magic, media_type = signature

    assert sniff(magic + tail) == media_type


@given(st.binary(max_size=64))
def test_bytes_without_a_signature_are_never_a_binary_type(data: bytes) -> None:
    assume(not any(data.startswith(magic) for magic, _ in SIGNATURES))

    assert sniff(data) is None
    for declared in ("application/pdf", "image/png", "image/jpeg"):
        with pytest.raises(UnsupportedMediaTypeError):
            verify_content(declared, {}, data, allowed=ALL)


@given(st.text(min_size=1, max_size=200).filter(lambda text: "\x00" not in text))
def test_any_utf8_text_without_nul_is_accepted_as_text(text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")
    assume(sniff(data) is None)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assume(False)

    assert verify_content("text/plain", {}, data, allowed=ALL) == STORED_TEXT_CONTENT_TYPE


@given(st.binary(min_size=1, max_size=200))
def test_text_verdict_matches_utf8_validity(data: bytes) -> None:
    assume(sniff(data) is None)
    try:
        data.decode("utf-8")
        valid = b"\x00" not in data
    except UnicodeDecodeError:
        valid = False

    if valid:
        assert verify_content("text/plain", {}, data, allowed=ALL) == STORED_TEXT_CONTENT_TYPE
    else:
        with pytest.raises(UnsupportedMediaTypeError) as raised:
            verify_content("text/plain", {}, data, allowed=ALL)
        assert raised.value.code == "invalid_text_encoding"


def test_declared_type_must_be_allowed_even_when_content_matches() -> None:
    with pytest.raises(UnsupportedMediaTypeError) as raised:
        verify_content("image/png", {}, make_png(1, 1), allowed=frozenset({"application/pdf"}))

    assert raised.value.code == "unsupported_content_type"


def test_media_type_of_drops_parameters() -> None:
    assert media_type_of("text/plain; charset=utf-8") == "text/plain"
    assert media_type_of("Application/PDF") == "application/pdf"
