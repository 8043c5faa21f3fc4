"""Verify AWS Signature Version 4 on a request, as API Gateway's ``AWS_IAM`` authorisation does.

The canonical request, string to sign and signature are botocore's own (``SigV4Auth``), fed with the
request exactly as it arrived: method, the URL the client addressed (scheme, ``Host`` header, raw
path, raw query), the headers the client listed in ``SignedHeaders`` and no others, and the body.
The only thing changed from the signing side is which headers are signed: botocore picks them
itself, a verifier must take the client's list. The body is always hashed here (a signed
``X-Amz-Content-SHA256`` must then match it, so ``UNSIGNED-PAYLOAD`` cannot leave the body
unprotected). Each refusal carries API Gateway's status, message and ``x-amzn-ErrorType``.
Header-signed requests only: query-string (presigned) signatures are not accepted locally.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from local_mode.principals import Principal

SERVICE = "execute-api"
"""The service name API Gateway's signatures are scoped to."""
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW_SECONDS = 5 * 60
"""How far the request's ``X-Amz-Date`` may be from the server's clock (AWS: 5 minutes)."""
_SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)

MISSING_AUTHENTICATION_MESSAGE = "Missing Authentication Token"
INVALID_CLIENT_MESSAGE = "The security token included in the request is invalid."
SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


class SignatureRejected(Exception):
    """The request is not authenticated; API Gateway's answer to send back."""

    def __init__(self, status: int, message: str, error_type: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


def _missing() -> SignatureRejected:
    return SignatureRejected(403, MISSING_AUTHENTICATION_MESSAGE, "MissingAuthenticationTokenException")


def _incomplete(message: str) -> SignatureRejected:
    return SignatureRejected(403, message, "IncompleteSignatureException")


def _invalid_signature(message: str) -> SignatureRejected:
    return SignatureRejected(403, message, "InvalidSignatureException")


def _bad_date(amz_date: str) -> SignatureRejected:
    return _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _epoch(amz_date: str) -> int:
    """Seconds since the epoch of a ``YYYYMMDDTHHMMSSZ`` stamp (``ValueError`` if not a real time)."""
    parsed = datetime.datetime(
        int(amz_date[0:4]),
        int(amz_date[4:6]),
        int(amz_date[6:8]),
        int(amz_date[9:11]),
        int(amz_date[11:13]),
        int(amz_date[13:15]),
        tzinfo=datetime.UTC,
    )
    return int(parsed.timestamp())


def _unrecognized() -> SignatureRejected:
    return SignatureRejected(403, INVALID_CLIENT_MESSAGE, "UnrecognizedClientException")


@dataclass(frozen=True)
class SignedRequest:
    """A request as it arrived, in the terms a signature covers."""

    method: str
    """HTTP method as sent."""
    url: str
    """``scheme://host/raw-path?raw-query``: what the client addressed, still percent-encoded."""
    headers: Sequence[tuple[str, str]]
    """Every header as received (a repeated name appears repeatedly)."""
    body: bytes
    """The body bytes."""


@dataclass(frozen=True)
class _Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str


def _parse_authorization(value: str) -> _Authorization:
    """The parts of ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        # API Gateway takes any other scheme for "no SigV4 here".
        raise _incomplete(
            f"Authorization header requires 'Credential' parameter. Authorization header requires "
            f"'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            f"Authorization={value}"
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, equals, field_value = part.strip().partition("=")
        if equals:
            fields[name] = field_value
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if name not in fields]
    if missing:
        raise _incomplete(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
            + f" Authorization={value}"
        )
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not scope[0]:
        raise _incomplete(
            f"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{fields['Credential']}'"
        )
    signed_headers = fields["SignedHeaders"].split(";")
    return _Authorization(scope[0], scope[1], scope[2], scope[3], signed_headers, fields["Signature"])


def _by_name(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Header values by lower-case name, in arrival order."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


class _SignedHeaderValues:
    """The client's signed headers, as much of botocore's ``HTTPHeaders`` as its canonicalisation uses
    (iteration over names, ``get_all``), over a dict instead of an ``email.message.Message``."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def get_all(self, name: str) -> list[str]:
        return self._values.get(name, [])


class _ClientSignedHeaders(SigV4Auth):
    """botocore's SigV4 with the client's ``SignedHeaders`` instead of botocore's own choice.

    Also hashes the received body directly (botocore's ``payload`` re-prepares the request to reach
    it) and reuses the day's derived signing key: both give botocore's values, for less work.
    """

    def __init__(
        self, credentials: ReadOnlyCredentials, region: str, signed: _SignedHeaderValues, body: bytes
    ) -> None:
        super().__init__(credentials, SERVICE, region)
        self._region = region
        self._signed = signed
        self._body = body

    def headers_to_sign(self, request: AWSRequest) -> Any:
        return self._signed

    def payload(self, request: AWSRequest) -> str:
        return hashlib.sha256(self._body).hexdigest()

    def signature(self, string_to_sign: str, request: AWSRequest) -> str:
        key = _signing_key(self.credentials.secret_key, request.context["timestamp"][0:8], self._region)
        return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=256)
