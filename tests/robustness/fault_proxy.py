"""A fault-injecting HTTP proxy in front of the S3 emulator, keyed by S3 operation.

The service's real client (real timeouts, real standard-mode retries) talks to this proxy through
``AWS_ENDPOINT_URL_S3``; the proxy forwards to moto unless a fault is armed for the operation, and
counts every attempt it sees, so tests can assert that retries stay bounded. Faults happen on real
sockets: a throttling or 5xx answer, a stall longer than the client's read timeout, a TCP reset
(``SO_LINGER`` 0) before or after the request reached S3, or a reset halfway through a response body.
"""

from __future__ import annotations

import contextlib
import http.client
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

    SLOW_DOWN = "503 SlowDown"
    INTERNAL_ERROR = "500 InternalError"
    READ_TIMEOUT = "no answer within the read timeout"
    CONNECTION_RESET = "TCP reset before forwarding"
    RESET_AFTER_FORWARD = "forwarded to S3, then TCP reset instead of the answer"
    RESET_MID_BODY = "answer headers and half the body, then TCP reset"
    CORRUPT_BODY = "the answer with one body byte flipped (same length, same checksum header)"


_STATUS_FAULTS: dict[Fault, tuple[int, str, str]] = {
    Fault.SLOW_DOWN: (503, "SlowDown", "Please reduce your request rate."),
    Fault.INTERNAL_ERROR: (500, "InternalError", "We encountered an internal error. Please try again."),
}


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
        """Requests seen per S3 operation (every attempt, faulted or not)."""
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

    def arm(self, operation: str, fault: Fault, *, times: int | None = None) -> None:
        """Apply ``fault`` to the next ``times`` requests of ``operation`` (every one when ``None``)."""
        with self._lock:
            self._armed[operation] = _Armed(fault, times)

    def disarm(self) -> None:
        """Forward everything from now on."""
        with self._lock:
            self._armed.clear()

    def reset_counts(self) -> None:
        """Forget the attempts seen so far."""
        with self._lock:
            self.attempts.clear()

    def _take(self, operation: str) -> Fault | None:
        with self._lock:
            self.attempts[operation] += 1
            armed = self._armed.get(operation)
            if armed is None or armed.remaining == 0:
                return None
            if armed.remaining is not None:
                armed.remaining -= 1
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
                fault = proxy._take(s3_operation(self.command, path, query))
                if fault in _STATUS_FAULTS:
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
                    payload = bytes([payload[0] ^ 0x01]) + payload[1:]
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

        return Handler
