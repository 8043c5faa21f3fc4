"""A fault-injecting HTTP proxy in front of the AWS emulator, keyed by S3 or DynamoDB operation.

The service's real clients (real timeouts, real standard-mode retries) talk to this proxy through
``AWS_ENDPOINT_URL_S3`` and ``AWS_ENDPOINT_URL_DYNAMODB`` (moto serves both on one port; a DynamoDB
request is told apart by its ``X-Amz-Target`` header, which names the operation, e.g. ``PutItem``).
The proxy forwards to moto unless a fault is armed for the operation, and
counts every attempt it sees, so tests can assert that retries stay bounded. Faults happen on real
sockets: a throttling or 5xx answer, a stall longer than the client's read timeout, a TCP reset
(``SO_LINGER`` 0) before or after the request reached the service, a reset halfway through a response
body, or a body altered in transit. Error answers are in the protocol of the service asked: S3's XML
``<Error>``, DynamoDB's JSON ``{"__type", "message"}``. A fault may be limited to requests whose body
contains some bytes (``body_contains``): the service's two kinds of DynamoDB ``PutItem`` (a document
item, ``DOC#``; an idempotency record, ``IDEM#``) are faulted apart that way.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"
DEFAULT_STALL_SECONDS = 2.0
"""How long a stalled request hangs (longer than the tests' client read timeout)."""
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "expect", "host", "content-length"})


class Fault(Enum):
    """What the proxy does instead of (or to) a forwarded request."""

    SLOW_DOWN = "503 SlowDown (S3) / 400 ProvisionedThroughputExceededException (DynamoDB)"
    INTERNAL_ERROR = "500 InternalError (S3) / 500 InternalServerError (DynamoDB)"
    THROTTLING = "400 ThrottlingException (DynamoDB) / 503 SlowDown (S3)"
    SERVICE_UNAVAILABLE = "503 ServiceUnavailable"
    VALIDATION = "400 ValidationException (DynamoDB) / 400 InvalidRequest (S3): not retryable"
    READ_TIMEOUT = "no answer within the read timeout"
    CONNECTION_RESET = "TCP reset before forwarding"
    RESET_AFTER_FORWARD = "forwarded to S3, then TCP reset instead of the answer"
    RESET_MID_BODY = "answer headers and half the body, then TCP reset"
    CORRUPT_BODY = "the answer with one body byte flipped (same length, same checksum header)"


