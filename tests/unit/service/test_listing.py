"""``GET /documents`` from the catalogue: order, contentType, q, limit and cursors, page by page, for every
combination; hostile cursors; other callers' documents never appear."""

from __future__ import annotations

import base64
import itertools
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.identity import normalise_principal
from document_processor.ids import new_document_id
from tests.unit.service.conftest import ALICE, BOB, Lambda, body_json, make_event
from tests.unit.service.samples import make_jpeg, make_pdf, make_png

if TYPE_CHECKING:
    from collections.abc import Iterator

BASE_MS = 1_760_000_000_000
CORPUS: list[tuple[bytes, str, str | None]] = [
    (b"quarterly figures", "text/plain", "Report 1.txt"),
    (make_pdf(1), "application/pdf", "report-2.pdf"),
    (make_png(2, 3), "image/png", "Ärger.png"),
    ("ärger, again".encode(), "text/plain", "ärger 2.txt"),
    (make_jpeg(4, 5), "image/jpeg", None),
    (b"street", "text/plain", "STRASSE.txt"),
    (make_pdf(2), "application/pdf", "Straße map.pdf"),
    (b"no name", "text/plain", None),
    (make_pdf(3), "application/pdf", "REPORT 3.pdf"),
    (b"notes", "text/plain", "notes.txt"),
    (make_png(6, 7), "image/png", "report scan.png"),
    (b"more notes", "text/plain", "Report 4.TXT"),
]
"""Alice's documents, in upload order: every type, filenames differing in case, ß/SS, none at all."""


def upload(lam: Lambda, data: bytes, content_type: str, filename: str | None, *, caller: str = ALICE) -> Any:
    headers = {"Content-Type": content_type}
    if filename is not None:
        quoted = "".join(f"%{byte:02X}" for byte in filename.encode())
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quoted}"
    response = lam.call(make_event("POST", "/documents", caller=caller, headers=headers, body=data))
    assert response["statusCode"] == 201, response["body"]
    return body_json(response)


def sequential_ids() -> Iterator[str]:
    """Ids one millisecond apart, so creation order is known exactly."""
    for n in itertools.count():
        yield new_document_id(now_ms=BASE_MS + n)


@pytest.fixture
def corpus(lam: Lambda) -> list[dict[str, Any]]:
    """Alice's corpus (as the uploads answered) after some of Bob's documents, interleaved."""
    ids = sequential_ids()
    assert lam.app.service is not None
    lam.app.service._new_id = lambda: next(ids)
    documents = []
    for n, (data, content_type, filename) in enumerate(CORPUS):
        documents.append(upload(lam, data, content_type, filename))
        if n % 4 == 0:
            upload(lam, f"bob's {n}".encode(), "text/plain", f"Report bob {n}.txt", caller=BOB)
    return documents


