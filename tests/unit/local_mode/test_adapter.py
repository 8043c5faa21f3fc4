"""The adapter applies API Gateway's front-door rules, then hands the handler a proxy event.

The handler here records the event and echoes it back: the adapter is what is under test. Requests
are SigV4-signed by botocore (``SignedClient``), as every client of the deployed API signs them; the
signature checks themselves are in ``test_sigv4.py`` and ``test_authentication.py``.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from local_mode.adapter import API_GATEWAY_MAX_PAYLOAD_BYTES, ApiGatewayAdapter
from local_mode.lambda_context import DEFAULT_TIMEOUT_SECONDS
from local_mode.principals import new_user
from local_mode.server import RawHeadersRequestHandler
from local_mode.signing import BotocoreSigV4, credentials_of, sign
from local_mode.sigv4 import SigV4Verifier

if TYPE_CHECKING:
    from collections.abc import Iterator

    from werkzeug.test import TestResponse

    from local_mode.principals import Principal

REGION = "us-east-1"
ALICE = new_user("alice")
BOB = new_user("bob")


def verifier() -> SigV4Verifier:
    return SigV4Verifier({p.access_key_id: p for p in (ALICE, BOB)}, region=REGION)


def adapter(handler: Any) -> ApiGatewayAdapter:
    return ApiGatewayAdapter(handler, verifier())


class SignedClient:
    """werkzeug's test client, signing each request with botocore as ``principal``."""

    def __init__(self, app: ApiGatewayAdapter, principal: Principal = ALICE) -> None:
        self.unsigned = Client(app)
        self.principal = principal

    def open(
        self,
        path: str,
        *,
        method: str = "GET",
        data: bytes = b"",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        all_headers = {"Host": "localhost", **(headers or {})}
        signature = sign(
            credentials_of(self.principal),
            REGION,
            method=method,
            url=f"http://localhost{path}",
            headers=all_headers,
            body=data,
        )
        return self.unsigned.open(
            path, method=method, data=data, headers={**all_headers, **signature}, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open(path, method="GET", **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open(path, method="POST", **kwargs)


class RecordingHandler:
    """Stands in for the Lambda handler: keeps every event and returns a configurable result."""

    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.result = result
        self.error = error

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if self.error is not None:
            raise self.error
        if self.result is not None:
            return self.result
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def client(handler: RecordingHandler) -> SignedClient:
    return SignedClient(adapter(handler))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/documents/"),
        ("PUT", "/documents"),
        ("PATCH", "/documents/abc"),
        ("POST", "/health"),
        ("DELETE", "/documents/abc/content"),
        ("HEAD", "/health"),
        ("OPTIONS", "/documents"),
    ],
)
def test_undeclared_routes_and_methods_get_missing_authentication_token(
    client: SignedClient, handler: RecordingHandler, method: str, path: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 403
    if method != "HEAD":
        assert response.get_json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert handler.events == []


def test_declared_route_reaches_the_handler_with_a_proxy_event(
    client: SignedClient, handler: RecordingHandler
) -> None:
    response = client.get("/documents/abc?limit=2&limit=3", headers={"Accept": "application/json"})
    assert response.status_code == 200
    (event,) = handler.events
    assert event["httpMethod"] == "GET"
    assert event["resource"] == "/documents/{id}"
    assert event["pathParameters"] == {"id": "abc"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["2", "3"]}
    assert event["queryStringParameters"] == {"limit": "3"}
    assert event["requestContext"]["requestId"] == response.headers["x-amzn-RequestId"]
    assert event["requestContext"]["stage"] == "local"


def test_encoded_slash_in_an_id_does_not_create_a_path_segment(
    client: SignedClient, handler: RecordingHandler
) -> None:
    response = client.get("/documents/a%2Fb")
    assert response.status_code == 200
    assert handler.events[0]["pathParameters"] == {"id": "a%2Fb"}


def test_the_verified_signer_is_the_identity(handler: RecordingHandler) -> None:
    SignedClient(adapter(handler), BOB).get("/documents")
    (event,) = handler.events
    identity = event["requestContext"]["identity"]
    assert identity["userArn"] == BOB.arn
    assert identity["accessKey"] == BOB.access_key_id
    assert identity["accountId"] == "111122223333"
    assert identity["caller"] == identity["user"]
    assert identity["caller"].startswith("AIDA")


def test_an_unsigned_request_never_reaches_the_handler(handler: RecordingHandler) -> None:
    response = Client(adapter(handler)).get("/documents")
    assert response.status_code == 403
    assert response.get_json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert handler.events == []


def test_a_bad_signature_never_reaches_the_handler(handler: RecordingHandler) -> None:
    client = SignedClient(adapter(handler))
    headers = {"Host": "localhost"}
    signature = sign(
        credentials_of(ALICE),
        REGION,
        method="GET",
        url="http://localhost/documents",
        headers=headers,
        body=b"",
    )
    response = client.unsigned.get("/documents?limit=1", headers={**headers, **signature})
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert handler.events == []


def test_binary_upload_reaches_the_handler_as_base64(client: SignedClient, handler: RecordingHandler) -> None:
    body = bytes(range(256))
    client.post("/documents", data=body, headers={"Content-Type": "application/octet-stream"})
    (event,) = handler.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_payload_over_api_gateways_limit_is_refused_before_the_handler(
    client: SignedClient, handler: RecordingHandler
) -> None:
    body = b"x" * (API_GATEWAY_MAX_PAYLOAD_BYTES + 1)
    response = client.post("/documents", data=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert response.get_data() == b"HTTP content length exceeded 10485760 bytes."
    assert handler.events == []


def test_event_over_lambdas_invoke_limit_is_refused_before_the_handler(
    client: SignedClient, handler: RecordingHandler
) -> None:
    # 5 MB of raw bytes is 6.7 MB of base64: under API Gateway's limit, over Lambda's.
    body = b"x" * (5 * 1024 * 1024)
    response = client.post("/documents", data=body, headers={"Content-Type": "application/pdf"})
    assert response.status_code == 413
    assert response.get_json() == {"message": "Request Too Long"}
    assert handler.events == []


def test_handler_exception_becomes_api_gateways_502(capsys: pytest.CaptureFixture[str]) -> None:
    client = SignedClient(adapter(RecordingHandler(error=RuntimeError("boom"))))
    response = client.get("/health")
    assert response.status_code == 502
    assert response.get_json() == {"message": "Internal server error"}
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_malformed_handler_result_becomes_502(capsys: pytest.CaptureFixture[str]) -> None:
    client = SignedClient(adapter(RecordingHandler(result={"status": 200})))
    response = client.get("/health")
    assert response.status_code == 502
    assert "statusCode must be an integer" in capsys.readouterr().err


def test_binary_response_is_decoded_for_the_client() -> None:
    png = b"\x89PNG\r\n\x1a\nrest"
    result = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png", "ETag": '"abc"'},
        "body": base64.b64encode(png).decode(),
        "isBase64Encoded": True,
    }
    response = SignedClient(adapter(RecordingHandler(result=result))).get("/documents/x/content")
    assert response.get_data() == png
    assert response.headers["ETag"] == '"abc"'
    assert response.headers["Content-Type"] == "image/png"


def test_lambda_context_offers_request_id_and_remaining_time(
    client: SignedClient, handler: RecordingHandler
) -> None:
    client.get("/health")
    context = handler.contexts[0]
    assert context.aws_request_id
    assert 0 < context.get_remaining_time_in_millis() <= DEFAULT_TIMEOUT_SECONDS * 1000
    assert (
        context.invoked_function_arn == "arn:aws:lambda:us-east-1:000000000000:function:doc-processor-local"
    )
    assert context.log_group_name == "/aws/lambda/doc-processor-local"
    assert context.log_stream_name.endswith("[$LATEST]local")


@pytest.fixture
def served(handler: RecordingHandler) -> Iterator[str]:
    """The adapter behind the local server's request handler, on a real loopback socket."""
    server = make_server(
        "127.0.0.1", 0, adapter(handler), threaded=True, request_handler=RawHeadersRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_repeated_headers_and_spelling_survive_the_real_server(
    served: str, handler: RecordingHandler
) -> None:
    headers = [
        ("x-Custom", "one"),
        ("x-Custom", "two"),
    ]
    # Signed over both values (botocore joins a repeated header's values, as the verifier does).
    response = httpx.get(f"{served}/health", headers=headers, auth=BotocoreSigV4(credentials_of(BOB), REGION))
    assert response.status_code == 200
    (event,) = handler.events
    assert event["multiValueHeaders"]["x-Custom"] == ["one", "two"]
    assert event["headers"]["x-Custom"] == "two"
    assert event["requestContext"]["identity"]["userArn"] == BOB.arn
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_chunked_payload_over_the_limit_is_refused(client: SignedClient, handler: RecordingHandler) -> None:
    # A chunked upload has no Content-Length: the limit is enforced on the bytes actually read.
    body = io.BytesIO(b"x" * (API_GATEWAY_MAX_PAYLOAD_BYTES + 1))
    response = client.post(
        "/documents",
        input_stream=body,
        headers={"Content-Type": "text/plain", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert handler.events == []