def _signing_key(secret: str, day: str, region: str) -> bytes:
    """SigV4's derived key (kDate, kRegion, kService, kSigning), the same for a key all day."""
    key = f"AWS4{secret}".encode()
    for part in (day, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _format(epoch: float) -> str:
    return time.strftime(_SIGV4_TIMESTAMP, time.gmtime(epoch))


@dataclass
class SigV4Verifier:
    """Authenticates requests against the principals local mode knows."""

    principals: Mapping[str, Principal]
    """Access key id -> principal."""
    region: str
    """The stack's region: signatures must be scoped to it."""
    clock: Callable[[], float] = time.time
    """Now, in epoch seconds (tests pass a fixed clock)."""

    def verify(self, request: SignedRequest) -> Principal:
        """The principal that signed ``request``; ``SignatureRejected`` with API Gateway's answer if none."""
        headers = _by_name(request.headers)
        values = headers.get("authorization", [])
        if not values:
            raise _missing()
        authorization = _parse_authorization(values[-1])
        amz_dates = headers.get("x-amz-date", [])
        if not amz_dates:
            raise _incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                f"Authorization={values[-1]}"
            )
        amz_date = amz_dates[-1]
        if not _AMZ_DATE.fullmatch(amz_date):
            raise _bad_date(amz_date)
        if "host" not in authorization.signed_headers:
            raise _incomplete(
                f"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization. "
                f"Authorization={values[-1]}"
            )
        if authorization.region != self.region:
            raise _invalid_signature(
                f"Credential should be scoped to a valid region, not '{authorization.region}'. "
            )
        if authorization.service != SERVICE:
            raise _invalid_signature(f"Credential should be scoped to correct service: '{SERVICE}'. ")
        self._check_clock(amz_date)
        principal = self.principals.get(authorization.access_key_id)
        if principal is None:
            raise _unrecognized()
        self._check_session_token(principal, headers)
        # botocore scopes the string to sign to X-Amz-Date's day: a Credential dated otherwise
        # cannot have produced a matching signature (the comparison below still runs, constant-time).
        canonical_request, string_to_sign, expected = self._signature(
            principal, authorization, amz_date, request, headers
        )
        well_formed = authorization.date == amz_date[:8] and _SIGNATURE.fullmatch(authorization.signature)
        if not well_formed or not hmac.compare_digest(expected.encode(), authorization.signature.encode()):
            # API Gateway's full answer: the fixed sentence, then what it signed, to debug a client.
            raise _invalid_signature(
                f"{SIGNATURE_MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n"
                f"'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            )
        return principal

    def _check_clock(self, amz_date: str) -> None:
        try:
            signed_at = _epoch(amz_date)
        except ValueError:
            raise _bad_date(amz_date) from None
        now = self.clock()
        if signed_at < now - MAX_CLOCK_SKEW_SECONDS:
            raise _invalid_signature(
                f"Signature expired: {amz_date} is now earlier than "
                f"{_format(now - MAX_CLOCK_SKEW_SECONDS)} ({_format(now)} - 5 min.)"
            )
        if signed_at > now + MAX_CLOCK_SKEW_SECONDS:
            raise _invalid_signature(
                f"Signature not yet current: {amz_date} is still later than "
                f"{_format(now + MAX_CLOCK_SKEW_SECONDS)} ({_format(now)} + 5 min.)"
            )

    @staticmethod
    def _check_session_token(principal: Principal, headers: Mapping[str, list[str]]) -> None:
        """Temporary keys need their token; a long-term key with a token is not a valid credential."""
        tokens = headers.get("x-amz-security-token", [])
        if principal.session_token is None:
            if tokens:
                raise _unrecognized()
            return
        if not tokens or not hmac.compare_digest(tokens[-1].encode(), principal.session_token.encode()):
            raise _unrecognized()

    def _signature(
        self,
        principal: Principal,
        authorization: _Authorization,
        amz_date: str,
        request: SignedRequest,
        headers: Mapping[str, list[str]],
    ) -> tuple[str, str, str]:
        """botocore's canonical request, string to sign and signature for ``request``."""
        # Only names the client listed and sent (a listed header that is absent is left out, so the
        # signed-headers line differs and the signature cannot match).
        signed = _SignedHeaderValues(
            {
                name.lower(): headers[name.lower()]
                for name in authorization.signed_headers
                if headers.get(name.lower())
            }
        )
        aws_request: Any = AWSRequest(method=request.method, url=request.url, data=request.body)
        aws_request.context["timestamp"] = amz_date
        credentials = ReadOnlyCredentials(principal.access_key_id, principal.secret_access_key, None)
        signer = _ClientSignedHeaders(credentials, authorization.region, signed, request.body)
        canonical_request: str = signer.canonical_request(aws_request)
        string_to_sign: str = signer.string_to_sign(aws_request, canonical_request)
        signature: str = signer.signature(string_to_sign, aws_request)
        return canonical_request, string_to_sign, signature
