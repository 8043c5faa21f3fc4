"""Body decoding, path ids, and the listing's limit and cursor."""

from __future__ import annotations

import base64
import binascii
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from document_processor.errors import BadRequestError, PayloadTooLargeError
from document_processor.events import parse_event
from document_processor.validation import (
    DEFAULT_PAGE_LIMIT,
    MAX_PAGE_LIMIT,
    decode_base64,
    decode_body,
    decode_cursor,
    encode_cursor,
    list_parameters,
    require_document_id,
)
from tests.unit.service.conftest import make_event

DOCUMENT_IDS = st.from_regex(r"[0-9a-f]{32}", fullmatch=True)


@given(st.binary(min_size=1, max_size=300))
def test_base64_bodies_decode_to_the_original_bytes(data: bytes) -> None:
    request = parse_event(make_event("POST", "/documents", body=data), fallback_request_id="x")

    assert decode_body(request, max_bytes=300) == data


@given(st.binary(min_size=1, max_size=100), st.integers(min_value=1, max_value=100))
def test_size_limit_is_exact(data: bytes, limit: int) -> None:
    request = parse_event(make_event("POST", "/documents", body=data), fallback_request_id="x")

    if len(data) <= limit:
        assert decode_body(request, max_bytes=limit) == data
    else:
        with pytest.raises(PayloadTooLargeError):
            decode_body(request, max_bytes=limit)


def test_padding_alone_is_not_base64() -> None:
    event = make_event("POST", "/documents", body="====")
    event["isBase64Encoded"] = True

    with pytest.raises(BadRequestError) as raised:
        decode_body(parse_event(event, fallback_request_id="x"), max_bytes=10)

    assert raised.value.code == "invalid_base64"


@given(DOCUMENT_IDS)
def test_cursor_round_trips(document_id: str) -> None:
    cursor = encode_cursor(document_id)

    assert decode_cursor(cursor) == document_id
    assert len(cursor) == 22
    assert document_id not in cursor


@given(st.text(max_size=40))
def test_only_canonical_cursors_decode(candidate: str) -> None:
    canonical = re.fullmatch(r"[A-Za-z0-9_-]{21}[AQgw]", candidate, flags=re.ASCII) is not None

    if canonical:
        assert encode_cursor(decode_cursor(candidate)) == candidate
    else:
        with pytest.raises(BadRequestError, match="cursor"):
            decode_cursor(candidate)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, (DEFAULT_PAGE_LIMIT, None)),
        ({"limit": ["1"]}, (1, None)),
        ({"limit": [str(MAX_PAGE_LIMIT)]}, (MAX_PAGE_LIMIT, None)),
        ({"cursor": [encode_cursor("a" * 32)]}, (DEFAULT_PAGE_LIMIT, "a" * 32)),
    ],
)
def test_list_parameters(query: dict[str, list[str]], expected: tuple[int, str | None]) -> None:
    assert list_parameters(query) == expected


@given(st.one_of(st.text(max_size=40), DOCUMENT_IDS))
def test_require_document_id_accepts_only_canonical_ids(candidate: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", candidate, flags=re.ASCII):
        assert require_document_id(candidate) == candidate
    else:
        with pytest.raises(BadRequestError, match="document id"):
            require_document_id(candidate)


def test_require_document_id_refuses_a_missing_parameter() -> None:
    with pytest.raises(BadRequestError):
        require_document_id(None)


def test_unpadded_base64_is_refused() -> None:
    event = make_event("POST", "/documents", body=base64.b64encode(b"abcd").decode().rstrip("="))
    event["isBase64Encoded"] = True

    with pytest.raises(BadRequestError) as raised:
        decode_body(parse_event(event, fallback_request_id="x"), max_bytes=10)

    assert raised.value.code == "invalid_base64"


def _strict(text: str) -> bytes | None:
    """The reference verdict: CPython's strict decoder plus the padding rules of RFC 4648 (a multiple of
    4 characters, at most two ``=``; strict mode alone lets a complete quad be followed by ``====``)
    and canonical encoding (zero padding bits: the bytes re-encode to exactly ``text``)."""
    if len(text) % 4 or len(text) - len(text.rstrip("=")) > 2:
        return None
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data).decode("ascii") == text else None


BASE64_ISH = st.text(
    alphabet=st.sampled_from([*"ABCQRSgwxyz019+/=", "-", "_", " ", "\n", "é", "\x00"]), max_size=24
)


@given(st.one_of(BASE64_ISH, st.binary(max_size=30).map(lambda data: base64.b64encode(data).decode())))
def test_fast_base64_decoding_agrees_with_the_strict_decoder(text: str) -> None:
    expected = _strict(text)

    if expected is None:
        with pytest.raises(BadRequestError, match="base64"):
            decode_base64(text)
    else:
        assert decode_base64(text) == expected


@pytest.mark.parametrize("base64_body", [True, False])
def test_decoded_size_is_checked_exactly_when_the_base64_bound_cannot_tell(base64_body: bool) -> None:
    # 32 bytes are 44 base64 characters, within the 4 * ceil(31 / 3) = 44 pre-check for a 31-byte limit.
    event = make_event("POST", "/documents", body=b"x" * 32, base64_body=base64_body)

    with pytest.raises(PayloadTooLargeError):
        decode_body(parse_event(event, fallback_request_id="x"), max_bytes=31)
