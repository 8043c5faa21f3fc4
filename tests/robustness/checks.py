"""Assertions shared by the robustness runners: the error shape, and what a sanitised name may hold."""

from __future__ import annotations

import json
import re
from typing import Any

from document_processor.filenames import MAX_FILENAME_BYTES

_SAFE_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")


def assert_error_body(body: str, code: str, *, request_id: str | None = None) -> None:
    """The service's one error shape with ``code``, and nothing internal in it."""
    payload: Any = json.loads(body)
    assert set(payload) == {"error"}, body
    error = payload["error"]
    assert set(error) == {"code", "message", "requestId"}, body
    assert error["code"] == code, body
    assert isinstance(error["message"], str)
    assert error["message"]
    if request_id is not None:
        assert error["requestId"] == request_id
    for leak in ("documents/", "Traceback", "botocore", "robustness-"):
        assert leak not in body, f"{leak!r} leaked into {body!r}"


def assert_safe_filename(name: str | None) -> None:
    """Whatever the client sent, a stored name has no path, no control characters, bounded length."""
    if name is None:
        return
    assert "/" not in name
    assert "\\" not in name
    assert not any(ord(char) < 0x20 or ord(char) == 0x7F for char in name), name
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert not name.startswith(".")


def assert_safe_header_value(value: str) -> None:
    """A response header value that cannot split a response (printable ASCII only)."""
    assert _SAFE_HEADER_VALUE.fullmatch(value), repr(value)
