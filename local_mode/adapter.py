"""The local API Gateway: a WSGI app that serves the Lambda handler as API Gateway (REST) would.

For each request it applies API Gateway's front-door rules in API Gateway's order: the 10 MB payload
limit, the route table (undeclared paths and methods get 403 ``Missing Authentication Token``, as
with IAM authorisation), the SigV4 signature (``local_mode.sigv4``: the verified signer becomes
``requestContext.identity``, and nothing else in the request can name a caller), then builds a REST
proxy v1 event, checks Lambda's 6 MB invocation payload limit, calls the handler
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
from local_mode.errors import InvalidProxyResponseError
from local_mode.events import EventOptions, IncomingRequest, build_rest_event, header_value
from local_mode.identity import caller_identity
from local_mode.lambda_context import LocalLambdaContext
from local_mode.responses import HttpResponse, gateway_error, proxy_result_to_http
from local_mode.sigv4 import SignatureRejected, SignedRequest, SigV4Verifier

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from local_mode.principals import Principal

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
    verifier: SigV4Verifier
    """Checks each request's SigV4 signature and says who signed it."""
    routes: tuple[Route, ...] = ROUTES
    """The route table the deployed API is built from."""
    options: EventOptions = field(default_factory=EventOptions)
    """Stage, API id, account and binary media types."""
    unverified_principal: Principal | None = None
    """Benchmark baseline only: skip verification and treat every request as this principal's.

    Set in code by ``benchmarks/sigv4.py`` to measure what verification costs; local mode itself
    never sets it (no setting or variable reaches it).
    """

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

        host = header_value(headers, "Host") or request.host
        query = request.query_string.decode("latin-1")
        principal = self.unverified_principal
        if principal is None:
            url = f"{request.scheme}://{host}{raw_path}" + (f"?{query}" if query else "")
            try:
                principal = self.verifier.verify(SignedRequest(request.method, url, headers, body))
            except SignatureRejected as rejected:
                return gateway_error(rejected.status, rejected.message, error_type=rejected.error_type)
        identity = caller_identity(
            principal.arn,
            access_key=principal.access_key_id,
            source_ip=request.remote_addr or "127.0.0.1",
            user_agent=header_value(headers, "User-Agent"),
        )
        # Like API Gateway, every header reaches the function, the signature's too: the handler takes
        # the caller from the request context only.
        forwarded = [
            *headers,
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
            query_string=query,
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
