"""Proxy results become HTTP responses the way API Gateway converts them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from local_mode.errors import InvalidProxyResponseError
from local_mode.responses import gateway_error, proxy_result_to_http

PNG = b"\x89PNG\r\n\x1a\n\x00\x01"


def test_plain_result_keeps_status_headers_and_body() -> None:
    response = proxy_result_to_http(
        {"statusCode": 201, "headers": {"Location": "/documents/x"}, "body": '{"id": "x"}'}, accept=None
    )
    assert response.status == 201
    assert ("Location", "/documents/x") in response.headers
    assert json.loads(response.body) == {"id": "x"}


def test_content_type_defaults_to_json() -> None:
    response = proxy_result_to_http({"statusCode": 204}, accept=None)
    assert ("Content-Type", "application/json") in response.headers
    assert response.body == b""


def test_multi_value_headers_win_over_single_ones_of_the_same_name() -> None:
    result = {
        "statusCode": 200,
        "headers": {"X-A": "single", "X-B": "kept"},
        "multiValueHeaders": {"x-a": ["one", "two"]},
        "body": "",
    }
    response = proxy_result_to_http(result, accept=None)
    values = [(name.lower(), value) for name, value in response.headers]
    assert ("x-a", "single") not in values
    assert [value for name, value in values if name == "x-a"] == ["one", "two"]
    assert ("x-b", "kept") in values


@pytest.mark.parametrize(
    ("accept", "content_type", "binary_types"),
    [
        ("image/png", "image/png", ("image/png",)),
        ("*/*", "image/png", ("image/png",)),
        ("image/png", "application/json", ("image/png",)),
        (None, "image/png", ("*/*",)),
    ],
)
def test_base64_bodies_are_decoded_when_accept_or_content_type_is_binary(
    accept: str | None, content_type: str, binary_types: tuple[str, ...]
) -> None:
    result = {
        "statusCode": 200,
        "headers": {"Content-Type": content_type},
        "body": base64.b64encode(PNG).decode(),
        "isBase64Encoded": True,
    }
    assert proxy_result_to_http(result, accept=accept, binary_media_types=binary_types).body == PNG


def test_base64_body_is_passed_as_text_when_nothing_is_binary() -> None:
    encoded = base64.b64encode(PNG).decode()
    result = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": encoded,
        "isBase64Encoded": True,
    }
    response = proxy_result_to_http(result, accept="text/html", binary_media_types=("application/pdf",))
    assert response.body == encoded.encode()


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ([], "must return a dict"),
        ({}, "statusCode must be an integer"),
        ({"statusCode": "200"}, "statusCode must be an integer"),
        ({"statusCode": True}, "statusCode must be an integer"),
        ({"statusCode": 700}, "statusCode must be an integer"),
        ({"statusCode": 200, "headers": {"X": 1}}, "headers must map header names to strings"),
        (
            {"statusCode": 200, "multiValueHeaders": {"X": "a"}},
            "multiValueHeaders must map header names to lists",
        ),
        ({"statusCode": 200, "body": b"x"}, "body must be a string"),
        ({"statusCode": 200, "body": "x", "isBase64Encoded": "yes"}, "isBase64Encoded must be a boolean"),
        ({"statusCode": 200, "body": "not base64!", "isBase64Encoded": True}, "body is not base64"),
    ],
)
def test_malformed_results_are_refused(result: Any, message: str) -> None:
    with pytest.raises(InvalidProxyResponseError, match=message):
        proxy_result_to_http(result, accept=None, binary_media_types=("*/*",))


def test_gateway_errors_use_api_gateways_message_shape() -> None:
    response = gateway_error(
        403, "Missing Authentication Token", error_type="MissingAuthenticationTokenException"
    )
    assert response.status == 403
    assert response.body == b'{"message":"Missing Authentication Token"}'  # byte-for-byte as AWS sends it
    assert ("x-amzn-ErrorType", "MissingAuthenticationTokenException") in response.headers