def walk(lam: Lambda, query: dict[str, str], *, caller: str = ALICE) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following nextCursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        page_query = {**query, **({"cursor": cursor} if cursor else {})}
        response = lam.call(make_event("GET", "/documents", query=page_query, caller=caller))
        assert response["statusCode"] == 200, response["body"]
        page = body_json(response)
        assert set(page) == {"items", "nextCursor"}
        pages.append(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the listing does not end"


def expected(
    corpus: list[dict[str, Any]], *, order: str | None, content_type: str | None, q: str | None
) -> list[dict[str, Any]]:
    """What the listing must return, computed from the upload answers (independently of the service)."""
    selected = [
        document
        for document in corpus
        if (content_type is None or document["contentType"] == content_type)
        and (q is None or (document["filename"] or "").casefold().startswith(q.casefold()))
    ]
    return selected if order == "oldest" else selected[::-1]


@pytest.mark.parametrize("limit", ["1", "4"])
@pytest.mark.parametrize("q", [None, "report", "ÄRGER", "strasse"])
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/pdf"])
@pytest.mark.parametrize("order", ["newest", "oldest"])  # the default: test_the_default_is_newest_first...
def test_every_combination_pages_through_exactly_the_matching_documents(
    lam: Lambda,
    corpus: list[dict[str, Any]],
    order: str | None,
    content_type: str | None,
    q: str | None,
    limit: str,
) -> None:
    query = {"limit": limit}
    for name, value in (("order", order), ("contentType", content_type), ("q", q)):
        if value is not None:
            query[name] = value
    wanted = expected(corpus, order=order, content_type=content_type, q=q)

    pages = walk(lam, query)

    assert [item for page in pages for item in page] == wanted
    assert all(len(page) <= int(limit) for page in pages)
    if len(wanted) > int(limit):
        assert len(pages) > 1
    if q is None:  # without a filter every page but the last is full, and the last is never empty
        assert all(len(page) == int(limit) for page in pages[:-1])
        assert pages[-1] or not wanted


def test_the_default_is_newest_first_twenty_a_page(lam: Lambda, corpus: list[dict[str, Any]]) -> None:
    page = body_json(lam.call(make_event("GET", "/documents")))

    assert page == {"items": corpus[::-1], "nextCursor": None}


def test_items_carry_full_metadata(lam: Lambda, corpus: list[dict[str, Any]]) -> None:
    page = body_json(lam.call(make_event("GET", "/documents", query={"order": "oldest", "limit": "3"})))

    first, second, third = page["items"]
    assert first["filename"] == "Report 1.txt"
    assert (second["contentType"], second["pageCount"]) == ("application/pdf", 1)
    assert (third["filename"], third["width"], third["height"]) == ("Ärger.png", 2, 3)
    for item in page["items"]:
        assert set(item) >= {"id", "contentType", "size", "sha256", "filename", "createdAt"}
        assert body_json(lam.call(make_event("GET", f"/documents/{item['id']}"))) == item


@pytest.mark.parametrize(
    ("q", "filenames"),
    [
        ("report", ["Report 1.txt", "report-2.pdf", "REPORT 3.pdf", "report scan.png", "Report 4.TXT"]),
        ("REPORT ", ["Report 1.txt", "REPORT 3.pdf", "report scan.png", "Report 4.TXT"]),
        ("ärger", ["Ärger.png", "ärger 2.txt"]),
        ("ÄRGER", ["Ärger.png", "ärger 2.txt"]),
        ("straße", ["STRASSE.txt", "Straße map.pdf"]),  # casefold: ß is ss
        ("STRASS", ["STRASSE.txt", "Straße map.pdf"]),
        ("strasse map", ["Straße map.pdf"]),
        ("notes.txt", ["notes.txt"]),
        ("notes.txt ", []),
        ("ort", []),  # a prefix, not a substring
    ],
)
def test_q_is_a_case_insensitive_filename_prefix(
    lam: Lambda, corpus: list[dict[str, Any]], q: str, filenames: list[str]
) -> None:
    pages = walk(lam, {"q": q, "order": "oldest"})

    assert [item["filename"] for page in pages for item in page] == filenames


@pytest.mark.parametrize(
    ("value", "content_type"),
    [("text/plain", "text/plain"), ("TEXT/PLAIN", "text/plain"), ("Image/PNG", "image/png")],
)
def test_content_type_is_compared_in_lower_case(
    lam: Lambda, corpus: list[dict[str, Any]], value: str, content_type: str
) -> None:
    items = [item for page in walk(lam, {"contentType": value}) for item in page]

    assert items == expected(corpus, order=None, content_type=content_type, q=None)
    assert items


@pytest.mark.parametrize(
    "value", ["image/gif", "text/html", "text/plain; charset=utf-8", "text/*", "pdf", " text/plain", ""]
)
def test_an_unsupported_content_type_is_refused_naming_the_allowed_ones(lam: Lambda, value: str) -> None:
    response = lam.call(make_event("GET", "/documents", query={"contentType": value}))

    assert response["statusCode"] == 400
    error = body_json(response)["error"]
    assert error["code"] == "invalid_query_parameter"
    assert (
        error["message"] == "contentType must be one of application/pdf, image/jpeg, image/png, text/plain."
    )


@pytest.mark.parametrize("q", ["", "x" * 256, "tab\there", "new\nline", "nul\x00", "esc\x1b", "c1\x9b"])
def test_a_bad_q_is_refused(lam: Lambda, q: str) -> None:
    response = lam.call(make_event("GET", "/documents", query={"q": q}))

    assert response["statusCode"] == 400
    assert body_json(response)["error"]["code"] == "invalid_query_parameter"


@pytest.mark.parametrize("order", ["NEWEST", "desc", "asc", "", "newest,oldest"])
def test_an_unknown_order_is_refused(lam: Lambda, order: str) -> None:
    response = lam.call(make_event("GET", "/documents", query={"order": order}))

    assert response["statusCode"] == 400
    assert body_json(response)["error"]["code"] == "invalid_query_parameter"


# --- cross-owner isolation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [{}, {"q": "report"}, {"contentType": "text/plain"}, {"order": "oldest", "limit": "1"}]
)
def test_another_callers_documents_never_appear(
    lam: Lambda, corpus: list[dict[str, Any]], query: dict[str, str]
) -> None:
    alice_ids = {document["id"] for document in corpus}

    bob = [item for page in walk(lam, query, caller=BOB) for item in page]
    alice = [item for page in walk(lam, query) for item in page]

    assert bob
    assert all(item["filename"].startswith("Report bob") for item in bob)
    assert not alice_ids & {item["id"] for item in bob}
    assert {item["id"] for item in alice} <= alice_ids


