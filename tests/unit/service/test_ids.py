"""Document ids: generated ids are canonical and time-ordered; validation accepts nothing else."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from document_processor.ids import created_at, is_valid_document_id, new_document_id

CANONICAL = re.compile(r"[0-9a-f]{32}")


def test_new_ids_are_canonical_and_distinct() -> None:
    ids = {new_document_id() for _ in range(1000)}

    assert len(ids) == 1000
    assert all(CANONICAL.fullmatch(document_id) for document_id in ids)
    assert all(is_valid_document_id(document_id) for document_id in ids)


def test_ids_sort_in_creation_order() -> None:
    earlier = new_document_id(now_ms=1_700_000_000_000)
    later = new_document_id(now_ms=1_700_000_000_001)

    assert earlier < later


def test_created_at_reads_the_embedded_millisecond_timestamp() -> None:
    document_id = new_document_id(now_ms=1_795_669_200_123)

    assert created_at(document_id) == "2026-11-26T05:00:00.123Z"


@given(st.integers(min_value=0, max_value=2**48 - 1))
def test_any_timestamp_yields_a_valid_id(millis: int) -> None:
    document_id = new_document_id(now_ms=millis)

    assert is_valid_document_id(document_id)
    assert int(document_id[:12], 16) == millis


@given(st.text(max_size=40))
def test_validation_accepts_exactly_32_lowercase_ascii_hex_digits(candidate: str) -> None:
    assert is_valid_document_id(candidate) == (
        CANONICAL.fullmatch(candidate) is not None and candidate.isascii()
    )


@given(st.from_regex(r"[0-9a-f]{32}", fullmatch=True), st.sampled_from(["/", "..", "%2f", "\n", " ", "\x00"]))
def test_any_path_syntax_spliced_into_an_id_is_refused(valid: str, injected: str) -> None:
    assert not is_valid_document_id(valid[:16] + injected + valid[16:])
    assert not is_valid_document_id(valid + injected)


@given(st.one_of(st.none(), st.integers(), st.binary(min_size=32, max_size=32), st.lists(st.text())))
def test_non_strings_are_never_ids(candidate: object) -> None:
    assert not is_valid_document_id(candidate)
