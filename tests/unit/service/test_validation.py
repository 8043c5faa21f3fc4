"""Body decoding, path ids, the listing's parameters and cursor, and the Idempotency-Key header."""

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
    cursor_binding,
    decode_base64,
    decode_body,
    decode_cursor,
    encode_cursor,
    idempotency_key,
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


OWNER = "b" * 64
BINDING = cursor_binding(OWNER, "newest", None, None)


@given(DOCUMENT_IDS, st.text(max_size=80))
def test_cursor_round_trips(document_id: str, binding: str) -> None:
    cursor = encode_cursor(document_id, binding)

    assert decode_cursor(cursor, binding) == document_id
    assert len(cursor) == 38
    assert document_id not in cursor


@given(st.text(max_size=48))
def test_text_that_is_not_a_cursor_is_refused(candidate: str) -> None:
    canonical = re.fullmatch(r"[A-Za-z0-9_-]{37}[AQgw]", candidate, flags=re.ASCII) is not None
    message = "altered or belongs to another listing" if canonical else "cursor is not valid"

    with pytest.raises(BadRequestError, match=message):
        decode_cursor(candidate, BINDING)


@given(st.from_regex(r"[A-Za-z0-9_-]{37}[AQgw]", fullmatch=True))
def test_well_formed_but_unissued_cursors_are_refused(candidate: str) -> None:
    with pytest.raises(BadRequestError, match="altered or belongs to another listing"):
        decode_cursor(candidate, BINDING)


@given(DOCUMENT_IDS, st.integers(min_value=0, max_value=37), st.sampled_from("AQgw-_09az"))
def test_any_altered_character_is_refused(document_id: str, position: int, replacement: str) -> None:
    cursor = encode_cursor(document_id, BINDING)
    altered = cursor[:position] + replacement + cursor[position + 1 :]
    if altered == cursor:
        return

    with pytest.raises(BadRequestError) as raised:
        decode_cursor(altered, BINDING)

    assert raised.value.code == "invalid_cursor"


@pytest.mark.parametrize(
    ("owner", "order", "content_type", "name_prefix"),
    [
        ("c" * 64, "newest", None, None),
        (OWNER, "oldest", None, None),
        (OWNER, "newest", "text/plain", None),
        (OWNER, "newest", None, "q"),
    ],
)
def test_a_cursor_of_another_listing_is_refused(
    owner: str, order: str, content_type: str | None, name_prefix: str | None
) -> None:
    cursor = encode_cursor("a" * 32, cursor_binding(owner, order, content_type, name_prefix))
    with pytest.raises(BadRequestError, match="belongs to another listing") as raised:
        decode_cursor(cursor, BINDING)

    assert raised.value.code == "invalid_cursor"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, (DEFAULT_PAGE_LIMIT, True, None, None, None)),
        ({"limit": ["1"]}, (1, True, None, None, None)),
        ({"limit": [str(MAX_PAGE_LIMIT)]}, (MAX_PAGE_LIMIT, True, None, None, None)),
        ({"cursor": [encode_cursor("a" * 32, BINDING)]}, (DEFAULT_PAGE_LIMIT, True, None, None, "a" * 32)),
        ({"order": ["oldest"]}, (DEFAULT_PAGE_LIMIT, False, None, None, None)),
        ({"contentType": ["TEXT/Plain"]}, (DEFAULT_PAGE_LIMIT, True, "text/plain", None, None)),
        ({"q": ["Ärger STRASSE"]}, (DEFAULT_PAGE_LIMIT, True, None, "ärger strasse", None)),
        ({"q": ["Straße"]}, (DEFAULT_PAGE_LIMIT, True, None, "strasse", None)),
    ],
)
def test_list_parameters(
    query: dict[str, list[str]], expected: tuple[int, bool, str | None, str | None, str | None]
) -> None:
    listing = list_parameters(query, owner_key=OWNER)

    assert (
        listing.limit,
        listing.newest_first,
        listing.content_type,
        listing.name_prefix,
        listing.after,
    ) == (expected)


@pytest.mark.parametrize(
    "query",
    [
        {"order": ["Newest"]},
        {"order": ["latest"]},
        {"order": [""]},
        {"contentType": ["image/gif"]},
        {"contentType": ["text/plain; charset=utf-8"]},
        {"contentType": [""]},
        {"contentType": ["*/*"]},
        {"q": [""]},
        {"q": ["x" * 256]},
        {"q": ["tab\there"]},
        {"q": ["nul\x00"]},
        {"q": ["del\x7f"]},
        {"q": ["c1\x85"]},
        {"q": ["\ud800"]},
        {"offset": ["3"]},
        {"Q": ["x"]},
        {"q": ["a", "b"]},
    ],
)
def test_bad_listing_parameters_are_invalid_query_parameter(query: dict[str, list[str]]) -> None:
    with pytest.raises(BadRequestError) as raised:
        list_parameters(query, owner_key=OWNER)

    assert raised.value.code == "invalid_query_parameter"


def test_a_bad_content_type_names_the_allowed_ones() -> None:
    with pytest.raises(BadRequestError) as raised:
        list_parameters({"contentType": ["image/gif"]}, owner_key=OWNER)

    assert raised.value.message == (
        "contentType must be one of application/pdf, image/jpeg, image/png, text/plain."
    )


def test_a_q_of_255_characters_is_accepted() -> None:
    assert list_parameters({"q": ["é" * 255]}, owner_key=OWNER).name_prefix == "é" * 255


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=255))
def test_visible_ascii_idempotency_keys_are_accepted(key: str) -> None:
    assert idempotency_key(key) == key


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "tab\t", "caf\u00e9", "\x7f", "line\n"])
def test_other_idempotency_keys_are_refused(key: str) -> None:
    with pytest.raises(BadRequestError) as raised:
        idempotency_key(key)

    assert raised.value.code == "invalid_idempotency_key"


def test_no_idempotency_key_is_none() -> None:
    assert idempotency_key(None) is None


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
