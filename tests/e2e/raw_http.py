"""Requests sent byte for byte, for what an HTTP library would normalise or refuse to send.

httpx (like every careful client) removes ``..`` segments from paths and always sends a truthful
``Content-Length``; an attacker's client does neither. These helpers speak HTTP/1.1 over a plain
socket to local mode (loopback, no TLS, no signing), so they are used against local mode only;
``send_and_hang_up`` also speaks TLS, for the lost-answer tests against a deployed stack.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_SECONDS = 30.0
REQUEST_ID_HEADER = "x-amzn-RequestId"


@dataclass(frozen=True)
class RawResponse:
    """What came back: status, headers (names as sent) and body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (case-insensitive), or ``None``."""
        found = None
        for header_name, value in self.headers:
            if header_name.lower() == name.lower():
                found = value
        return found

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def send_raw(
    base_url: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    tail: bytes,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> RawResponse:
    """Send ``method target`` with ``headers``, then ``tail`` verbatim (more headers, blank line, body).

    The connection is closed after one response (``Connection: close``), so bytes the server did not
    read as this request's body are never taken for a second request.
    """
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(head + tail)
        response = http.client.HTTPResponse(connection, method=method)
        response.begin()
        body = response.read()
        return RawResponse(response.status, list(response.getheaders()), body)


def send_request(
    base_url: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> RawResponse:
    """A well-formed request (truthful ``Content-Length``) to an exact, un-normalised ``target``."""
    tail = f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body
    return send_raw(base_url, method, target, headers, tail, timeout=timeout)


def send_and_hang_up(url: str, method: str, headers: list[tuple[str, str]], body: bytes) -> None:
    """Send one whole request to ``url`` (http or https) and close the connection without reading a byte.

    What a client whose answer was lost looks like to the server: the request arrived in full, nobody
    is there for the response. Works against local mode (plain HTTP) and a deployed stack (TLS); the
    caller signs ``headers`` for ``url`` with the ``Host`` this sends (the URL's host and port as given).
    """
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    raw = socket.create_connection((host, port), timeout=DEFAULT_TIMEOUT_SECONDS)
    connection = (
        ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        if parts.scheme == "https"
        else raw
    )
    with connection:
        connection.sendall(head + body)
