"""The suite's own machinery, offline: stack outputs are validated, requests are really signed, and
the deployed log search waits for the request's access line."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.stub import ANY, Stubber

from local_mode.signing import BotocoreSigV4
from local_mode.sigv4 import SignedRequest, SigV4Verifier
from tests.e2e import function_logs
from tests.e2e.signing import PoolExhaustedError, PrincipalPool
from tests.e2e.targets import (
    E2EConfigurationError,
    Target,
    load_stack_outputs,
    make_client,
    region_of,
)

if TYPE_CHECKING:
    from pathlib import Path

API_URL = "https://abcde12345.execute-api.eu-west-1.amazonaws.com/dev"
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
ANY_START = {"startTime": ANY}


def _write(tmp_path: Path, outputs: object) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return path


def test_stack_outputs_give_the_target(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "apiUrl": f"{API_URL}/",
            "documentsBucketName": "docs",
            "lambdaLogGroupName": "/aws/lambda/doc-processor-dev",
        },
    )
    target = load_stack_outputs(path)
    assert target.deployed
    assert target.api_url == API_URL
    assert target.region == "eu-west-1"
    assert target.bucket == "docs"
    assert target.log_group == "/aws/lambda/doc-processor-dev"
    assert target.sse_algorithm == "AES256"


def test_kms_mode_expects_kms_encrypted_objects(tmp_path: Path) -> None:
    outputs = {
        "apiUrl": API_URL,
        "documentsBucketName": "docs",
        "lambdaLogGroupName": "/aws/lambda/doc-processor-dev",
        "encryptionMode": "KMS",
        "maxDocumentBytes": 1000,
    }
    target = load_stack_outputs(_write(tmp_path, outputs))
    assert target.sse_algorithm == "aws:kms"
    assert target.max_document_bytes == 1000


def test_missing_outputs_are_all_reported(tmp_path: Path) -> None:
    with pytest.raises(E2EConfigurationError) as error:
        load_stack_outputs(_write(tmp_path, {"apiUrl": "http://example.com"}))
    message = str(error.value)
    assert "missing output 'documentsBucketName'" in message
    assert "missing output 'lambdaLogGroupName'" in message
    assert "apiUrl must be an https URL" in message


def test_unreadable_outputs_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(E2EConfigurationError, match="pulumi stack output --json"):
        load_stack_outputs(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("url", "region"),
    [
        (API_URL, "eu-west-1"),
        ("https://x.execute-api.cn-north-1.amazonaws.com.cn/p", "cn-north-1"),
        ("https://example.com", None),
    ],
)
def test_region_of(url: str, region: str | None) -> None:
    assert region_of(url) == region


def test_requests_are_signed_for_execute_api_and_the_signature_verifies() -> None:
    request = httpx.Request(
        "POST", f"{API_URL}/documents", content=b"hello", headers={"Content-Type": "text/plain"}
    )
    signed = next(BotocoreSigV4(CREDENTIALS, "eu-west-1").auth_flow(request))
    authorization = signed.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert signed.headers["X-Amz-Security-Token"] == "session-token"
    # Recompute the signature the way API Gateway does, from what is on the wire.
    signed_headers = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert "host" in signed_headers
    wire = AWSRequest(
        method="POST",
        url=str(signed.url),
        data=signed.content,
        headers={name: signed.headers[name] for name in signed_headers if name != "host"},
    )
    wire.context["timestamp"] = signed.headers["X-Amz-Date"]
    signer = SigV4Auth(CREDENTIALS.get_frozen_credentials(), "execute-api", "eu-west-1")
    expected = signer.signature(signer.string_to_sign(wire, signer.canonical_request(wire)), wire)
    assert authorization.endswith(f"Signature={expected}")


def test_a_different_body_gives_a_different_signature() -> None:
    auth = BotocoreSigV4(CREDENTIALS, "eu-west-1")
    first = next(auth.auth_flow(httpx.Request("POST", f"{API_URL}/documents", content=b"one")))
    second = next(auth.auth_flow(httpx.Request("POST", f"{API_URL}/documents", content=b"two")))
    assert first.headers["Authorization"] != second.headers["Authorization"]


def test_deployed_clients_sign_with_the_credential_chain_and_send_no_caller_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDCHAIN")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    target = Target(api_url=API_URL, bucket="docs", deployed=True, region="eu-west-1")
    client = make_client(target, "alice")
    try:
        request = client.http.build_request("GET", "/documents")
        assert isinstance(client.http.auth, BotocoreSigV4)
        signed = next(client.http.auth.sync_auth_flow(request))
        assert signed.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDCHAIN/")
        assert str(signed.url) == f"{API_URL}/documents"
    finally:
        client.http.close()


def test_local_clients_sign_as_a_fresh_principal_each_and_local_mode_verifies_it() -> None:
    pool = PrincipalPool(users=3)
    target = Target(
        api_url="http://127.0.0.1:1", bucket="b", deployed=False, region="us-east-1", principals=pool
    )
    verifier = SigV4Verifier({p.access_key_id: p for p in pool.all()}, region="us-east-1")
    first, second = make_client(target, "alice"), make_client(target, "alice")
    try:
        callers = []
        for client in (first, second):
            request = client.http.build_request("POST", "/documents", content=b"x")
            assert isinstance(client.http.auth, BotocoreSigV4)
            signed = next(client.http.auth.sync_auth_flow(request))
            callers.append(
                verifier.verify(
                    SignedRequest("POST", str(signed.url), list(signed.headers.multi_items()), signed.content)
                )
            )
        assert callers[0] != callers[1]
        assert all(caller.arn.startswith("arn:aws:iam::111122223333:user/e2e-") for caller in callers)
    finally:
        first.http.close()
        second.http.close()


def test_an_exhausted_pool_says_so() -> None:
    pool = PrincipalPool(users=1)
    pool.user()
    with pytest.raises(PoolExhaustedError, match="raise POOL_USERS"):
        pool.user()


def test_deployed_log_lines_read_every_page_and_wait_for_the_access_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """FilterLogEvents may answer an empty page with a nextToken, and a request's first lines may be
    searchable before its access line: both must be waited out, not taken for the answer."""
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIDLOGS", "AWS_SECRET_ACCESS_KEY": "secret"}.items():
        monkeypatch.setenv(name, value)
    logs = boto3.client("logs", region_name="eu-west-1")
    request_id = "0f7c5a36-5c1e-4b0e-9a57-7c1d2f6e8a90"
    access = json.dumps({"message": "Request completed", "requestId": request_id, "status": 201})
    early = f"START RequestId: {request_id} Version: $LATEST"
    expected = {"logGroupName": "/aws/lambda/doc-processor-dev", "filterPattern": f'"{request_id}"'}
    with Stubber(logs) as stubber:
        # First poll: an empty page while CloudWatch scans, then only the runtime's START line.
        stubber.add_response("filter_log_events", {"events": [], "nextToken": "t1"}, ANY_START | expected)
        stubber.add_response(
            "filter_log_events", {"events": [{"message": early}]}, ANY_START | expected | {"nextToken": "t1"}
        )
        # Second poll: the access line has arrived.
        stubber.add_response(
            "filter_log_events", {"events": [{"message": early}, {"message": access}]}, ANY_START | expected
        )
        monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: logs)
        target = Target(
            api_url=API_URL,
            bucket="docs",
            deployed=True,
            region="eu-west-1",
            log_group="/aws/lambda/doc-processor-dev",
        )

        lines = function_logs.log_lines(target, request_id, wait_seconds=60, poll_seconds=0)

        stubber.assert_no_pending_responses()
    assert lines == [early, access]
    assert function_logs.access_entry(access, request_id) == json.loads(access)
    assert function_logs.access_entry(early, request_id) is None
