"""Turn a Lambda proxy result into an HTTP response, with API Gateway's rules.

API Gateway merges ``headers`` and ``multiValueHeaders`` (for a name in both, only the multi-value
entries count), defaults ``Content-Type`` to ``application/json``, and decodes a base64 body only when
the request's first ``Accept`` type or the response's ``Content-Type`` is a binary media type;
otherwise the client gets the base64 text. A result it cannot interpret becomes a 502.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from document_processor.routes import BINARY_MEDIA_TYPES
from local_mode.errors import InvalidProxyResponseError
from local_mode.media_types import first_accept_type, matches_binary_media_type

DEFAULT_CONTENT_TYPE = "application/json"
MIN_STATUS = 100
MAX_STATUS = 599


@dataclass(frozen=True)
class HttpResponse:
    """A response ready for the wire."""

    status: int
    """HTTP status code."""
    headers: list[tuple[str, str]]
    """Header name/value pairs; a name may repeat."""
    body: bytes
    """Body bytes."""


def gateway_error(status: int, message: str, *, error_type: str | None = None) -> HttpResponse:
    """An error API Gateway itself answers with (``{"message": ...}``), before or after Lambda."""
    headers = [("Content-Type", DEFAULT_CONTENT_TYPE)]
    if error_type is not None:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, json.dumps({"message": message}, separators=(",", ":")).encode())


def _string_map(value: Any, field_name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidProxyResponseError(f"{field_name} must map header names to strings, got {value!r}")
    return dict(value)


def _list_map(value: Any, field_name: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str)
        and isinstance(v, Sequence)
        and not isinstance(v, str)
        and all(isinstance(item, str) for item in v)
        for k, v in value.items()
    ):
        raise InvalidProxyResponseError(
            f"{field_name} must map header names to lists of strings, got {value!r}"
        )
    return {k: list(v) for k, v in value.items()}


def proxy_result_to_http(
    result: Any,
    *,
    accept: str | None,
    binary_media_types: Sequence[str] = BINARY_MEDIA_TYPES,
) -> HttpResponse:
    """Convert the handler's return value; raises ``InvalidProxyResponseError`` when it is malformed."""
    if not isinstance(result, Mapping):
        raise InvalidProxyResponseError(f"the handler must return a dict, got {type(result).__name__}")
    status = result.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not MIN_STATUS <= status <= MAX_STATUS:
        raise InvalidProxyResponseError(f"statusCode must be an integer HTTP status, got {status!r}")
    single = _string_map(result.get("headers"), "headers")
    multi = _list_map(result.get("multiValueHeaders"), "multiValueHeaders")
    multi_names = {name.lower() for name in multi}
    headers = [(name, value) for name, value in single.items() if name.lower() not in multi_names]
    headers += [(name, value) for name, values in multi.items() for value in values]
    content_type = next((value for name, value in headers if name.lower() == "content-type"), None)
    if content_type is None:
        content_type = DEFAULT_CONTENT_TYPE
        headers.append(("Content-Type", content_type))

    body = result.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise InvalidProxyResponseError(f"body must be a string, got {type(body).__name__}")
    is_base64 = result.get("isBase64Encoded", False)
    if not isinstance(is_base64, bool):
        raise InvalidProxyResponseError(f"isBase64Encoded must be a boolean, got {is_base64!r}")
    if not is_base64:
        return HttpResponse(status, headers, body.encode("utf-8"))
    wants_binary = matches_binary_media_type(first_accept_type(accept), binary_media_types) or (
        matches_binary_media_type(content_type, binary_media_types)
    )
    if not wants_binary:
        return HttpResponse(status, headers, body.encode("ascii", errors="replace"))
    try:
        return HttpResponse(status, headers, base64.b64decode(body, validate=True))
    except binascii.Error as error:
        raise InvalidProxyResponseError(f"isBase64Encoded is true but body is not base64: {error}") from error
