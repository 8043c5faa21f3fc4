"""Every way a request is refused, with the status and error code a client can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e import samples
from tests.e2e.assertions import assert_gateway_error, assert_service_error

if TYPE_CHECKING:
    from tests.e2e.targets import ApiClient, Target

PNG = samples.png().data
PDF = samples.pdf(pages=1).data


def test_empty_body_is_refused(alice: ApiClient) -> None:
    assert_service_error(alice.upload(b"", "text/plain"), 400, "empty_body")


def test_missing_content_type_is_refused(alice: ApiClient) -> None:
    assert_service_error(alice.upload(b"hello", None), 415, "missing_content_type")


@pytest.mark.parametrize("content_type", ["application/zip", "image/gif", "application/octet-stream"])
def test_types_outside_the_allow_list_are_refused(alice: ApiClient, content_type: str) -> None:
    assert_service_error(alice.upload(PNG, content_type), 415, "unsupported_content_type")


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (PNG, "application/pdf"),
        (PDF, "image/png"),
        (PNG, "image/jpeg"),
        (PDF, "text/plain"),
        (b"hello", "image/png"),
    ],
    ids=["png-as-pdf", "pdf-as-png", "png-as-jpeg", "pdf-as-text", "text-as-png"],
)
def test_content_that_is_not_the_declared_type_is_refused(
    alice: ApiClient, data: bytes, declared: str
) -> None:
    assert_service_error(alice.upload(data, declared), 415, "content_type_mismatch")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"caf\xe9\n", "text/plain"), (b"nul\x00byte", "text/plain"), (b"hello", "text/plain; charset=latin-1")],
    ids=["latin-1-bytes", "nul-byte", "latin-1-charset"],
)
def test_text_must_be_utf8(alice: ApiClient, data: bytes, content_type: str) -> None:
    assert_service_error(alice.upload(data, content_type), 415, "invalid_text_encoding")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"%PDF-1.7\nthis is not a pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\nno chunks", "image/png"),
        (b"\xff\xd8\xffno segments", "image/jpeg"),
    ],
    ids=["pdf", "png", "jpeg"],
)
def test_right_signature_but_unreadable_content_is_refused(
    alice: ApiClient, data: bytes, content_type: str
) -> None:
    assert_service_error(alice.upload(data, content_type), 415, "malformed_document")


def test_malformed_content_type_is_refused(alice: ApiClient) -> None:
    assert_service_error(alice.upload(b"hello", "text plain"), 415, "unsupported_content_type")


def test_document_over_the_size_limit_is_refused(target: Target, alice: ApiClient) -> None:
    response = alice.upload(b"a" * (target.max_document_bytes + 1), "text/plain")
    assert_service_error(response, 413, "document_too_large")


def test_document_at_the_size_limit_is_accepted(target: Target, alice: ApiClient) -> None:
    response = alice.upload(b"a" * target.max_document_bytes, "text/plain")
    assert response.status_code == 201, response.text
    assert response.json()["size"] == target.max_document_bytes


def test_payload_over_api_gateways_limit_is_refused_by_the_gateway(alice: ApiClient) -> None:
    response = alice.upload(b"a" * (10 * 1024 * 1024 + 1), "text/plain")
    # The gateway's own plain-text 413, before any event exists: not the service's JSON error.
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/plain"), response.text[:200]


def test_unusable_content_disposition_is_refused(alice: ApiClient) -> None:
    response = alice.upload(b"hello", "text/plain", **{"Content-Disposition": "form; filename=x.txt"})
    assert_service_error(response, 400, "invalid_content_disposition")


@pytest.mark.parametrize(
    "document_id",
    ["abc", "0" * 31, "0" * 33, "A" * 32, "g" * 32, "..%2F..%2Fetc"],
    ids=["short", "31-digits", "33-digits", "upper-case", "not-hex", "traversal"],
)
@pytest.mark.parametrize("suffix", ["", "/content"])
def test_invalid_document_ids_are_refused_before_storage(
    target: Target, alice: ApiClient, document_id: str, suffix: str
) -> None:
    response = alice.request("GET", f"/documents/{document_id}{suffix}")
    if target.deployed and "%" in document_id and response.status_code == 403:
        # API Gateway may decode %2F before routing; then no resource matches and the gateway
        # itself refuses. Either way the request never reaches storage.
        assert_gateway_error(response, 403, "Missing Authentication Token")
        return
    assert_service_error(response, 400, "invalid_id")


def test_invalid_id_on_delete_is_refused(alice: ApiClient) -> None:
    assert_service_error(alice.request("DELETE", "/documents/nope"), 400, "invalid_id")


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", ""])
def test_invalid_limit_is_refused(alice: ApiClient, limit: str) -> None:
    assert_service_error(alice.request("GET", "/documents", params={"limit": limit}), 400, "invalid_limit")


@pytest.mark.parametrize("cursor", ["x", "A" * 21, "!" * 22, ""])
def test_invalid_cursor_is_refused(alice: ApiClient, cursor: str) -> None:
    assert_service_error(alice.request("GET", "/documents", params={"cursor": cursor}), 400, "invalid_cursor")


@pytest.mark.parametrize("query", ["page=2", "limit=1&limit=2"])
def test_unknown_or_repeated_query_parameters_are_refused(alice: ApiClient, query: str) -> None:
    assert_service_error(alice.request("GET", f"/documents?{query}"), 400, "invalid_query_parameter")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/documents/"),
        ("PUT", "/documents"),
        ("PATCH", f"/documents/{'0' * 32}"),
        ("POST", "/health"),
        ("DELETE", f"/documents/{'0' * 32}/content"),
    ],
)
def test_undeclared_routes_and_methods_are_refused_by_the_gateway(
    alice: ApiClient, method: str, path: str
) -> None:
    assert_gateway_error(alice.request(method, path), 403, "Missing Authentication Token")
