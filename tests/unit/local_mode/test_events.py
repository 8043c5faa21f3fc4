"""The adapter's events must look exactly like API Gateway's REST proxy (v1) events."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from document_processor.routes import match_path
from local_mode.events import EventOptions, IncomingRequest, build_rest_event, request_time
from local_mode.identity import caller_identity

FIXTURE = Path(__file__).parent / "fixtures" / "rest_api_proxy_event_iam.json"
ALICE = "arn:aws:iam::123456789012:user/alice"


def _event(request: IncomingRequest, **kwargs: Any) -> dict[str, Any]:
    route = match_path(request.raw_path)
    assert route is not None
    identity = caller_identity(
        ALICE, access_key="AKIAIOSFODNN7EXAMPLE", source_ip=request.source_ip, user_agent="curl/8.5.0"
    )
    return build_rest_event(request, route, identity, **kwargs)


def _shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what a consumer of the event depends on."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return type(value).__name__


def test_event_has_the_documented_shape_of_an_iam_authorised_rest_event() -> None:
    # Given the documented event of a signed GET /documents/{id}
    reference = json.loads(FIXTURE.read_text())
    # When the adapter builds the event for the same request
    event = _event(
        IncomingRequest(
            method="GET",
            raw_path="/documents/doc-123",
            headers=[(name, value) for name, value in reference["headers"].items()],
            source_ip="203.0.113.10",
            host="abcde12345.execute-api.us-east-1.amazonaws.com",
        ),
        options=EventOptions(stage="dev", api_id="abcde12345", account_id="123456789012", base_path="/dev"),
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        now=1709320517.135,
    )
    # Then every field exists with the same JSON type, and the request-derived values agree
    assert _shape(event) == _shape(reference)
    for key in ("resource", "path", "httpMethod", "headers", "multiValueHeaders", "pathParameters", "body"):
        assert event[key] == reference[key], key
    for key in (
        "accountId",
        "apiId",
        "domainName",
        "domainPrefix",
        "path",
        "requestTime",
        "requestTimeEpoch",
    ):
        assert event["requestContext"][key] == reference["requestContext"][key], key
    for key in ("resourcePath", "stage", "httpMethod", "requestId", "protocol"):
        assert event["requestContext"][key] == reference["requestContext"][key], key
    identity = event["requestContext"]["identity"]
    assert identity["userArn"] == ALICE
    assert identity["accountId"] == "123456789012"
    assert identity["caller"].startswith("AIDA")


def test_empty_maps_are_none_as_api_gateway_sends_them() -> None:
    event = _event(IncomingRequest(method="GET", raw_path="/health"))
    assert event["headers"] is None
    assert event["multiValueHeaders"] is None
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_repeated_query_parameters_keep_every_value_and_the_single_map_keeps_the_last() -> None:
    event = _event(
        IncomingRequest(method="GET", raw_path="/documents", query_string="limit=5&tag=a&tag=b%20c&empty=")
    )
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["a", "b c"], "empty": [""]}
    assert event["queryStringParameters"] == {"limit": "5", "tag": "b c", "empty": ""}


def test_repeated_headers_keep_every_value_under_the_first_spelling() -> None:
    headers = [("X-Trace", "one"), ("x-trace", "two"), ("Accept", "*/*")]
    event = _event(IncomingRequest(method="GET", raw_path="/health", headers=headers))
    assert event["multiValueHeaders"] == {"X-Trace": ["one", "two"], "Accept": ["*/*"]}
    assert event["headers"] == {"X-Trace": "two", "Accept": "*/*"}


def test_path_parameters_come_from_the_route_table_undecoded() -> None:
    event = _event(IncomingRequest(method="GET", raw_path="/documents/a%2Fb/content"))
    assert event["resource"] == "/documents/{id}/content"
    assert event["requestContext"]["resourcePath"] == "/documents/{id}/content"
    assert event["pathParameters"] == {"id": "a%2Fb"}
    assert event["path"] == "/documents/a%2Fb/content"
    assert event["requestContext"]["path"] == "/documents/a%2Fb/content"


def test_binary_media_type_bodies_are_base64() -> None:
    body = b"%PDF-1.7\n\xff\xfe binary"
    request = IncomingRequest(
        method="POST", raw_path="/documents", headers=[("Content-Type", "application/pdf")], body=body
    )
    event = _event(request, options=EventOptions(binary_media_types=("application/pdf",)))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_other_bodies_are_passed_as_text() -> None:
    request = IncomingRequest(
        method="POST", raw_path="/documents", headers=[("Content-Type", "text/plain")], body="héllo".encode()
    )
    event = _event(request, options=EventOptions(binary_media_types=("application/pdf",)))
    assert event["isBase64Encoded"] is False
    assert event["body"] == "héllo"


def test_stage_variables_are_passed_when_configured() -> None:
    event = _event(
        IncomingRequest(method="GET", raw_path="/health"), options=EventOptions(stage_variables={"a": "b"})
    )
    assert event["stageVariables"] == {"a": "b"}


def test_each_request_gets_its_own_request_id() -> None:
    first = _event(IncomingRequest(method="GET", raw_path="/health"))
    second = _event(IncomingRequest(method="GET", raw_path="/health"))
    assert first["requestContext"]["requestId"] != second["requestContext"]["requestId"]


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [(0, "01/Jan/1970:00:00:00 +0000"), (1709320517.9, "01/Mar/2024:19:15:17 +0000")],
)
def test_request_time_uses_api_gateway_log_format(epoch: float, expected: str) -> None:
    assert request_time(epoch) == expected
