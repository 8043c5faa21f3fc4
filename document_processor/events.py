"""Normalise API Gateway REST (payload v1) and function-URL (payload v2) events into one request type,
and render a response in the shape the caller's payload version expects.

Everything route handlers need is on ``Request``; nothing downstream looks at the raw event, so the two
payload formats differ in exactly one place.
"""

from __future__ import annotations

import base64
import json
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from document_processor.errors import BadRequestError

PAYLOAD_V1 = "1.0"
PAYLOAD_V2 = "2.0"

JSON_CONTENT_TYPE = "application/json"
BASE_RESPONSE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
"""Sent on every response: documents are private (never cached) and never content-sniffed."""
DOWNLOAD_SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
"""Sent with document bytes, on top of ``attachment``: a browser that renders the bytes anyway (an
old one, a viewer that ignores the disposition, a top-level navigation) runs no script, loads nothing,
gets an opaque origin (``sandbox``) and cannot be framed by another site. ``frame-ancestors`` is not
covered by ``default-src``, so it is named; ``X-Frame-Options`` covers browsers without CSP level 2."""
_ENCODER = json.JSONEncoder(separators=(",", ":"))


class Request(NamedTuple):
    """One HTTP request, independent of the event format it arrived in."""

    payload_version: str
    """``PAYLOAD_V1`` (REST API) or ``PAYLOAD_V2`` (function URL): selects the response format."""
    method: str
    """HTTP method, upper case."""
    path: str
    """Request path relative to the API (no stage), as the client sent it."""
    resource: str | None
    """REST (v1): the resource path template API Gateway matched (``event["resource"]``, ``""`` when
    absent); the handler dispatches on it. ``None`` for function URLs (v2), which route by path."""
    path_parameters: dict[str, str]
    """REST (v1): API Gateway's ``pathParameters`` for ``resource``; empty for v2."""
    public_path: str
    """The path as the client addressed it (with the stage for REST), for ``Location`` headers."""
    headers: dict[str, str]
    """Request headers with lower-case names."""
    query: dict[str, list[str]]
    """Query parameters; every value the client sent, in order."""
    body: str | None
    """The body as the event carries it (base64 text when ``is_base64_encoded``)."""
    is_base64_encoded: bool
    """Whether ``body`` is base64 of the raw bytes."""
    request_id: str
    """API Gateway's / the function URL's request id (what the client sees), else Lambda's."""
    request_context: dict[str, Any]
    """The event's ``requestContext``: identity is read from here and nowhere else."""


class Response(NamedTuple):
    """One HTTP response before it is rendered for a payload version."""

    status: int
    headers: dict[str, str]
    body: bytes | str = ""
    """``str`` is sent as text (JSON); ``bytes`` is sent base64-encoded (binary-safe)."""


def parse_event(event: object, *, fallback_request_id: str) -> Request:
    """Turn a Lambda proxy event into a ``Request``; a shape that is neither v1 nor v2 is a 400."""
    if not isinstance(event, dict):
        raise BadRequestError("The event is not an HTTP proxy event.")
    context = event.get("requestContext")
    context = context if isinstance(context, dict) else {}
    request_id = _text(context.get("requestId")) or fallback_request_id
    if event.get("version") == PAYLOAD_V2:
        http = context.get("http")
        http = http if isinstance(http, dict) else {}
        method, path = _text(http.get("method")), _text(event.get("rawPath"))
        query = parse_qs(_text(event.get("rawQueryString")), keep_blank_values=True)
        public_path = path
        version = PAYLOAD_V2
        resource: str | None = None
        path_parameters: dict[str, str] = {}
    else:
        method, path = _text(event.get("httpMethod")), _text(event.get("path"))
        query = _v1_query(event)
        public_path = _text(context.get("path")) or path
        version = PAYLOAD_V1
        resource = _text(event.get("resource"))
        path_parameters = _v1_path_parameters(event)
    if not method or not path:
        raise BadRequestError("The event has no HTTP method or path.")
    raw_headers = event.get("headers")
    headers = (
        {str(name).lower(): str(value) for name, value in raw_headers.items() if value is not None}
        if isinstance(raw_headers, dict)
        else {}
    )
    body = event.get("body")
    return Request(
        payload_version=version,
        method=method.upper(),
        path=path,
        resource=resource,
        path_parameters=path_parameters,
        public_path=public_path,
        headers=headers,
        query=query,
        body=body if isinstance(body, str) else None,
        is_base64_encoded=event.get("isBase64Encoded") is True,
        request_id=request_id,
        request_context=context,
    )


def render_response(response: Response, payload_version: str) -> dict[str, Any]:
    """The proxy-integration result for ``payload_version``.

    REST (v1) and function URLs (v2) read the same four keys; a v2 result must not be a bare body,
    so both always get the full structure. Binary bodies are base64 with ``isBase64Encoded``; API
    Gateway turns them back into bytes when the API's binary media types match the client's Accept.
    """
    headers = {**BASE_RESPONSE_HEADERS, **response.headers}
    if isinstance(response.body, bytes):
        body, encoded = base64.b64encode(response.body).decode("ascii"), True
    else:
        body, encoded = response.body, False
    rendered: dict[str, Any] = {
        "statusCode": response.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": encoded,
    }
    if payload_version == PAYLOAD_V2:
        rendered["cookies"] = []
    return rendered


def json_response(status: int, payload: object, *, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact encoding; ``ensure_ascii`` keeps every byte 7-bit safe)."""
    return Response(
        status=status,
        headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})},
        body=_ENCODER.encode(payload),
    )


def _v1_query(event: dict[str, Any]) -> dict[str, list[str]]:
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, dict):
        return {str(name): [str(value) for value in values] for name, values in multi.items() if values}
    single = event.get("queryStringParameters")
    if isinstance(single, dict):
        return {str(name): [str(value)] for name, value in single.items() if value is not None}
    return {}


def _v1_path_parameters(event: dict[str, Any]) -> dict[str, str]:
    """``pathParameters`` (``null`` when the resource has none); a value that is not text is a 400."""
    raw = event.get("pathParameters")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in raw.items()
    ):
        raise BadRequestError("The event's path parameters are not a map of strings.")
    return dict(raw)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