def test_a_caller_with_no_documents_gets_an_empty_page(lam: Lambda, corpus: list[dict[str, Any]]) -> None:
    stranger = "arn:aws:iam::111122223333:user/carol"

    for query in ({}, {"contentType": "application/pdf"}, {"q": "report"}):
        page = body_json(lam.call(make_event("GET", "/documents", query=query, caller=stranger)))
        assert page == {"items": [], "nextCursor": None}


# --- hostile cursors --------------------------------------------------------------------------------


@pytest.fixture
def cursor(lam: Lambda, corpus: list[dict[str, Any]]) -> str:
    """A genuine cursor of Alice's default listing (newest first, 2 a page)."""
    page = body_json(lam.call(make_event("GET", "/documents", query={"limit": "2"})))
    assert page["nextCursor"] is not None
    return str(page["nextCursor"])


def _flip(cursor: str, position: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=="))
    raw[position] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: _flip(c, 0), id="first id byte"),
        pytest.param(lambda c: _flip(c, 15), id="last id byte"),
        pytest.param(lambda c: _flip(c, 16), id="first tag byte"),
        pytest.param(lambda c: _flip(c, 27), id="last tag byte"),
        pytest.param(lambda c: c[:-1], id="truncated by one"),
        pytest.param(lambda c: c[:22], id="truncated to an id-only cursor"),
        pytest.param(lambda c: c + "=", id="padded with ="),
        pytest.param(lambda c: c + "==", id="padded with =="),
        pytest.param(lambda c: c + "A", id="one character more"),
        pytest.param(lambda c: c[:-1] + ("B" if c[-1] == "A" else "A"), id="non-zero trailing bits"),
        pytest.param(lambda c: c.replace("-", "+").replace("_", "/") + "+", id="standard alphabet"),
        pytest.param(lambda c: c.upper(), id="upper case"),
        pytest.param(lambda c: f" {c}", id="leading space"),
        pytest.param(
            lambda c: base64.b64encode(base64.urlsafe_b64decode(c + "==")).decode(), id="padded base64"
        ),
        pytest.param(lambda c: "A" * len(c), id="zeros"),
    ],
)
def test_a_tampered_cursor_is_400(lam: Lambda, cursor: str, tamper: Any) -> None:
    tampered = tamper(cursor)
    assert tampered != cursor

    response = lam.call(make_event("GET", "/documents", query={"limit": "2", "cursor": tampered}))

    assert response["statusCode"] == 400
    assert body_json(response)["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("caller", "query"),
    [
        pytest.param(BOB, {"limit": "2"}, id="another caller"),
        pytest.param(
            "arn:aws:sts::111122223333:assumed-role/OtherRole/alice-session",
            {"limit": "2"},
            id="another role",
        ),
        pytest.param(ALICE, {"limit": "2", "order": "oldest"}, id="other order"),
        pytest.param(ALICE, {"limit": "2", "contentType": "text/plain"}, id="with contentType"),
        pytest.param(ALICE, {"limit": "2", "q": "report"}, id="with q"),
    ],
)
def test_a_cursor_reused_by_another_caller_or_listing_is_400(
    lam: Lambda, cursor: str, caller: str, query: dict[str, str]
) -> None:
    response = lam.call(make_event("GET", "/documents", query={**query, "cursor": cursor}, caller=caller))

    assert response["statusCode"] == 400
    error = body_json(response)["error"]
    assert error["code"] == "invalid_cursor"
    assert "belongs to another listing" in error["message"]


def test_the_same_listing_accepts_its_cursor_with_another_limit(lam: Lambda, cursor: str) -> None:
    response = lam.call(make_event("GET", "/documents", query={"limit": "3", "cursor": cursor}))

    assert response["statusCode"] == 200
    assert len(body_json(response)["items"]) == 3


def test_a_cursor_is_bound_to_the_normalised_caller(lam: Lambda, cursor: str) -> None:
    # Another session of the same role is the same owner (role scope), so the listing is the same one.
    other_session = "arn:aws:sts::111122223333:assumed-role/DocumentWriter/alice-laptop"
    assert normalise_principal(other_session) == normalise_principal(ALICE)

    response = lam.call(
        make_event("GET", "/documents", query={"limit": "2", "cursor": cursor}, caller=other_session)
    )

    assert response["statusCode"] == 200


def test_a_cursor_says_nothing_about_the_partition(lam: Lambda, cursor: str) -> None:
    raw = base64.urlsafe_b64decode(cursor + "==")
    owner_key = normalise_principal(ALICE).owner_key

    assert len(raw) == 28
    assert owner_key.encode() not in raw
    assert bytes.fromhex(owner_key)[:8] not in raw
