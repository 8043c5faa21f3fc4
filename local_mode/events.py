"""Build API Gateway REST proxy (payload v1) events from HTTP requests, field for field.

The shape follows the documented Lambda proxy input format of a REST API with IAM authorisation:
single-value ``headers``/``queryStringParameters`` hold the *last* value of a repeated name and the
``multiValue*`` maps hold all of them; empty maps are ``None``, as API Gateway sends them; path
parameters come from the shared route table, undecoded; the body is base64 with
``isBase64Encoded`` when its ``Content-Type`` is a binary media type, otherwise UTF-8 text.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from document_processor.routes import BINARY_MEDIA_TYPES
from local_mode.media_types import matches_binary_media_type

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from document_processor.routes import RouteMatch

DEFAULT_STAGE = "local"
"""Stage name in ``requestContext.stage`` (deployed stages are named after the environment)."""
DEFAULT_API_ID = "localapi01"
"""Stands in for the REST API id (ten lower-case alphanumerics in AWS)."""
DEFAULT_ACCOUNT_ID = "000000000000"
"""The account that owns the local API (``requestContext.accountId``)."""
DEFAULT_REGION = "us-east-1"
"""The region the local API plays (the project's default region)."""


@dataclass(frozen=True)
class IncomingRequest:
    """An HTTP request as it reached the front door, before API Gateway's processing."""

    method: str
    """HTTP method as sent."""
    raw_path: str
    """Path as sent, still percent-encoded, without the query string."""
    query_string: str = ""
    """Raw query string, without the ``?``."""
    headers: Sequence[tuple[str, str]] = ()
    """Headers in arrival order, with the client's spelling; a repeated name appears repeatedly."""
    body: bytes = b""
    """The request body."""
    source_ip: str = "127.0.0.1"
    """Client address."""
    host: str = "127.0.0.1"
    """Host the client addressed (API Gateway's ``domainName``)."""
    protocol: str = "HTTP/1.1"
    """HTTP version of the request line."""


@dataclass(frozen=True)
class EventOptions:
    """The parts of an event that come from the API's deployment rather than from the request."""

    stage: str = DEFAULT_STAGE
    """Stage name."""
    api_id: str = DEFAULT_API_ID
    """REST API id."""
    account_id: str = DEFAULT_ACCOUNT_ID
    """Account that owns the API."""
    region: str = DEFAULT_REGION
    """Region of the API and the function."""
    base_path: str = ""
    """Path prefix the client addressed before the resource path (``requestContext.path`` keeps it).

    ``/<stage>`` on an ``execute-api`` URL; empty locally, where the API is served at the root like a
    custom domain name mapped to the stage.
    """
    stage_variables: dict[str, str] = field(default_factory=dict)
    """Stage variables (``None`` in the event when empty)."""
    binary_media_types: tuple[str, ...] = BINARY_MEDIA_TYPES
    """The API's ``binaryMediaTypes``."""


def _single_and_multi(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """Group name/value pairs into API Gateway's last-value map and all-values map (``None`` if empty)."""
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    if not multi:
        return None, None
    return {name: values[-1] for name, values in multi.items()}, multi


def _group_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers with names compared case-insensitively, each spelt as it first arrived."""
    spelling: dict[str, str] = {}
    grouped: list[tuple[str, str]] = []
    for name, value in headers:
        canonical = spelling.setdefault(name.lower(), name)
        grouped.append((canonical, value))
    return grouped


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The last value of header ``name`` (case-insensitive), or ``None``."""
    found = None
    for header_name, value in headers:
        if header_name.lower() == name.lower():
            found = value
    return found


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def request_time(epoch_seconds: float) -> str:
    """API Gateway's ``requestTime`` (common log format, UTC), independent of the process locale."""
    t = time.gmtime(epoch_seconds)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


def resource_id(resource_path: str) -> str:
    """A stable stand-in for API Gateway's per-resource id (six lower-case alphanumerics)."""
    return hashlib.sha256(resource_path.encode()).hexdigest()[:6]


def encode_body(
    body: bytes, content_type: str | None, binary_media_types: Sequence[str]
) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded`` for a request body of ``content_type``.

    Text bodies are decoded as UTF-8, replacing invalid bytes: API Gateway passes non-binary payloads
    as text, which is why every media type a client may upload must be a binary media type.
    """
    if not body:
        return None, False
    if matches_binary_media_type(content_type, binary_media_types):
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", errors="replace"), False


def build_rest_event(
    request: IncomingRequest,
    route: RouteMatch,
    identity: dict[str, Any],
    *,
    options: EventOptions | None = None,
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The Lambda proxy event API Gateway (REST) sends for ``request`` on the matched ``route``.

    ``identity`` is ``requestContext.identity`` (see ``local_mode.identity``). ``request_id`` and
    ``now`` (epoch seconds) default to a fresh UUID and the current time; tests pass them to get a
    deterministic event.
    """
    options = options or EventOptions()
    request_id = request_id or str(uuid.uuid4())
    now = time.time() if now is None else now
    headers = _group_headers(request.headers)
    single_headers, multi_headers = _single_and_multi(headers)
    single_query, multi_query = _single_and_multi(parse_qsl(request.query_string, keep_blank_values=True))
    body, is_base64 = encode_body(
        request.body, header_value(headers, "Content-Type"), options.binary_media_types
    )
    return {
        "resource": route.path,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(route.path_parameters) or None,
        "stageVariables": dict(options.stage_variables) or None,
        "requestContext": {
            "accountId": options.account_id,
            "apiId": options.api_id,
            "domainName": request.host,
            "domainPrefix": request.host.split(".", 1)[0],
            "extendedRequestId": base64.b64encode(hashlib.sha256(request_id.encode()).digest()[:12]).decode(
                "ascii"
            ),
            "httpMethod": request.method,
            "identity": identity,
            "path": f"{options.base_path}{request.raw_path}",
            "protocol": request.protocol,
            "requestId": request_id,
            "requestTime": request_time(now),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": resource_id(route.path),
            "resourcePath": route.path,
            "stage": options.stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }
