"""Event normalisation (v1 and v2 fixtures) and response rendering."""

from __future__ import annotations

import base64
import json

import pytest

from document_processor.errors import BadRequestError
from document_processor.events import PAYLOAD_V1, PAYLOAD_V2, Response, parse_event, render_response
from tests.unit.service.conftest import load_event, make_event


def test_rest_v1_fixture_normalises() -> None:
    event = load_event("rest_api_v1.json")

    request = parse_event(event, fallback_request_id="lambda-id")

    assert request.payload_version == PAYLOAD_V1
    assert (request.method, request.path, request.public_path) == ("GET", "/documents", "/dev/documents")
    assert request.request_id == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert request.headers["x-forwarded-proto"] == "https"
    assert request.query == {}
    assert request.body is None
    assert (request.resource, request.path_parameters) == ("/documents", {})


def test_rest_v1_carries_the_matched_resource_and_its_parameters() -> None:
    event = load_event("rest_api_v1.json")
    event.update(path="/documents/abc", resource="/documents/{id}", pathParameters={"id": "abc"})

    request = parse_event(event, fallback_request_id="lambda-id")

    assert (request.resource, request.path_parameters, request.path) == (
        "/documents/{id}",
        {"id": "abc"},
        "/documents/abc",
    )


def test_function_url_v2_fixture_normalises() -> None:
    event = load_event("function_url_v2.json")
    event["rawQueryString"] = "limit=5&cursor=abc&limit=6"

    request = parse_event(event, fallback_request_id="lambda-id")

    assert request.payload_version == PAYLOAD_V2
    assert (request.method, request.path, request.public_path) == ("GET", "/documents", "/documents")
    assert request.request_id == "2b7c1a4e-0c2d-4f38-9d5e-5a1c2f3b4d6e"
    assert request.query == {"limit": ["5", "6"], "cursor": ["abc"]}
    assert (request.resource, request.path_parameters) == (None, {})


def test_v1_without_multi_value_query_uses_the_single_value_map() -> None:
    event = make_event("GET", "/documents")
    event["multiValueQueryStringParameters"] = None
    event["queryStringParameters"] = {"limit": "4", "skip": None}

    assert parse_event(event, fallback_request_id="x").query == {"limit": ["4"]}


def test_missing_request_id_falls_back_to_lambdas() -> None:
    event = make_event("GET", "/health")
    del event["requestContext"]["requestId"]

    assert parse_event(event, fallback_request_id="lambda-id").request_id == "lambda-id"


@pytest.mark.parametrize(
    "event",
    [None, [], "GET /", {}, {"httpMethod": "GET"}, {"path": "/health"}, {"version": "2.0", "rawPath": "/x"}],
)
def test_events_that_are_not_http_requests_are_refused(event: object) -> None:
    with pytest.raises(BadRequestError):
        parse_event(event, fallback_request_id="x")


def test_header_names_are_case_insensitive_and_null_values_dropped() -> None:
    event = make_event("GET", "/health", headers={"Content-TYPE": "text/plain"})
    event["headers"]["X-Null"] = None

    headers = parse_event(event, fallback_request_id="x").headers

    assert headers["content-type"] == "text/plain"
    assert "x-null" not in headers


def test_non_dict_headers_are_treated_as_none() -> None:
    event = make_event("GET", "/health")
    event["headers"] = None
    event["requestContext"] = "broken"

    request = parse_event(event, fallback_request_id="x")

    assert request.headers == {}
    assert request.request_id == "x"


@pytest.mark.parametrize("version", [PAYLOAD_V1, PAYLOAD_V2])
def test_binary_bodies_render_as_base64(version: str) -> None:
    rendered = render_response(Response(200, {"Content-Type": "image/png"}, b"\x89PNG\x00\xff"), version)

    assert rendered["isBase64Encoded"] is True
    assert base64.b64decode(rendered["body"]) == b"\x89PNG\x00\xff"
    assert rendered["statusCode"] == 200


def test_text_bodies_render_as_is_with_security_headers() -> None:
    rendered = render_response(Response(201, {"Location": "/x"}, json.dumps({"a": 1})), PAYLOAD_V1)

    assert rendered == {
        "statusCode": 201,
        "headers": {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Location": "/x"},
        "body": '{"a": 1}',
        "isBase64Encoded": False,
    }