_STATUS_FAULTS: dict[Fault, tuple[int, str, str]] = {
    Fault.SLOW_DOWN: (503, "SlowDown", "Please reduce your request rate."),
    Fault.INTERNAL_ERROR: (500, "InternalError", "We encountered an internal error. Please try again."),
    Fault.THROTTLING: (503, "SlowDown", "Please reduce your request rate."),
    Fault.SERVICE_UNAVAILABLE: (503, "ServiceUnavailable", "Service is unable to handle request."),
    Fault.VALIDATION: (400, "InvalidRequest", "The request is not valid."),
}
"""S3's answer (status, XML error code, message) for each status fault."""
_DYNAMODB_STATUS_FAULTS: dict[Fault, tuple[int, str, str]] = {
    Fault.SLOW_DOWN: (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    Fault.INTERNAL_ERROR: (500, "InternalServerError", "Internal server error"),
    Fault.THROTTLING: (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    Fault.SERVICE_UNAVAILABLE: (503, "ServiceUnavailable", "Service unavailable"),
    Fault.VALIDATION: (400, "ValidationException", "One or more parameter values were invalid."),
}
"""DynamoDB's answer (status, ``__type`` error name, message) for each status fault."""
DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810."
_DYNAMODB_ERROR_NAMESPACE = "com.amazonaws.dynamodb.v20120810#"


def dynamodb_operation(target: str | None) -> str | None:
    """The DynamoDB operation an ``X-Amz-Target`` header names (``None``: not a DynamoDB request)."""
    if target is None or not target.startswith(DYNAMODB_TARGET_PREFIX):
        return None
    return target.removeprefix(DYNAMODB_TARGET_PREFIX)


def s3_operation(method: str, path: str, query: str) -> str:
    """The S3 API operation a path-style request is (the ones the service and its tests make)."""
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) >= 2:
        return {
            "PUT": "PutObject",
            "GET": "GetObject",
            "HEAD": "HeadObject",
            "DELETE": "DeleteObject",
        }.get(method, f"{method}Object")
    parameters = parse_qs(query, keep_blank_values=True)
    if method == "GET" and parameters.get("list-type") == ["2"]:
        return "ListObjectsV2"
    if method == "GET" and "versions" in parameters:
        return "ListObjectVersions"
    return f"{method}Bucket"


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None
    """How many more requests get the fault (``None``: all of them)."""
    body_contains: bytes | None
    """Only requests whose body contains these bytes get the fault (``None``: every request)."""


class FaultProxy:
    """The proxy server; use as a context manager, then ``arm`` faults and read ``attempts``."""

    def __init__(self, upstream_url: str, *, stall_seconds: float = DEFAULT_STALL_SECONDS) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or LOOPBACK, parts.port or 80)
        self._stall_seconds = stall_seconds
        self._armed: dict[str, _Armed] = {}
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.attempts: Counter[str] = Counter()
        """Requests seen per operation (every attempt, faulted or not)."""
        self.faulted: Counter[str] = Counter()
        """Requests per operation that got the armed fault (attempts of the faulted call only)."""
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the proxy."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def arm(
        self, operation: str, fault: Fault, *, times: int | None = None, body_contains: bytes | None = None
    ) -> None:
        """Apply ``fault`` to the next ``times`` requests of ``operation`` (every one when ``None``).

        ``body_contains``: only to requests of ``operation`` whose body holds these bytes.
        """
        with self._lock:
            self._armed[operation] = _Armed(fault, times, body_contains)

    def disarm(self) -> None:
        """Forward everything from now on."""
        with self._lock:
            self._armed.clear()

    def reset_counts(self) -> None:
        """Forget the attempts seen so far."""
        with self._lock:
            self.attempts.clear()
            self.faulted.clear()

    def _take(self, operation: str, body: bytes) -> Fault | None:
        with self._lock:
            self.attempts[operation] += 1
            armed = self._armed.get(operation)
            if armed is None or armed.remaining == 0:
                return None
            if armed.body_contains is not None and armed.body_contains not in body:
                return None
            if armed.remaining is not None:
                armed.remaining -= 1
            self.faulted[operation] += 1
            return armed.fault

    def _forward(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Any:
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"{self._upstream[0]}:{self._upstream[1]}")
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response, payload

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the tests assert on ``attempts``."""

            def do_GET(self) -> None:
                self._serve()

            do_PUT = do_HEAD = do_DELETE = do_POST = do_GET

            def _reset(self) -> None:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

            def finish(self) -> None:
                with contextlib.suppress(OSError):  # the socket was reset on purpose
                    super().finish()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                dynamodb = dynamodb_operation(self.headers.get("X-Amz-Target"))
                operation = dynamodb if dynamodb is not None else s3_operation(self.command, path, query)
                fault = proxy._take(operation, body)
                if fault in _STATUS_FAULTS:
                    if dynamodb is not None:
                        self._dynamodb_error(*_DYNAMODB_STATUS_FAULTS[fault])
                    else:
                        self._error(*_STATUS_FAULTS[fault])
                    return
                if fault is Fault.READ_TIMEOUT:
                    proxy._released.wait(proxy._stall_seconds)
                    self._reset()
                    return
                if fault is Fault.CONNECTION_RESET:
                    self._reset()
                    return
                response, payload = proxy._forward(self.command, self.path, list(self.headers.items()), body)
                if fault is Fault.RESET_AFTER_FORWARD:
                    self._reset()
                    return
                self.send_response(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                declared = response.getheader("Content-Length")
                self.send_header(
                    "Content-Length", declared if self.command == "HEAD" and declared else str(len(payload))
                )
                self.end_headers()
                if self.command == "HEAD":
                    return
                if fault is Fault.CORRUPT_BODY and payload:
                    payload = corrupt(payload)
                if fault is Fault.RESET_MID_BODY:
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self._reset()
                    return
                self.wfile.write(payload)

            def _error(self, status: int, code: str, message: str) -> None:
                payload = b""
                if self.command != "HEAD":
                    payload = (
                        '<?xml version="1.0" encoding="UTF-8"?>\n'
                        f"<Error><Code>{code}</Code><Message>{message}</Message>"
                        "<RequestId>FAULTPROXY</RequestId></Error>"
                    ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _dynamodb_error(self, status: int, name: str, message: str) -> None:
                payload = json.dumps({"__type": f"{_DYNAMODB_ERROR_NAMESPACE}{name}", "message": message})
                encoded = payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("x-amzn-RequestId", "FAULTPROXY")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

        return Handler


def corrupt(payload: bytes) -> bytes:
    """``payload`` with one bit flipped, same length.

    In a DynamoDB answer the flipped bit is a digit of the first number attribute (``{"N": "5200"}``, a
    document's size), so the answer stays valid JSON describing a wrong document: only botocore's check of
    DynamoDB's ``x-amz-crc32`` header can tell. Otherwise (an S3 body) it is the first byte.
    """
    marker = re.search(rb'"N":\s*"-?(?=[0-9])', payload)
    index = marker.end() if marker else 0
    return payload[:index] + bytes([payload[index] ^ 0x01]) + payload[index + 1 :]
