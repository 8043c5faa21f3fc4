"""The hostile-input corpus straight at the handler: REST (v1) and function-URL (v2) events.

Every case asserts the status, the error code, and that the bucket and the catalogue table hold exactly
what they held before (refusals) or exactly one new, sanitised object and its one catalogue item, listed
as ``GET /documents/{id}`` describes it (accepted filenames). Cases that exist only on the
wire (a lying ``Content-Length``) run in ``tests/e2e/test_hostile_http.py`` only.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest

from document_processor.filenames import decode_from_metadata
from document_processor.identity import normalise_principal
from document_processor.validation import cursor_binding, encode_cursor
from tests.robustness.checks import assert_error_body, assert_safe_filename, assert_safe_header_value
from tests.robustness.corpus import CASES, V2_ONLY_CASES, Case, GatewayRefused, Refused, Sanitised
from tests.unit.service.conftest import ALICE, BOB, make_event

if TYPE_CHECKING:
    from tests.robustness.conftest import Deployment

HANDLER_CASES = [case for case in CASES if not case.http_only]
VERSIONS = ("1.0", "2.0")


def event_for(case: Case, version: str, *, max_document_bytes: int) -> dict[str, Any]:
    """The event API Gateway (v1) or a function URL (v2) would deliver for ``case``."""
    body = case.body_for(max_document_bytes)
    event = make_event(
        case.method,
        case.path,
        version=version,
        caller=ALICE,
        headers=dict(case.headers),
        query=list(case.query),
        body=body if body else None,
    )
    if case.raw_event_body is not None:
        event.update(body=case.raw_event_body, isBase64Encoded=True)
    if case.patch_event is not None:
        case.patch_event(event)
    return event


def run_case(deployment: Deployment, case: Case, version: str) -> None:
    """Send ``case`` and check the answer and what the bucket and the table hold afterwards."""
    before = deployment.snapshot()
    items_before = deployment.items()
    event = event_for(case, version, max_document_bytes=deployment.app.settings.max_document_bytes)

    response = deployment.call(event)

    expected = case.expected
    assert not isinstance(expected, GatewayRefused), f"{case.name}: a gateway answer needs http_only"
    if isinstance(expected, Refused):
        assert response["statusCode"] == expected.status, response["body"]
        assert_error_body(response["body"], expected.code, request_id=event["requestContext"]["requestId"])
        assert deployment.snapshot() == before
        assert deployment.items() == items_before
        return
    assert_sanitised(deployment, response, expected, before, version)
    document = json.loads(response["body"])
    added_items = sorted(set(deployment.items()) - set(items_before))
    assert [sort_key for _, sort_key in added_items] == [f"DOC#{document['id']}"]
    listed = [item for item in deployment.listed() if item["id"] == document["id"]]
    assert listed == [document]


def assert_sanitised(
    deployment: Deployment,
    response: dict[str, Any],
    expected: Sanitised,
    before: list[tuple[str, str, bool]],
    version: str,
) -> None:
    assert response["statusCode"] == 201, response["body"]
    document = json.loads(response["body"])
    assert document["filename"] == expected.filename
    assert_safe_filename(document["filename"])
    added = sorted(set(deployment.snapshot()) - set(before))
    assert len(added) == 1
    key, _, is_marker = added[0]
    assert not is_marker
    assert key.endswith(f"/{document['id']}")
    metadata = deployment.inspector.head_object(Bucket=deployment.bucket, Key=key)["Metadata"]
    stored = metadata.get("filename")
    assert (decode_from_metadata(stored) if stored else None) == expected.filename

    download = deployment.call(make_event("GET", f"/documents/{document['id']}/content", version=version))
    assert download["statusCode"] == 200
    disposition = download["headers"]["Content-Disposition"]
    assert_safe_header_value(disposition)
    if expected.filename is not None:
        assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == expected.filename


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", HANDLER_CASES, ids=lambda case: case.name)
def test_hostile_case(deployment: Deployment, case: Case, version: str) -> None:
    run_case(deployment, case, version)


@pytest.mark.parametrize("case", V2_ONLY_CASES, ids=lambda case: case.name)
def test_hostile_v2_case(deployment: Deployment, case: Case) -> None:
    run_case(deployment, case, "2.0")


def test_corpus_is_large_and_names_are_unique() -> None:
    names = [case.name for case in (*CASES, *V2_ONLY_CASES)]
    assert len(names) == len(set(names))
    assert len(names) >= 40
    for case in CASES:
        assert not (case.handler_only and case.http_only), case.name
        assert (case.raw_request is not None) <= bool(case.http_only), case.name
        handler_specific = case.raw_event_body is not None or case.patch_event is not None
        assert handler_specific <= bool(case.handler_only), case.name


def _upload(deployment: Deployment, caller: str, text: str, version: str = "1.0") -> str:
    event = make_event(
        "POST",
        "/documents",
        version=version,
        caller=caller,
        headers={"Content-Type": "text/plain"},
        body=text.encode(),
    )
    response = deployment.call(event)
    assert response["statusCode"] == 201, response["body"]
    return str(json.loads(response["body"])["id"])


def _list(deployment: Deployment, caller: str, query: list[tuple[str, str]], version: str) -> dict[str, Any]:
    response = deployment.call(make_event("GET", "/documents", version=version, caller=caller, query=query))
    assert response["statusCode"] == 200, response["body"]
    page: dict[str, Any] = json.loads(response["body"])
    return page


@pytest.mark.parametrize("version", VERSIONS)
def test_a_replayed_cursor_is_refused_and_never_reveals_another_callers_documents(
    deployment: Deployment, version: str
) -> None:
    alice_ids = [_upload(deployment, ALICE, f"alice {n}") for n in range(4)]
    bob_ids = [_upload(deployment, BOB, f"bob {n}") for n in range(2)]
    alice_page = _list(deployment, ALICE, [("limit", "1")], version)
    assert [item["id"] for item in alice_page["items"]] == alice_ids[-1:]  # newest first
    stolen = alice_page["nextCursor"]
    assert stolen

    for query in (
        [("cursor", stolen)],
        [("limit", "1"), ("cursor", stolen)],
        [("cursor", stolen), ("q", "a")],
    ):
        response = deployment.call(make_event("GET", "/documents", version=version, caller=BOB, query=query))
        assert response["statusCode"] == 400, response["body"]
        assert_error_body(response["body"], "invalid_cursor")
        assert "another listing" in json.loads(response["body"])["error"]["message"]
    # alice herself cannot carry it into another listing either (another order)
    other_order = [("cursor", stolen), ("order", "oldest")]
    response = deployment.call(
        make_event("GET", "/documents", version=version, caller=ALICE, query=other_order)
    )
    assert response["statusCode"] == 400, response["body"]
    assert_error_body(response["body"], "invalid_cursor")
    assert sorted(item["id"] for item in deployment.listed(BOB)) == sorted(bob_ids)
    assert not set(deployment.listed_ids(BOB)) & set(alice_ids)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_cursor_forged_from_another_callers_id_stays_in_the_callers_own_documents(
    deployment: Deployment, version: str
) -> None:
    """The cursor's tag is no secret (anyone can compute it): the partition still comes from the caller.

    bob forges cursors bound to his own listing (so they pass the tag check) that point at alice's
    newest id, and at the lowest and highest possible ids: each page holds only bob's documents.
    """
    bob_ids = [_upload(deployment, BOB, f"bob {n}") for n in range(3)]
    alice_ids = [_upload(deployment, ALICE, f"alice {n}") for n in range(3)]
    binding = cursor_binding(normalise_principal(BOB).owner_key, "newest", None, None)
    forged = [encode_cursor(alice_ids[-1], binding), encode_cursor("0" * 32, binding)]
    forged.append(encode_cursor("f" * 32, binding))

    for cursor in forged:
        page = _list(deployment, BOB, [("cursor", cursor), ("limit", "100")], version)
        ids = [item["id"] for item in page["items"]]
        assert not set(ids) & set(alice_ids)
        assert ids == sorted(ids, reverse=True)
        assert set(ids) <= set(bob_ids)
    # newest first: after alice's newest id (later than all of bob's) comes every one of bob's
    assert [
        item["id"] for item in _list(deployment, BOB, [("cursor", forged[0])], version)["items"]
    ] == bob_ids[::-1]
    assert _list(deployment, BOB, [("cursor", forged[1])], version)["items"] == []
    assert [
        item["id"] for item in _list(deployment, BOB, [("cursor", forged[2])], version)["items"]
    ] == bob_ids[::-1]


def test_every_base64_case_differs_from_the_canonical_encoding() -> None:
    """Guard the base64 cases themselves: none is a canonical encoding, so each tests a refusal."""
    for case in CASES:
        if case.raw_event_body is None:
            continue
        raw = case.raw_event_body
        try:
            canonical = base64.b64encode(base64.b64decode(raw, validate=True)).decode()
        except ValueError:
            continue
        assert canonical != raw, case.name
