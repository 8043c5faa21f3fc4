"""GET /documents/{id}/content's 303: above the inline limit (decided from GetObject's ContentLength, the
body left unread) or with ?redirect=true (a HeadObject only: nothing is opened), a presigned GetObject URL
(SigV4, at most 5 minutes, attachment disposition signed in) that really downloads the document from
moto; the owner check before any link; inline downloads unchanged; the query checked before any S3
call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from document_processor.documents import META_OWNER, object_key
from document_processor.filenames import content_disposition
from document_processor.identity import normalise_principal
from tests.unit.service.conftest import ALICE, BOB, BUCKET, Lambda, body_json, build_lambda, make_event
from tests.unit.service.test_handler import assert_error, uploaded_id
from tests.unit.service.test_presign import verify_sigv4_url
from tests.unit.service.test_storage_failures import record_calls

LIMIT = 100
"""The inline limit (MAX_DOCUMENT_BYTES) of the application under test."""
FILENAME = "Q3 Ärger.txt"


@pytest.fixture
def small(lam: Lambda) -> Lambda:
    """An application with a 100-byte inline limit on the same bucket and table as ``lam``."""
    return build_lambda(lam.s3, lam.dynamodb, MAX_DOCUMENT_BYTES=str(LIMIT))


def document(lam: Lambda, size: int, *, caller: str = ALICE) -> str:
    """A text document of ``size`` bytes uploaded through ``lam`` (whose limit is the default)."""
    return uploaded_id(
        lam,
        b"t" * size,
        "text/plain",
        caller=caller,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''Q3%20%C3%84rger.txt"},
    )


def download(lam: Lambda, document_id: str, **kwargs: Any) -> dict[str, Any]:
    return lam.call(make_event("GET", f"/documents/{document_id}/content", **kwargs))


def bodies_read(lam: Lambda) -> list[Any]:
    """The GetObject bodies of the coming requests, to see how much of each was read."""
    bodies: list[Any] = []
    lam.s3.meta.events.register(
        "after-call.s3.GetObject", lambda parsed, **_: bodies.append(parsed["Body"]), unique_id="bodies"
    )
    return bodies


def test_a_document_at_the_inline_limit_is_downloaded_inline(lam: Lambda, small: Lambda) -> None:
    document_id = document(lam, LIMIT)

    response = download(small, document_id)

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert response["headers"]["Content-Disposition"] == content_disposition(FILENAME)


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_a_document_above_the_limit_is_a_303_to_a_presigned_url_and_its_body_is_not_read(
    lam: Lambda, small: Lambda, version: str
) -> None:
    data_size = LIMIT + 1
    document_id = document(lam, data_size)
    bodies = bodies_read(small)

    response = download(small, document_id, version=version)

    assert response["statusCode"] == 303
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    link = body_json(response)
    assert set(link) == {"url", "expiresIn"}
    assert response["headers"]["Location"] == link["url"]
    assert link["expiresIn"] == 300
    [body] = bodies
    assert body._amount_read == 0  # closed unread: ContentLength decided
    url = urlsplit(link["url"])
    query = dict(parse_qsl(url.query))
    assert url.netloc == f"{BUCKET}.s3.us-east-1.amazonaws.com"
    assert url.path == "/" + object_key(normalise_principal(ALICE), document_id)
    assert (query["X-Amz-Expires"], query["X-Amz-SignedHeaders"]) == ("300", "host")
    assert query["response-content-disposition"] == content_disposition(FILENAME)
    assert verify_sigv4_url("GET", link["url"], {}, secret="testing", now=datetime.now(UTC)).ok
    fetched = requests.get(link["url"], timeout=30)
    assert fetched.content == b"t" * data_size
    assert fetched.headers["Content-Disposition"] == content_disposition(FILENAME)
    assert small.lines()[-1]["DownloadsRedirected"] == 1
    assert small.lines()[-1]["documentId"] == document_id


def test_redirect_true_asks_for_the_link_at_any_size(lam: Lambda) -> None:
    document_id = document(lam, 3)
    calls = record_calls(lam.s3)

    redirected = download(lam, document_id, query={"redirect": "true"})

    assert calls == ["HeadObject"]  # the object looked at, never opened
    assert redirected["statusCode"] == 303
    assert body_json(redirected)["expiresIn"] == 300
    assert requests.get(body_json(redirected)["url"], timeout=30).content == b"ttt"
    calls.clear()
    inline = download(lam, document_id, query={"redirect": "false"})
    assert calls == ["GetObject"]
    assert inline["statusCode"] == 200
    assert inline == download(lam, document_id)


@pytest.mark.parametrize("size", [3, LIMIT + 1])
def test_redirect_true_reads_no_body_whatever_the_size(lam: Lambda, small: Lambda, size: int) -> None:
    document_id = document(lam, size)
    calls, bodies = record_calls(small.s3), bodies_read(small)

    redirected = download(small, document_id, query={"redirect": "true"})

    assert redirected["statusCode"] == 303
    assert (calls, bodies) == (["HeadObject"], [])
    assert requests.get(body_json(redirected)["url"], timeout=30).content == b"t" * size


def test_a_redirect_needs_the_recorded_owner_too(lam: Lambda) -> None:
    """An object under the caller's prefix that records another owner gets no link (the HeadObject's
    metadata is checked as GetObject's is)."""
    key = object_key(normalise_principal(ALICE), "b" * 32)
    lam.s3.put_object(
        Bucket=BUCKET, Key=key, Body=b"planted", ContentType="text/plain", Metadata={META_OWNER: BOB}
    )

    for query in ({"redirect": "true"}, None):
        response = download(lam, "b" * 32, query=query)
        assert_error(response, 404, "not_found")
        assert "amazonaws" not in response["body"]


@pytest.mark.parametrize(
    "query",
    [
        {"redirect": "yes"},
        {"redirect": "TRUE"},
        {"redirect": ""},
        [("redirect", "true"), ("redirect", "true")],
        {"download": "1"},
        [("redirect", "false"), ("x", "y")],
    ],
)
def test_any_other_query_is_a_400_before_s3(lam: Lambda, query: Any) -> None:
    document_id = document(lam, 3)
    calls = record_calls(lam.s3)

    assert_error(download(lam, document_id, query=query), 400, "invalid_query_parameter")
    assert calls == []


def test_another_callers_document_gets_no_link(lam: Lambda, small: Lambda) -> None:
    document_id = document(lam, LIMIT + 1)

    for app, query in ((small, None), (lam, {"redirect": "true"})):
        response = download(app, document_id, caller=BOB, query=query)
        assert_error(response, 404, "not_found")
        assert "amazonaws" not in response["body"]
