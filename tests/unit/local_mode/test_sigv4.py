"""SigV4 verification answers exactly what API Gateway answers, for every way a signature can fail.

Requests are signed by botocore (``local_mode.signing.sign``), then changed the way a tamperer or a
misconfigured client would change them; each refusal is asserted on status, ``x-amzn-ErrorType`` and
the full message, so removing any one check makes its test fail.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from botocore.credentials import ReadOnlyCredentials

from local_mode.principals import new_session, new_user
from local_mode.signing import credentials_of, sign
from local_mode.sigv4 import SignatureRejected, SignedRequest, SigV4Verifier

if TYPE_CHECKING:
    from collections.abc import Callable

    from local_mode.principals import Principal

REGION = "us-east-1"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
URL = "http://127.0.0.1:8080/documents?limit=2&cursor=a%2Fb"
ALICE = new_user("alice")
READER = new_session("Reader", "s1")
MISMATCH_PREFIX = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


def _verifier(now: float = NOW) -> SigV4Verifier:
    return SigV4Verifier({p.access_key_id: p for p in (ALICE, READER)}, region=REGION, clock=lambda: now)


def _signed(
    principal: Principal = ALICE,
    *,
    method: str = "POST",
    url: str = URL,
    headers: dict[str, str] | None = None,
    body: bytes = b"hello",
    at: float = NOW,
    region: str = REGION,
    credentials: ReadOnlyCredentials | None = None,
) -> SignedRequest:
    all_headers = {"Host": "127.0.0.1:8080", "Content-Type": "text/plain", **(headers or {})}
    signature = sign(
        credentials or credentials_of(principal),
        region,
        method=method,
        url=url,
        headers=all_headers,
        body=body,
        at=at,
    )
    return SignedRequest(method, url, [*all_headers.items(), *signature.items()], body)


def _with_header(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    """``request`` with header ``name`` replaced by ``value`` (removed when ``None``)."""
    kept = [(n, v) for n, v in request.headers if n.lower() != name.lower()]
    return replace(request, headers=kept if value is None else [*kept, (name, value)])


def _authorization(request: SignedRequest) -> str:
    return next(v for n, v in request.headers if n == "Authorization")


def _rejection(request: SignedRequest, verifier: SigV4Verifier | None = None) -> SignatureRejected:
    with pytest.raises(SignatureRejected) as raised:
        (verifier or _verifier()).verify(request)
    assert raised.value.status == 403
    return raised.value


def test_a_botocore_signed_request_verifies_as_its_signer() -> None:
    assert _verifier().verify(_signed()) == ALICE
    assert _verifier().verify(_signed(method="GET", body=b"")) == ALICE


def test_temporary_credentials_verify_with_their_session_token() -> None:
    request = _signed(READER)
    assert ("X-Amz-Security-Token", READER.session_token) in request.headers
    assert _verifier().verify(request) == READER


def test_headers_outside_signed_headers_may_change() -> None:
    # Proxies add and rewrite headers; only the signed ones are covered (as with AWS).
    request = [*_signed().headers, ("X-Forwarded-For", "10.0.0.1"), ("X-Local-Caller", READER.arn)]
    assert _verifier().verify(replace(_signed(), headers=request)) == ALICE


def test_no_signature_is_missing_authentication_token() -> None:
    rejected = _rejection(_with_header(_signed(), "Authorization", None))
    assert (rejected.error_type, rejected.message) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_an_unknown_access_key_is_an_invalid_security_token() -> None:
    stranger = new_user("stranger")
    rejected = _rejection(_signed(stranger))
    assert (rejected.error_type, rejected.message) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_a_wrong_secret_is_a_signature_mismatch() -> None:
    wrong = ReadOnlyCredentials(ALICE.access_key_id, "not-the-secret", None)
    rejected = _rejection(_signed(credentials=wrong))
    assert rejected.error_type == "InvalidSignatureException"
    assert rejected.message.startswith(
        MISMATCH_PREFIX + "\n\nThe Canonical String for this request should have been\n'"
    )
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in rejected.message


def _flip_last(text: str) -> str:
    """``text`` with its last hex digit changed (always a different signature)."""
    return text[:-1] + ("1" if text.endswith("0") else "0")


def _tamper_body(request: SignedRequest) -> SignedRequest:
    return replace(request, body=b"hellO")


_TAMPERINGS: dict[str, Callable[[SignedRequest], SignedRequest]] = {
    "method": lambda r: replace(r, method="PUT"),
    "path": lambda r: replace(r, url=r.url.replace("/documents", "/documents/x")),
    "query value": lambda r: replace(r, url=r.url.replace("limit=2", "limit=3")),
    "query added": lambda r: replace(r, url=r.url + "&extra=1"),
    "signed header": lambda r: _with_header(r, "Content-Type", "application/pdf"),
    "host": lambda r: _with_header(r, "Host", "127.0.0.1:9090"),
    "body": _tamper_body,
    "signature": lambda r: _with_header(r, "Authorization", _flip_last(_authorization(r))),
    "date": lambda r: _with_header(r, "X-Amz-Date", "20260101T000001Z"),
}


@pytest.mark.parametrize("tamper", list(_TAMPERINGS), ids=list(_TAMPERINGS))
def test_any_tampering_is_a_signature_mismatch(tamper: str) -> None:
    request = _signed()
    assert _verifier().verify(request) == ALICE
    rejected = _rejection(_TAMPERINGS[tamper](request))
    assert rejected.error_type == "InvalidSignatureException"
    assert rejected.message.startswith(MISMATCH_PREFIX)


def test_the_body_is_covered_even_when_the_client_declares_it_unsigned() -> None:
    # botocore honours a signed X-Amz-Content-SHA256; local mode hashes the body itself, so neither
    # UNSIGNED-PAYLOAD nor a stale hash lets a changed body through.
    for declared in ("UNSIGNED-PAYLOAD", hashlib.sha256(b"hello").hexdigest()):
        request = _signed(headers={"X-Amz-Content-SHA256": declared})
        rejected = _rejection(_tamper_body(request))
        assert rejected.message.startswith(MISMATCH_PREFIX)
    assert _verifier().verify(_signed(headers={"X-Amz-Content-SHA256": hashlib.sha256(b"hello").hexdigest()}))


def test_a_credential_dated_another_day_is_a_signature_mismatch() -> None:
    request = _signed()
    authorization = _authorization(request).replace("/20260101/", "/20251231/")
    rejected = _rejection(_with_header(request, "Authorization", authorization))
    assert rejected.message.startswith(MISMATCH_PREFIX)


def test_a_signature_older_than_five_minutes_has_expired() -> None:
    assert _verifier(NOW + 300).verify(_signed()) == ALICE
    rejected = _rejection(_signed(), _verifier(NOW + 301))
    assert (rejected.error_type, rejected.message) == (
        "InvalidSignatureException",
        "Signature expired: 20260101T000000Z is now earlier than 20260101T000001Z "
        "(20260101T000501Z - 5 min.)",
    )


def test_a_signature_more_than_five_minutes_ahead_is_not_yet_current() -> None:
    assert _verifier(NOW - 300).verify(_signed()) == ALICE
    rejected = _rejection(_signed(), _verifier(NOW - 301))
    assert (rejected.error_type, rejected.message) == (
        "InvalidSignatureException",
        "Signature not yet current: 20260101T000000Z is still later than 20251231T235959Z "
        "(20251231T235459Z + 5 min.)",
    )


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["absent", "empty", "wrong"])
def test_temporary_credentials_need_their_own_session_token(token: str | None) -> None:
    request = _with_header(_signed(READER), "X-Amz-Security-Token", token)
    rejected = _rejection(request)
    assert (rejected.error_type, rejected.message) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_a_long_term_key_with_a_session_token_is_invalid() -> None:
    request = _signed(headers={"X-Amz-Security-Token": "junk"})
    assert _rejection(request).message == "The security token included in the request is invalid."


def test_a_signature_for_another_region_is_refused() -> None:
    rejected = _rejection(_signed(region="eu-west-1"))
    assert (rejected.error_type, rejected.message) == (
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    )


def test_a_signature_for_another_service_is_refused() -> None:
    request = _signed()
    authorization = _authorization(request).replace("/execute-api/", "/s3/")
    rejected = _rejection(_with_header(request, "Authorization", authorization))
    assert (rejected.error_type, rejected.message) == (
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'. ",
    )


def test_host_must_be_signed() -> None:
    request = _signed()
    authorization = _authorization(request).replace(
        "SignedHeaders=content-type;host;", "SignedHeaders=content-type;"
    )
    rejected = _rejection(_with_header(request, "Authorization", authorization))
    assert rejected.error_type == "IncompleteSignatureException"
    assert rejected.message.startswith(
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_a_missing_date_is_an_incomplete_signature() -> None:
    rejected = _rejection(_with_header(_signed(), "X-Amz-Date", None))
    assert rejected.error_type == "IncompleteSignatureException"
    assert rejected.message.startswith(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )


@pytest.mark.parametrize(
    ("authorization", "missing"),
    [
        (
            "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/execute-api/aws4_request",
            ["Signature", "SignedHeaders"],
        ),
        ("Bearer abc", ["Credential", "Signature", "SignedHeaders"]),
    ],
)
def test_a_malformed_authorization_header_is_an_incomplete_signature(
    authorization: str, missing: list[str]
) -> None:
    rejected = _rejection(_with_header(_signed(), "Authorization", authorization))
    assert rejected.error_type == "IncompleteSignatureException"
    for name in missing:
        assert f"Authorization header requires '{name}' parameter." in rejected.message


def test_a_malformed_credential_scope_is_an_incomplete_signature() -> None:
    request = _signed()
    authorization = _authorization(request).replace("/aws4_request", "")
    rejected = _rejection(_with_header(request, "Authorization", authorization))
    assert rejected.error_type == "IncompleteSignatureException"
    assert rejected.message.startswith("Credential must have exactly 5 slash-delimited elements")


def test_signatures_and_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)  # the module sigv4 calls it through
    request = _signed(READER)
    assert _verifier().verify(request) == READER
    signature = _authorization(request).rsplit("Signature=", 1)[1].encode()
    assert (READER.session_token or "").encode() in {b for _, b in compared} | {a for a, _ in compared}
    assert any(signature in pair for pair in compared)


@pytest.mark.parametrize("stamp", ["2026-01-01T00:00:00Z", "20261301T000000Z", "20260101T250000Z"])
def test_a_date_that_is_not_a_basic_iso_8601_time_is_an_incomplete_signature(stamp: str) -> None:
    rejected = _rejection(_with_header(_signed(), "X-Amz-Date", stamp))
    assert (rejected.error_type, rejected.message) == (
        "IncompleteSignatureException",
        f"Date must be in ISO-8601 'basic format'. Got '{stamp}'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_another_signing_algorithm_is_an_incomplete_signature() -> None:
    request = _signed()
    authorization = _authorization(request).replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 ", 1)
    rejected = _rejection(_with_header(request, "Authorization", authorization))
    assert rejected.error_type == "IncompleteSignatureException"
    assert rejected.message.startswith("Authorization header requires 'Credential' parameter.")
