"""The hostile-input corpus over HTTP: local mode by default, a deployed stack when configured.

The cases and their expected answers are defined once in ``tests/robustness/corpus.py``; the handler
runner is ``tests/robustness/test_hostile_handler.py``. Here each case goes through the front door
(local mode's API Gateway adapter, or the real gateway), and afterwards the bucket (read through the
emulator) must hold exactly what it held before, or exactly one new, sanitised object.

Requests whose bytes an HTTP library would change (``..`` segments, a ``Content-Length`` that lies)
are written to the socket verbatim, signed like every other request: local mode only. Against a
deployed stack the bucket cannot be listed by the test's principal (the bucket policy allows only the
Lambda role), so there the caller's own listing is compared instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest

from local_mode.signing import BotocoreSigV4
from tests.e2e.assertions import REQUEST_ID_HEADER
from tests.e2e.raw_http import RawResponse, send_raw, send_request
from tests.e2e.targets import s3_client
from tests.robustness.bucket import bucket_versions
from tests.robustness.checks import assert_error_body, assert_safe_filename, assert_safe_header_value
from tests.robustness.corpus import CASES, Case, GatewayRefused, Refused, Sanitised

if TYPE_CHECKING:
    from tests.e2e.targets import ApiClient, Target

HTTP_CASES = [case for case in CASES if not case.handler_only]
TEXT = "text/plain"


def needs_raw_socket(case: Case) -> bool:
    """Whether an HTTP library would alter the request (so it must go out byte for byte)."""
    return case.raw_request is not None or "/.." in case.path.replace("..%", "")


class Bucket:
    """What is stored: every version and delete marker locally, the caller's listing when deployed."""

    def __init__(self, target: Target, client: ApiClient) -> None:
        self._target = target
        self._client = client
        self._s3 = None if target.deployed else s3_client(target)

    def snapshot(self) -> list[tuple[str, str, bool]]:
        if self._s3 is None:
            return sorted((document_id, "", False) for document_id in _walk(self._client, None, limit=100))
        return bucket_versions(self._s3, self._target.bucket)


def send(target: Target, client: ApiClient, case: Case) -> RawResponse:
    """Send ``case`` as ``client`` and return the response."""
    body = case.body_for(target.max_document_bytes)
    query = f"?{urlencode(case.query)}" if case.query else ""
    if needs_raw_socket(case):
        if target.deployed:
            pytest.skip("byte-exact requests are sent to local mode only (no SigV4 or TLS here)")
        target_path = case.path + query
        auth = client.http.auth
        assert isinstance(auth, BotocoreSigV4)
        host = urlsplit(target.api_url).netloc  # what send_raw puts in Host
        signature = auth.headers_for(
            case.method, target.api_url + target_path, [("Host", host), *case.headers], body
        )
        headers = [*case.headers, *signature.items()]
        if case.raw_request is not None:
            return send_raw(target.api_url, case.method, target_path, headers, case.raw_request)
        return send_request(target.api_url, case.method, target_path, headers, body)
    response = client.request(
        case.method, case.path + query, content=body or None, headers=dict(case.headers)
    )
    return RawResponse(response.status_code, list(response.headers.multi_items()), response.content)


def check_refused(response: RawResponse, expected: Refused | GatewayRefused) -> None:
    assert response.status == expected.status, response.body[:500]
    content_type = response.header("Content-Type") or ""
    if isinstance(expected, Refused):
        assert content_type.startswith("application/json")
        assert_error_body(
            response.body.decode(), expected.code, request_id=response.header(REQUEST_ID_HEADER)
        )
    elif expected.message is None:
        assert content_type.startswith("text/plain")
    else:
        assert response.json() == {"message": expected.message}


def check_sanitised(client: ApiClient, response: RawResponse, expected: Sanitised, added: set[Any]) -> None:
    assert response.status == 201, response.body[:500]
    document = response.json()
    client.created.append(document["id"])
    assert document["filename"] == expected.filename
    assert_safe_filename(document["filename"])
    assert len(added) == 1
    download = client.request("GET", f"/documents/{document['id']}/content")
    assert download.status_code == 200
    dispositions = download.headers.get_list("Content-Disposition")
    assert len(dispositions) == 1
    assert_safe_header_value(dispositions[0])
    assert "Set-Cookie" not in {name for name, _ in download.headers.multi_items()}
    if expected.filename is not None:
        assert unquote(dispositions[0].split("filename*=UTF-8''", 1)[1]) == expected.filename


@pytest.mark.parametrize("case", HTTP_CASES, ids=lambda case: case.name)
def test_hostile_case_over_http(target: Target, alice: ApiClient, case: Case) -> None:
    bucket = Bucket(target, alice)
    before = bucket.snapshot()

    response = send(target, alice, case)

    expected = case.expected_over_http()
    after = bucket.snapshot()
    if isinstance(expected, Sanitised):
        check_sanitised(alice, response, expected, set(after) - set(before))
        return
    check_refused(response, expected)
    assert after == before


def _upload_text(client: ApiClient, text: str) -> str:
    response = client.upload(text.encode(), TEXT)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _walk(client: ApiClient, cursor: str | None, *, limit: int) -> list[str]:
    """The ids ``client`` lists from ``cursor`` (the start when ``None``) to the last page."""
    seen: list[str] = []
    params = {"limit": str(limit)}
    while True:
        page = client.request(
            "GET", "/documents", params=params if cursor is None else {**params, "cursor": cursor}
        )
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            return seen


def test_a_replayed_cursor_never_reveals_another_callers_documents(alice: ApiClient, bob: ApiClient) -> None:
    alice_ids = [_upload_text(alice, f"alice {n}") for n in range(3)]
    bob_ids = [_upload_text(bob, f"bob {n}") for n in range(2)]
    first = alice.request("GET", "/documents", params={"limit": "1"})
    assert [item["id"] for item in first.json()["items"]] == alice_ids[-1:]
    stolen = first.json()["nextCursor"]

    replayed = bob.request("GET", "/documents", params={"limit": "1", "cursor": stolen})

    # The cursor is bound to the caller it was issued to: refused, not reinterpreted in Bob's listing
    assert replayed.status_code == 400, replayed.text
    assert replayed.json()["error"]["code"] == "invalid_cursor"
    assert not {item["id"] for item in replayed.json().get("items", [])} & set(alice_ids)
    bobs_listing = _walk(bob, None, limit=100)
    assert not set(bobs_listing) & set(alice_ids)
    assert set(bob_ids) <= set(bobs_listing)
    assert _walk(alice, stolen, limit=1)[:2] == alice_ids[-2::-1]
