"""The local API Gateway: a WSGI app that serves the Lambda handler as API Gateway (REST) would.

For each request it applies API Gateway's front-door rules in API Gateway's order: the 10 MB payload
limit, the route table (undeclared paths and methods get 403 ``Missing Authentication Token``, as
with IAM authorisation), the caller (the local-only ``X-Local-Caller`` header standing in for SigV4),
then builds a REST proxy v1 event, checks Lambda's 6 MB invocation payload limit, calls the handler
and converts its result back to HTTP. A handler exception or malformed result becomes API Gateway's
502, and the reason is logged to stderr so it is not lost.
"""

from __future__ import annotations

import json
import sys
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from document_processor.routes import ROUTES, Route, match_path
from local_mode.errors import InvalidCallerError, InvalidProxyResponseError
from local_mode.events import EventOptions, IncomingRequest, build_rest_event, header_value
from local_mode.identity import DEFAULT_LOCAL_CALLER, LOCAL_CALLER_HEADER, caller_identity
from local_mode.lambda_context import LocalLambdaContext
from local_mode.responses import HttpResponse, gateway_error, proxy_result_to_http

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

LambdaHandler = Callable[[dict[str, Any], Any], Any]

API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's hard request payload limit (10 MB)."""
LAMBDA_MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024
"""Lambda's synchronous invocation payload limit (6 MB), which the event JSON must fit in."""
RAW_HEADERS_ENVIRON_KEY = "local_mode.raw_headers"
"""Environ key under which the local server passes headers with their spelling and repeats intact."""


def _environ_headers(environ: WSGIEnvironment) -> list[tuple[str, str]]:
    """Request headers: exact ones from the local server if present, else rebuilt from the environ."""
    raw = environ.get(RAW_HEADERS_ENVIRON_KEY)
    if raw is not None:
        return list(raw)
    return list(Request(environ).headers.items())


@dataclass
class ApiGatewayAdapter:
    """WSGI application: HTTP in, REST proxy v1 event to ``handler``, HTTP out."""

    handler: LambdaHandler
    """``lambda_handler(event, context)``."""
    routes: tuple[Route, ...] = ROUTES
    """The route table the deployed API is built from."""
    options: EventOptions = field(default_factory=EventOptions)
    """Stage, API id, account and binary media types."""
    default_caller: str = DEFAULT_LOCAL_CALLER
    """Principal ARN used when the request has no ``X-Local-Caller`` header."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        response = self.handle(request, _environ_headers(environ), request_id=request_id)
        wsgi_response = Response(response.body, status=response.status)
        wsgi_response.headers.clear()
        for name, value in response.headers:
            wsgi_response.headers.add(name, value)
        wsgi_response.headers["x-amzn-RequestId"] = request_id
        return wsgi_response(environ, start_response)

    def handle(self, request: Request, headers: list[tuple[str, str]], *, request_id: str) -> HttpResponse:
        """Apply API Gateway's rules to one request and return the response to send."""
        length = request.content_length
        if length is not None and length > API_GATEWAY_MAX_PAYLOAD_BYTES:
            return _content_length_exceeded()
        body = request.stream.read(API_GATEWAY_MAX_PAYLOAD_BYTES + 1)
        if len(body) > API_GATEWAY_MAX_PAYLOAD_BYTES:
            return _content_length_exceeded()

        raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        raw_path = raw_uri.split("?", 1)[0] if raw_uri else request.path
        route = match_path(raw_path, self.routes)
        if route is None or request.method not in route.routes_by_method:
            return gateway_error(
                403, "Missing Authentication Token", error_type="MissingAuthenticationTokenException"
            )

        caller = header_value(headers, LOCAL_CALLER_HEADER) or self.default_caller
        try:
            identity = caller_identity(
                caller,
                source_ip=request.remote_addr or "127.0.0.1",
                user_agent=header_value(headers, "User-Agent"),
            )
        except InvalidCallerError as error:
            return gateway_error(403, str(error), error_type="IncompleteSignatureException")
        forwarded = [(name, value) for name, value in headers if name.lower() != LOCAL_CALLER_HEADER.lower()]
        forwarded += [
            (
                "X-Amzn-Trace-Id",
                f"Root=1-{request_id.replace('-', '')[:8]}-{request_id.replace('-', '')[8:32]}",
            ),
            ("X-Forwarded-For", request.remote_addr or "127.0.0.1"),
            ("X-Forwarded-Port", str(request.environ.get("SERVER_PORT", "80"))),
            ("X-Forwarded-Proto", request.scheme),
        ]
        incoming = IncomingRequest(
            method=request.method,
            raw_path=raw_path,
            query_string=request.query_string.decode("latin-1"),
            headers=forwarded,
            body=body,
            source_ip=request.remote_addr or "127.0.0.1",
            host=request.host,
            protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        event = build_rest_event(incoming, route, identity, options=self.options, request_id=request_id)
        if len(json.dumps(event).encode()) > LAMBDA_MAX_INVOKE_PAYLOAD_BYTES:
            return gateway_error(413, "Request Too Long")
        return self._invoke(event, accept=header_value(headers, "Accept"))

    def _invoke(self, event: dict[str, Any], *, accept: str | None) -> HttpResponse:
        context = LocalLambdaContext(region=self.options.region, account_id=self.options.account_id)
        try:
            result = self.handler(event, context)
            return proxy_result_to_http(
                result, accept=accept, binary_media_types=self.options.binary_media_types
            )
        except InvalidProxyResponseError as error:
            print(f"local_mode: malformed Lambda proxy response: {error}", file=sys.stderr)
        except Exception:
            print("local_mode: the handler raised (API Gateway answers 502):", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
        return gateway_error(502, "Internal server error")


def _content_length_exceeded() -> HttpResponse:
    """API Gateway's own answer to a payload over 10 MB (plain text, not JSON)."""
    return HttpResponse(
        413,
        [("Content-Type", "text/plain; charset=utf-8")],
        f"HTTP content length exceeded {API_GATEWAY_MAX_PAYLOAD_BYTES} bytes.".encode(),
    )
