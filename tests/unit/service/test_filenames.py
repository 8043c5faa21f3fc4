"""Filenames from Content-Disposition: parsed with the stdlib MIME parser, sanitised, stored as ASCII."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from document_processor.errors import BadRequestError
from document_processor.filenames import (
    MAX_FILENAME_BYTES,
    content_disposition,
    decode_from_metadata,
    encode_for_metadata,
    filename_from_content_disposition,
    sanitise_filename,
)

FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("attachment", None),
        ('attachment; filename="report.pdf"', "report.pdf"),
        ("attachment; filename=report.pdf", "report.pdf"),
        ('inline; filename="a b.txt"', "a b.txt"),
        ("attachment; filename*=UTF-8''na%C3%AFve%20plan.txt", "naïve plan.txt"),
        ("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC.txt", "€.txt"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Users\\\\x\\\\evil.exe"', "evil.exe"),
        ('attachment; filename=".bashrc"', "bashrc"),
        ('attachment; filename="..."', None),
        ('ATTACHMENT; FILENAME="Upper.PDF"', "Upper.PDF"),
        ("attachment; filename*=iso-8859-1''caf%E9.txt", "café.txt"),
        ("attachment; filename*=UTF-8''%E2%82%AC.txt; filename=\"fallback.txt\"", "€.txt"),
    ],
)
def test_filename_is_read_from_the_header(header: str | None, expected: str | None) -> None:
    assert filename_from_content_disposition(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "evil; filename=a.pdf",
        "; filename=a.pdf",
        "attachment-ish; filename=a",
        "attachment; filename*=x-unknown''abc",
        "attachment; filename*=UTF-8''%FF.txt",
    ],
)
def test_malformed_dispositions_are_refused(header: str) -> None:
    with pytest.raises(BadRequestError) as raised:
        filename_from_content_disposition(header)

    assert raised.value.code == "invalid_content_disposition"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b\x1fc\x7f.txt", "abc.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  spaced\t\tout  .pdf ", "spaced out .pdf"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"),
        ("dir/sub\\file.txt", "file.txt"),
        ("line\u2028break", "line break"),
        ("\u200b", None),
    ],
)
def test_sanitise_removes_what_is_unsafe(raw: str, expected: str | None) -> None:
    assert sanitise_filename(raw) == expected


def test_long_names_are_cut_on_a_character_boundary() -> None:
    name = "é" * 300

    cleaned = sanitise_filename(name)

    assert cleaned is not None
    assert len(cleaned.encode()) <= MAX_FILENAME_BYTES
    assert cleaned == "é" * (MAX_FILENAME_BYTES // 2)


@given(st.text(max_size=400))
def test_sanitised_names_are_safe(raw: str) -> None:
    cleaned = sanitise_filename(raw)

    if cleaned is not None:
        assert cleaned
        assert "/" not in cleaned
        assert "\\" not in cleaned
        assert not cleaned.startswith((".", " "))
        assert not cleaned.endswith(" ")
        assert len(cleaned.encode("utf-8")) <= MAX_FILENAME_BYTES
        assert not any(unicodedata.category(char) in FORBIDDEN_CATEGORIES for char in cleaned)
        assert not set('<>:"|?*') & set(cleaned)
        assert all(char == " " or not char.isspace() for char in cleaned)


@given(st.text(max_size=400))
def test_sanitising_is_idempotent(raw: str) -> None:
    cleaned = sanitise_filename(raw)

    assert cleaned is None or sanitise_filename(cleaned) == cleaned


@given(st.text(max_size=300))
def test_metadata_encoding_is_ascii_and_round_trips(raw: str) -> None:
    cleaned = sanitise_filename(raw)
    if cleaned is None:
        return

    encoded = encode_for_metadata(cleaned)

    assert encoded.isascii()
    assert encoded.isprintable()
    assert decode_from_metadata(encoded) == cleaned


def test_undecodable_metadata_is_dropped() -> None:
    assert decode_from_metadata("%FF%FE") is None


@given(st.text(max_size=100))
def test_download_disposition_header_is_ascii_and_quotes_safely(raw: str) -> None:
    header = content_disposition(sanitise_filename(raw))

    assert header.isascii()
    assert "\n" not in header
    assert "\r" not in header
    if header != "attachment":
        quoted = header.split('filename="', 1)[1].split('"; filename*=', 1)[0]
        assert '"' not in quoted
        assert "\\" not in quoted
