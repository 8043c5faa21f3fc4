"""Authentication over HTTP, as API Gateway's IAM authorisation does it: every refusal, in both modes.

Each failure a SigV4 signature can have is sent for real (local mode by default, a deployed stack when
configured) and must get API Gateway's status, ``x-amzn-ErrorType`` and message. Then identity
confusion: a valid signature by one caller never reaches another's documents, whatever headers it
adds. And the clients people actually use, curl ``--aws-sigv4`` and botocore, work as documented.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from local_mode.principals import new_user
from local_mode.signing import BotocoreSigV4, credentials_of, sign
from local_mode.sigv4 import SERVICE
from tests.e2e.targets import DEFAULT_TIMEOUT_SECONDS, aws_credentials, local_principal

if TYPE_CHECKING:
    from tests.e2e.targets import ApiClient, Target

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
CURL_MIN_VERSION = (7, 75)
"""``--aws-sigv4`` first shipped in curl 7.75.0."""


def _credentials(target: Target) -> ReadOnlyCredentials:
    """Valid credentials for ``target``: a fresh local principal, or the credential chain's."""
    if target.deployed:
        return aws_credentials().get_frozen_credentials()
    return credentials_of(local_principal(target))


def _send(
    target: Target,
    credentials: ReadOnlyCredentials | None,
    method: str = "GET",
    path: str = "/documents",
    *,
    body: bytes = b"",
    signed_body: bytes | None = None,
    headers: dict[str, str] | None = None,
    at: float | None = None,
) -> httpx.Response:
    """Send a request signed over ``signed_body`` (default: the body sent) by ``credentials``."""
    url = f"{target.api_url}{path}"
    all_headers = {"Host": httpx.URL(url).netloc.decode(), **(headers or {})}
    if credentials is not None:
        all_headers |= sign(
            credentials,
            target.region,
            method=method,
            url=url,
            headers=all_headers,
            body=body if signed_body is None else signed_body,
            at=at,
        )
    return httpx.request(method, url, content=body, headers=all_headers, timeout=DEFAULT_TIMEOUT_SECONDS)


def _assert_refused(response: httpx.Response, error_type: str, message: str, *, exact: bool = True) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["x-amzn-ErrorType"].split(":")[0] == error_type
    actual = response.json()["message"]
    assert actual == message if exact else actual.startswith(message), actual


