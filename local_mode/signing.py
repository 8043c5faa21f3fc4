"""The client side: sign requests with botocore's SigV4 signer, as the AWS CLI, SDKs and curl do.

The project's own HTTP clients (the end-to-end suite, the robustness tests, the benchmarks) sign
every request this way, against local mode and a deployed stack alike; nothing here is specific to
local mode except that it is the other half of ``local_mode.sigv4``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials

from local_mode.sigv4 import SERVICE

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    from local_mode.principals import Principal

SIGNATURE_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
"""The headers a SigV4 signature adds to a request."""
_UNSIGNED_HEADERS = frozenset({"connection"})
"""Hop-by-hop headers a proxy may change; not signed (botocore leaves out ``user-agent`` etc. itself)."""


def credentials_of(principal: Principal) -> ReadOnlyCredentials:
    """botocore credentials for a local principal."""
    return ReadOnlyCredentials(principal.access_key_id, principal.secret_access_key, principal.session_token)


def sign(
    credentials: ReadOnlyCredentials,
    region: str,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    at: float | None = None,
) -> dict[str, str]:
    """The signature headers for one request, computed by botocore (``at``: signing time, default now).

    ``headers`` may repeat a name (as pairs): each value is signed, as it goes on the wire.
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in pairs:
        if name.lower() not in _UNSIGNED_HEADERS:
            request.headers[name] = value  # botocore's HTTPHeaders adds: a repeated name keeps every value
    signer: Any = SigV4Auth(credentials, SERVICE, region)  # Any: the typeshed stubs omit the steps below
    if at is None:
        signer.add_auth(request)
    else:
        # add_auth's own steps, with botocore's clock replaced by ``at`` (for clock-skew tests).
        request.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(at))
        signer._modify_request_before_signing(request)
        string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
        signer._inject_signature_to_request(request, signer.signature(string_to_sign, request))
    return {name: request.headers[name] for name in SIGNATURE_HEADERS if name in request.headers}


class BotocoreSigV4(httpx.Auth):
    """Signs each httpx request with botocore's SigV4 signer (service ``execute-api``)."""

    requires_request_body = True

    def __init__(self, credentials: Credentials | ReadOnlyCredentials, region: str) -> None:
        self._credentials = credentials
        self._region = region

    def headers_for(
        self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> dict[str, str]:
        """The signature headers for a request sent some other way (a raw socket, for instance)."""
        frozen = (
            self._credentials.get_frozen_credentials()
            if isinstance(self._credentials, Credentials)
            else self._credentials
        )
        return sign(frozen, self._region, method=method, url=url, headers=headers, body=body)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        signature = self.headers_for(
            request.method, str(request.url), request.headers.multi_items(), request.content
        )
        for name in SIGNATURE_HEADERS:
            request.headers.pop(name, None)
        request.headers.update(signature)
        yield request
