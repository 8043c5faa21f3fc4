"""The API's happy paths over HTTP: upload, read back, list, delete, and callers kept apart."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import pytest

from tests.e2e import samples
from tests.e2e.assertions import REQUEST_ID_HEADER, assert_service_error
from tests.e2e.targets import local_principal, signed_client

if TYPE_CHECKING:
    from tests.e2e.targets import ApiClient, Target

SAMPLES = samples.all_types()


def test_health(alice: ApiClient) -> None:
    response = alice.request("GET", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers[REQUEST_ID_HEADER]


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.content_type for s in SAMPLES])
def test_upload_then_read_back_byte_for_byte(
    target: Target, alice: ApiClient, sample: samples.Sample
) -> None:
    # Given a valid document, when it is uploaded
    created = alice.upload(sample.data, sample.content_type)
    assert created.status_code == 201, created.text
    document = created.json()
    # Then the metadata describes exactly these bytes
    assert document["contentType"] == sample.content_type
    assert document["size"] == len(sample.data)
    assert document["sha256"] == hashlib.sha256(sample.data).hexdigest()
    assert document["filename"] is None
    for fact, value in sample.facts.items():
        assert document[fact] == value, fact
    created_at = datetime.fromisoformat(document["createdAt"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=5)
    # And Location names the new document
    location = urljoin(f"{target.api_url}/", created.headers["Location"])
    assert location == f"{target.api_url}/documents/{document['id']}"
    # And reading it back gives the same metadata and the same bytes
    described = alice.request("GET", f"/documents/{document['id']}")
    assert described.status_code == 200
    assert described.json() == document
    content = alice.request("GET", f"/documents/{document['id']}/content")
    assert content.status_code == 200
    assert content.content == sample.data
    assert content.headers["content-type"].split(";")[0] == sample.content_type
    assert content.headers["etag"]
    assert content.headers["content-disposition"].startswith("attachment")
    assert content.headers["content-security-policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    assert content.headers["x-frame-options"] == "DENY"
    assert content.headers["x-content-type-options"] == "nosniff"


def test_content_disposition_filename_is_kept_sanitised(alice: ApiClient) -> None:
    sample = samples.pdf(pages=1)
    created = alice.upload(
        sample.data,
        sample.content_type,
        **{"Content-Disposition": 'attachment; filename="../../etc/re<po>rt.pdf"'},
    )
    assert created.status_code == 201, created.text
    filename = created.json()["filename"]
    assert filename
    assert filename.endswith(".pdf")
    assert not set(filename) & set('/\\<>"')
    assert alice.request("GET", f"/documents/{created.json()['id']}").json()["filename"] == filename


def test_plain_filename_is_kept_as_given(alice: ApiClient) -> None:
    sample = samples.text()
    created = alice.upload(
        sample.data, sample.content_type, **{"Content-Disposition": 'attachment; filename="notes.txt"'}
    )
    assert created.json()["filename"] == "notes.txt"
    content = alice.request("GET", f"/documents/{created.json()['id']}/content")
    assert "notes.txt" in content.headers["content-disposition"]


def _all_pages(client: ApiClient, limit: int) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    params: dict[str, str | int] = {"limit": limit}
    while True:
        response = client.request("GET", "/documents", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page["items"])
        if page["nextCursor"] is None:
            return pages
        params = {"limit": limit, "cursor": page["nextCursor"]}


def test_list_paginates_newest_first_without_gaps_or_repeats(target: Target, alice: ApiClient) -> None:
    uploaded = []
    for index in range(3):
        created = alice.upload(f"document {index}\n".encode(), "text/plain")
        assert created.status_code == 201, created.text
        uploaded.append(created.json())
    pages = _all_pages(alice, limit=2)
    ids = [item["id"] for page in pages for item in page]
    assert all(len(page) <= 2 for page in pages)
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids, reverse=True)
    assert {document["id"] for document in uploaded} <= set(ids)
    if not target.deployed:  # a fresh local caller owns exactly these documents
        assert [len(page) for page in pages] == [2, 1]
        assert ids == [document["id"] for document in reversed(uploaded)]
    # Each item is the document's full metadata, as the upload answered it
    items = {item["id"]: item for page in pages for item in page}
    for document in uploaded:
        assert items[document["id"]] == document


def test_delete_then_everything_is_404(alice: ApiClient) -> None:
    created = alice.upload(samples.png().data, "image/png")
    document_id = created.json()["id"]
    deleted = alice.request("DELETE", f"/documents/{document_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_service_error(alice.request("GET", f"/documents/{document_id}"), 404, "not_found")
    assert_service_error(alice.request("GET", f"/documents/{document_id}/content"), 404, "not_found")
    assert_service_error(alice.request("DELETE", f"/documents/{document_id}"), 404, "not_found")
    listed = [item["id"] for page in _all_pages(alice, limit=100) for item in page]
    assert document_id not in listed


def test_callers_cannot_see_read_or_delete_each_others_documents(alice: ApiClient, bob: ApiClient) -> None:
    created = alice.upload(samples.jpeg().data, "image/jpeg")
    document_id = created.json()["id"]
    # Bob gets exactly what he gets for a document that does not exist
    assert_service_error(bob.request("GET", f"/documents/{document_id}"), 404, "not_found")
    assert_service_error(bob.request("GET", f"/documents/{document_id}/content"), 404, "not_found")
    assert_service_error(bob.request("DELETE", f"/documents/{document_id}"), 404, "not_found")
    assert document_id not in [item["id"] for page in _all_pages(bob, limit=100) for item in page]
    # And Alice's document is untouched
    assert alice.request("GET", f"/documents/{document_id}").status_code == 200
    assert alice.request("GET", f"/documents/{document_id}/content").content == samples.jpeg().data


def test_a_document_id_that_never_existed_is_404(alice: ApiClient) -> None:
    assert_service_error(alice.request("GET", f"/documents/{'0' * 32}"), 404, "not_found")


def test_responses_are_never_cached(alice: ApiClient) -> None:
    created = alice.upload(samples.text().data, "text/plain")
    for path in (
        "/documents",
        f"/documents/{created.json()['id']}",
        f"/documents/{created.json()['id']}/content",
    ):
        response = alice.request("GET", path)
        assert response.headers["cache-control"] == "no-store", path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_two_clients_signing_with_one_key_are_one_caller(target: Target) -> None:
    """Identity is the signing key's principal, whatever connection or client carries it."""
    if target.deployed:
        pytest.skip("local mode only: a deployed stack's second key may be a different principal")
    principal = local_principal(target)
    with signed_client(target, principal) as first, signed_client(target, principal) as second:
        created = first.post("/documents", content=b"shared\n", headers={"Content-Type": "text/plain"})
        document_id = created.json()["id"]
        try:
            assert second.get(f"/documents/{document_id}").status_code == 200
        finally:
            first.delete(f"/documents/{document_id}")