def test_an_unsigned_request_is_missing_authentication_token(target: Target) -> None:
    response = _send(target, None)
    _assert_refused(response, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_an_unknown_access_key_is_an_invalid_security_token(target: Target) -> None:
    stranger = new_user("stranger")
    _assert_refused(_send(target, credentials_of(stranger)), "UnrecognizedClientException", INVALID_TOKEN)


def test_a_wrong_secret_is_a_signature_mismatch(target: Target) -> None:
    valid = _credentials(target)
    wrong = ReadOnlyCredentials(valid.access_key, f"{valid.secret_key}x", valid.token)
    _assert_refused(_send(target, wrong), "InvalidSignatureException", MISMATCH, exact=False)


@pytest.mark.parametrize(
    ("sent", "signed"),
    [
        (("POST", "/documents", b"tampered"), ("POST", "/documents", b"original")),
        (("GET", "/documents?limit=2", b""), ("GET", "/documents?limit=1", b"")),
        (("GET", "/documents/00000000000000000000000000000001", b""), ("GET", "/documents/0", b"")),
        (
            ("DELETE", "/documents/00000000000000000000000000000001", b""),
            ("GET", "/documents/00000000000000000000000000000001", b""),
        ),
    ],
    ids=["body", "query", "path", "method"],
)
def test_tampering_after_signing_is_a_signature_mismatch(
    target: Target, sent: tuple[str, str, bytes], signed: tuple[str, str, bytes]
) -> None:
    credentials = _credentials(target)
    method, path, body = sent
    url = f"{target.api_url}{path}"
    headers = {"Host": httpx.URL(url).netloc.decode(), "Content-Type": "text/plain"}
    signature = sign(
        credentials,
        target.region,
        method=signed[0],
        url=f"{target.api_url}{signed[1]}",
        headers=headers,
        body=signed[2],
    )
    response = httpx.request(
        method, url, content=body, headers=headers | signature, timeout=DEFAULT_TIMEOUT_SECONDS
    )
    _assert_refused(response, "InvalidSignatureException", MISMATCH, exact=False)


def test_a_tampered_signed_header_is_a_signature_mismatch(target: Target) -> None:
    credentials = _credentials(target)
    url = f"{target.api_url}/documents"
    headers = {"Host": httpx.URL(url).netloc.decode(), "Content-Type": "text/plain"}
    signature = sign(credentials, target.region, method="POST", url=url, headers=headers, body=b"x")
    response = httpx.post(
        url,
        content=b"x",
        headers=headers | signature | {"Content-Type": "application/pdf"},
        timeout=DEFAULT_TIMEOUT_SECONDS,
    )
    _assert_refused(response, "InvalidSignatureException", MISMATCH, exact=False)


def test_a_signature_from_ten_minutes_ago_has_expired(target: Target) -> None:
    response = _send(target, _credentials(target), at=time.time() - 600)
    _assert_refused(response, "InvalidSignatureException", "Signature expired: ", exact=False)
    assert " - 5 min.)" in response.json()["message"]


def test_temporary_credentials_without_their_session_token_are_invalid(target: Target) -> None:
    if target.deployed or target.principals is None:
        pytest.skip("local mode only: needs the secret of an assumed-role session")
    session = target.principals.sessions[target.principals.role]["first"]
    without_token = ReadOnlyCredentials(session.access_key_id, session.secret_access_key, None)
    _assert_refused(_send(target, without_token), "UnrecognizedClientException", INVALID_TOKEN)
    forged = ReadOnlyCredentials(session.access_key_id, session.secret_access_key, "forged")
    _assert_refused(_send(target, forged), "UnrecognizedClientException", INVALID_TOKEN)
    assert _send(target, credentials_of(session)).status_code == 200


def test_a_signature_for_another_region_is_refused(target: Target) -> None:
    credentials = _credentials(target)
    other = "eu-central-1" if target.region != "eu-central-1" else "eu-west-1"
    url = f"{target.api_url}/documents"
    headers = {"Host": httpx.URL(url).netloc.decode()}
    signature = sign(credentials, other, method="GET", url=url, headers=headers, body=b"")
    response = httpx.get(url, headers=headers | signature, timeout=DEFAULT_TIMEOUT_SECONDS)
    _assert_refused(
        response,
        "InvalidSignatureException",
        f"Credential should be scoped to a valid region, not '{other}'. ",
    )


IDENTITY_LOOKING_HEADERS = {
    "X-Local-Caller": "{arn}",
    "X-Amz-User-Arn": "{arn}",
    "X-Amzn-Principal-Arn": "{arn}",
    "X-Forwarded-User": "{arn}",
    "X-Forwarded-For": "10.0.0.1",
    "X-Remote-User": "alice",
}


def test_a_valid_signature_by_bob_never_reaches_alices_documents(alice: ApiClient, bob: ApiClient) -> None:
    created = alice.upload(b"alice's secret\n", "text/plain")
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    spoof = {
        name: value.format(arn="arn:aws:iam::111122223333:user/alice")
        for name, value in IDENTITY_LOOKING_HEADERS.items()
    }
    for method, path in (
        ("GET", f"/documents/{document_id}"),
        ("GET", f"/documents/{document_id}/content"),
        ("DELETE", f"/documents/{document_id}"),
    ):
        for headers in ({}, spoof):
            response = bob.request(method, path, headers=headers)
            assert response.status_code == 404, (method, path, headers, response.text)
    listing = bob.request("GET", "/documents", headers=spoof)
    assert listing.status_code == 200
    assert document_id not in {item["id"] for item in listing.json()["items"]}
    assert alice.request("GET", f"/documents/{document_id}").status_code == 200


def test_identity_looking_headers_never_change_who_the_signer_is(target: Target, alice: ApiClient) -> None:
    """Signed or not, such headers are just headers: the document still belongs to the signer."""
    if target.deployed or target.principals is None:
        pytest.skip("local mode only: names another local principal in the headers")
    other = local_principal(target)
    spoof = {name: value.format(arn=other.arn) for name, value in IDENTITY_LOOKING_HEADERS.items()}
    created = alice.upload(b"mine\n", "text/plain", **spoof)
    assert created.status_code == 201, created.text
    with httpx.Client(
        base_url=target.api_url, auth=BotocoreSigV4(credentials_of(other), target.region)
    ) as impersonated:
        assert impersonated.get(f"/documents/{created.json()['id']}").status_code == 404
        assert impersonated.get("/documents").json()["items"] == []
    # A session token never turns a long-term key into someone else either.
    junk_token = alice.request("GET", "/documents", headers={"X-Amz-Security-Token": "junk"})
    assert junk_token.status_code == 403


def _curl_with_sigv4() -> str:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    version = subprocess.run([curl, "--version"], capture_output=True, text=True, check=True).stdout.split()[
        1
    ]
    numbers = tuple(int(part) for part in version.split(".")[:2])
    if numbers < CURL_MIN_VERSION:
        pytest.skip(f"curl {version} has no --aws-sigv4 (needs 7.75 or later)")
    return curl


def test_curl_aws_sigv4_works_as_documented(target: Target) -> None:
    if target.deployed or target.principals is None:
        pytest.skip("local mode only: signs with a local principal's secret")
    curl = _curl_with_sigv4()
    principal = local_principal(target)
    common = [
        curl, "-sS", "--aws-sigv4", f"aws:amz:{target.region}:{SERVICE}",
        "--user", f"{principal.access_key_id}:{principal.secret_access_key}",
    ]  # fmt: skip

    def run(*args: str) -> dict[str, object]:
        done = subprocess.run([*common, *args], capture_output=True, text=True, timeout=60, check=True)
        parsed: dict[str, object] = json.loads(done.stdout)
        return parsed

    created = run("-H", "Content-Type: text/plain", "--data-binary", "hello", f"{target.api_url}/documents")
    assert created["size"] == 5
    listing = run(f"{target.api_url}/documents?limit=5")
    assert listing["items"] == [created]  # the listing item is the document's full metadata
    wrong = [*common[:-1], f"{principal.access_key_id}:wrong", f"{target.api_url}/documents"]
    refused = subprocess.run(wrong, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(refused.stdout)["message"].startswith(MISMATCH)


def test_a_botocore_signed_request_works_as_documented(target: Target) -> None:
    """The docs' Python example: botocore's SigV4Auth on an AWSRequest, sent with any HTTP client."""
    credentials = _credentials(target)
    request = AWSRequest(method="GET", url=f"{target.api_url}/documents?limit=1")
    SigV4Auth(credentials, "execute-api", target.region).add_auth(request)
    response = httpx.get(
        str(request.url), headers=dict(request.headers.items()), timeout=DEFAULT_TIMEOUT_SECONDS
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items", "nextCursor"}
