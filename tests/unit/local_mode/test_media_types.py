"""Binary media type matching follows API Gateway's wildcard rules."""

from __future__ import annotations

import pytest

from local_mode.media_types import first_accept_type, matches_binary_media_type


@pytest.mark.parametrize(
    ("media_type", "patterns", "expected"),
    [
        ("application/pdf", ("application/pdf",), True),
        ("Application/PDF; charset=binary", ("application/pdf",), True),
        ("image/png", ("image/*",), True),
        ("text/plain", ("*/*",), True),
        ("text/plain", ("application/pdf", "image/*"), False),
        ("*/*", ("application/pdf",), False),
        ("garbage", ("*/*",), False),
        (None, ("*/*",), False),
        ("", ("*/*",), False),
    ],
)
def test_matches_binary_media_type(media_type: str | None, patterns: tuple[str, ...], expected: bool) -> None:
    assert matches_binary_media_type(media_type, patterns) is expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("image/png, */*;q=0.8", "image/png"), ("*/*", "*/*"), (None, None), ("", None), (" , x", None)],
)
def test_first_accept_type(accept: str | None, expected: str | None) -> None:
    assert first_accept_type(accept) == expected