def test_download_is_binary_whatever_the_client_accepts(alice: ApiClient) -> None:
    # API Gateway decides from the first Accept type and the response type whether to decode base64.
    sample = samples.png()
    document_id = alice.upload(sample.data, sample.content_type).json()["id"]
    for accept in ("application/json", "text/html, */*", "image/png"):
        response = alice.request("GET", f"/documents/{document_id}/content", headers={"Accept": accept})
        assert response.content == sample.data, accept


def test_sessions_of_one_role_are_one_owner(target: Target) -> None:
    if target.deployed or target.principals is None:
        pytest.skip("local mode only: needs two sessions of one role from the suite's principals file")
    pool = target.principals
    sessions = pool.sessions[pool.role]
    with (
        signed_client(target, sessions["first"]) as first,
        signed_client(target, sessions["second"]) as second,
        signed_client(target, pool.sessions[pool.other_role]["first"]) as other_role,
    ):
        created = first.post("/documents", content=b"role document\n", headers={"Content-Type": "text/plain"})
        assert created.status_code == 201, created.text
        document_id = created.json()["id"]
        try:
            assert second.get(f"/documents/{document_id}").status_code == 200
            assert other_role.get(f"/documents/{document_id}").status_code == 404
        finally:
            second.delete(f"/documents/{document_id}")
