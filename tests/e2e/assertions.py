"""Checks shared by the end-to-end tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

REQUEST_ID_HEADER = "x-amzn-RequestId"


def assert_service_error(response: httpx.Response, status: int, code: str) -> None:
    """The service's one error shape, with the request id API Gateway returned in its header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "requestId"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["requestId"] == response.headers[REQUEST_ID_HEADER]


def assert_gateway_error(response: httpx.Response, status: int, message: str) -> None:
    """An error API Gateway answers itself (``{"message": ...}``), before the function runs."""
    assert response.status_code == status, response.text
    assert response.json() == {"message": message}
