"""Signed requests to the API with bounded retries, and the retry policy itself.

Only what may safely be sent again is retried, and only on answers that say "try again": 429, 5xx and
connection errors (refused, reset, timed out). A 4xx other than 429 is the caller's problem and is
raised at once. ``POST /documents`` and ``POST /uploads`` are retried only because the SDK sends an
``Idempotency-Key`` with them (the service then answers a replay with the first result).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from docapi.errors import TransportError, error_from_response

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Mapping

    from botocore.credentials import Credentials

SERVICE = "execute-api"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""API calls: 30 s (API Gateway's own limit is 29 s), 10 s to connect."""
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_BASE_DELAY = 0.25
DEFAULT_MAX_DELAY = 8.0
SIGNED_HEADERS = frozenset({"content-type", "content-disposition", "idempotency-key"})
"""Headers the SDK sets that are signed (with ``host`` and ``x-amz-date``): a proxy may rewrite the rest."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with capped exponential backoff and full jitter (AWS's recommended shape)."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    """Attempts in all, the first included (1: no retry)."""
    base_delay: float = DEFAULT_BASE_DELAY
    """Seconds: the cap of the first retry's delay, doubled per retry."""
    max_delay: float = DEFAULT_MAX_DELAY
    """Seconds: no delay is longer."""
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("RetryPolicy needs max_attempts >= 1 and 0 <= base_delay <= max_delay")

    @staticmethod
    def retryable_status(status: int) -> bool:
        """429 and 5xx say "try again"; every other status is final (4xx are never retried)."""
        return status == 429 or 500 <= status <= 599

    def delay(self, retry: int, *, retry_after: float | None = None) -> float:
        """Seconds before retry number ``retry`` (1-based): uniform in [0, min(max, base * 2^(retry-1))].

        A server's ``Retry-After`` raises the delay to it, still capped at ``max_delay``.
        """
        cap = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        chosen = self.rng.uniform(0, cap)
        if retry_after is not None:
            chosen = max(chosen, min(retry_after, self.max_delay))
        return chosen


NO_RETRY = RetryPolicy(max_attempts=1, base_delay=0, max_delay=0)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def send_with_retries(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """Call ``send`` until it answers a final status or the attempts are spent.

    The last retryable answer is returned as it is (the caller turns it into an error); connection
    errors become ``TransportError`` once the attempts are spent.
    """
    for attempt in range(1, policy.max_attempts + 1):
        last = attempt == policy.max_attempts
        try:
            response = send()
        except httpx.TransportError as error:
            if last:
                raise TransportError(f"cannot reach the service: {error!r}") from error
            sleep(policy.delay(attempt))
            continue
        if last or not policy.retryable_status(response.status_code):
            return response
        response.read()
        response.close()
        sleep(policy.delay(attempt, retry_after=_retry_after(response)))
    raise AssertionError("unreachable: the loop returns or raises on its last attempt")


def query_string(params: Mapping[str, str | int]) -> str:
    """``params`` percent-encoded as SigV4 canonicalises them (RFC 3986: a space is ``%20``, only
    ``-_.~`` left as they are). httpx's own encoding writes a space as ``+``, which a verifier that
    decodes ``+`` as a space (API Gateway does, for query strings) then canonicalises as ``%20`` while
    botocore signed ``%2B``: a 403 for any ``q=`` with a space."""
    return "&".join(
        f"{quote(str(name), safe='-_.~')}={quote(str(value), safe='-_.~')}" for name, value in params.items()
    )


class ApiSession:
    """One endpoint, one signer, one pooled httpx client: signs every request and retries what may be."""

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        region: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.region = region
        self._credentials = credentials
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            verify=ssl_context or httpx.create_ssl_context(),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _signed(self, request: httpx.Request) -> httpx.Request:
        """Sign ``request`` as it will be sent (its URL and query exactly as on the wire)."""
        # get_frozen_credentials() refreshes RefreshableCredentials shortly before they expire.
        frozen = self._credentials.get_frozen_credentials()
        signable = AWSRequest(method=request.method, url=str(request.url), data=request.content)
        for name, value in request.headers.items():
            if name.lower() in SIGNED_HEADERS:
                signable.headers[name] = value
        signer: Any = SigV4Auth(frozen, SERVICE, self.region)
        signer.add_auth(signable)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signable.headers:
                request.headers[name] = signable.headers[name]
        return request

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        expected: tuple[int, ...] = (200,),
        retry: bool = True,
        stream: bool = False,
    ) -> httpx.Response:
        """A signed request; an ``ApiError`` unless the status is in ``expected``.

        ``retry=False`` for anything not safe to send twice. With ``stream`` the body is left unread
        (the caller closes the response).
        """
        all_headers = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
            all_headers.setdefault("Content-Type", "application/json")
        url = self.endpoint + path
        if params:
            url += "?" + query_string(params)

        def send() -> httpx.Response:
            request = self._http.build_request(method, url, content=content, headers=all_headers)
            return self._http.send(self._signed(request), stream=True)

        response = send_with_retries(send, self.retry if retry else NO_RETRY, sleep=self._sleep)
        if response.status_code in expected:
            if not stream:
                response.read()
                response.close()
            return response
        response.read()
        response.close()
        raise error_from_response(response)
