"""The catalogue over HTTP: ``GET /documents`` with full metadata, order, filters, limits and cursors.

Each test tags its filenames with a fresh prefix and filters on it with ``q``, so it sees only its own
documents against a deployed stack too; checks that need the caller's whole listing (exact page sizes,
listings without ``q``) run where the caller is fresh, i.e. locally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e import samples
from tests.e2e.assertions import assert_service_error
from tests.e2e.listing import (
    decode_cursor_bytes,
    encode_cursor_bytes,
    ids_of,
    list_page,
    new_tag,
    page_of,
    upload_named,
    walk,
)

if TYPE_CHECKING:
    from tests.e2e.targets import ApiClient, Target

TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain")
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "text/plain": "txt"}


def _upload_texts(client: ApiClient, tag: str, count: int) -> list[str]:
    """``count`` small text documents named ``<tag><n>.txt``, uploaded in order; their ids."""
    return [
        upload_named(client, f"document {n}\n".encode(), "text/plain", f"{tag}{n}.txt")["id"]
        for n in range(count)
    ]


def _one_of_each_type(client: ApiClient, tag: str) -> dict[str, dict[str, Any]]:
    """A PDF, a PNG, a JPEG and a text named ``<tag>sample.<ext>``: the upload answers by type."""
    uploaded = {}
    for sample in samples.all_types():
        filename = f"{tag}sample.{EXTENSIONS[sample.content_type]}"
        uploaded[sample.content_type] = upload_named(client, sample.data, sample.content_type, filename)
    return uploaded


def test_items_carry_the_same_metadata_as_get_document(alice: ApiClient) -> None:
    tag = new_tag()
    uploaded = _one_of_each_type(alice, tag)
    upload_named(alice, b"no name\n", "text/plain", None)

    items = [item for page in walk(alice, q=tag) for item in page]

    assert sorted(item["id"] for item in items) == sorted(d["id"] for d in uploaded.values())
    for item in items:
        described = alice.request("GET", f"/documents/{item['id']}")
        assert described.status_code == 200, described.text
        assert item == described.json()
        assert item == uploaded[item["contentType"]]
    by_type = {item["contentType"]: item for item in items}
    assert by_type["application/pdf"]["pageCount"] == samples.pdf().facts["pageCount"]
    assert (by_type["image/png"]["width"], by_type["image/png"]["height"]) == (7, 5)
    assert (by_type["image/jpeg"]["width"], by_type["image/jpeg"]["height"]) == (16, 8)
    assert by_type["text/plain"]["filename"] == f"{tag}sample.txt"
    assert all(len(item["sha256"]) == 64 and item["size"] > 0 and item["createdAt"] for item in items)


def test_a_fresh_callers_listing_is_exactly_their_documents_with_full_metadata(
    target: Target, alice: ApiClient
) -> None:
    if target.deployed:
        pytest.skip("a deployed caller may own other documents; the q-filtered tests cover deployed stacks")
    assert page_of(list_page(alice)) == ([], None)
    unnamed = upload_named(alice, b"unnamed\n", "text/plain", None)
    items, cursor = page_of(list_page(alice))
    assert (items, cursor) == ([unnamed], None)
    assert unnamed["filename"] is None


def test_default_order_is_newest_first_and_oldest_reverses_it(alice: ApiClient) -> None:
    tag = new_tag()
    uploaded = _upload_texts(alice, tag, 4)

    newest = ids_of(walk(alice, q=tag))
    assert newest == uploaded[::-1]
    assert ids_of(walk(alice, q=tag, order="newest")) == newest
    assert ids_of(walk(alice, q=tag, order="oldest")) == uploaded
    created = [item["createdAt"] for item in walk(alice, q=tag)[0]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("content_type", TYPES)
def test_content_type_filter_keeps_one_type(alice: ApiClient, content_type: str) -> None:
    tag = new_tag()
    uploaded = _one_of_each_type(alice, tag)
    second = upload_named(alice, uploaded[content_type]["sha256"].encode(), "text/plain", f"{tag}extra.txt")

    listed = ids_of(walk(alice, q=tag, contentType=content_type))
    oldest = ids_of(walk(alice, q=tag, contentType=content_type, order="oldest"))

    expected = [uploaded[content_type]["id"]] + ([second["id"]] if content_type == "text/plain" else [])
    assert listed == expected[::-1]
    assert oldest == expected
    assert ids_of(walk(alice, q=tag, contentType=content_type.upper())) == listed


def test_content_type_filter_pages_in_date_order(target: Target, alice: ApiClient) -> None:
    tag = new_tag()
    texts: list[str] = []
    for n in range(5):
        texts.append(upload_named(alice, f"text {n}\n".encode(), "text/plain", f"{tag}{n}.txt")["id"])
        upload_named(alice, samples.png(width=n + 1).data, "image/png", f"{tag}{n}.png")

    pages = walk(alice, q=tag, contentType="text/plain", limit=2)
    oldest = walk(alice, q=tag, contentType="text/plain", limit=2, order="oldest")

    assert ids_of(pages) == texts[::-1]
    assert ids_of(oldest) == texts
    if not target.deployed:  # locally nothing else is in the caller's partition
        assert [len(page) for page in pages] == [2, 2, 1]
        assert ids_of(walk(alice, contentType="text/plain", limit=2)) == texts[::-1]


def test_q_is_a_case_insensitive_filename_prefix(alice: ApiClient) -> None:
    tag = new_tag()
    names = ["Report.txt", "report-2.txt", "REPORTER.txt", "notes.txt", "Straße.txt"]
    ids = {name: upload_named(alice, name.encode(), "text/plain", f"{tag}{name}")["id"] for name in names}
    upload_named(alice, b"no filename\n", "text/plain", None)

    def found(q: str) -> set[str]:
        return set(ids_of(walk(alice, q=q)))

    reports = {ids["Report.txt"], ids["report-2.txt"], ids["REPORTER.txt"]}
    assert found(f"{tag}report") == reports
    assert found(f"{tag}REPORT".upper()) == reports  # the tag's hex letters too
    assert found(f"{tag}report-") == {ids["report-2.txt"]}
    assert found(f"{tag}strasse") == found(f"{tag}STRASSE") == found(f"{tag}straße") == {ids["Straße.txt"]}
    assert found(f"{tag}notes.txt") == {ids["notes.txt"]}
    assert found(f"{tag}notes.txt ") == set()
    assert found(f"{tag}eport") == set()  # a prefix, not a substring
    assert not found("report") & set(ids.values())  # the tag comes first: "report" is inside, not a prefix


def test_q_pages_may_be_short_but_following_the_cursor_finds_every_match(
    target: Target, alice: ApiClient
) -> None:
    if target.deployed:
        pytest.skip("needs a caller whose partition holds only this test's documents")
    tag = new_tag()
    ids = [
        upload_named(
            alice, f"{n}\n".encode(), "text/plain", f"{tag}{'needle' if n in (0, 1) else 'hay'}-{n}.txt"
        )["id"]
        for n in range(6)
    ]

    pages = walk(alice, q=f"{tag}needle", limit=2)

    # Newest first, at least two items read per page: the newest hold no needle, so the first page
    # is empty and still has a cursor (the filter applies after the page is read; documented).
    assert pages[0] == []
    assert len(pages) >= 2
    assert ids_of(pages) == [ids[1], ids[0]]


def test_limit_bounds_the_page(target: Target, alice: ApiClient) -> None:
    tag = new_tag()
    uploaded = _upload_texts(alice, tag, 3)

    one, cursor = page_of(list_page(alice, q=tag, limit=1))
    everything, end = page_of(list_page(alice, q=tag, limit=100))

    assert [item["id"] for item in one] == uploaded[-1:]
    assert cursor is not None
    assert [item["id"] for item in everything] == uploaded[::-1]
    assert end is None
    for limit in ("0", "101", "-1", "1e2", "\uff12"):
        assert_service_error(list_page(alice, limit=limit), 400, "invalid_limit")


def test_paging_through_several_pages_has_no_duplicates_or_gaps(target: Target, alice: ApiClient) -> None:
    tag = new_tag()
    uploaded = _upload_texts(alice, tag, 25)

    by_seven = walk(alice, q=tag, limit=7)
    oldest = walk(alice, q=tag, limit=7, order="oldest")
    default_limit = walk(alice, q=tag)

    assert ids_of(by_seven) == uploaded[::-1]
    assert ids_of(oldest) == uploaded
    assert ids_of(default_limit) == uploaded[::-1]
    assert all(len(page) <= 7 for page in by_seven + oldest)
    if not target.deployed:
        assert [len(page) for page in by_seven] == [7, 7, 7, 4]
        assert [len(page) for page in default_limit] == [20, 5]


def test_the_page_size_may_change_between_pages(alice: ApiClient) -> None:
    tag = new_tag()
    uploaded = _upload_texts(alice, tag, 5)
    first, cursor = page_of(list_page(alice, q=tag, limit=2))
    assert cursor is not None
    rest, end = page_of(list_page(alice, q=tag, limit=100, cursor=cursor))
    assert [item["id"] for item in first + rest] == uploaded[::-1]
    assert end is None


def test_a_cursor_survives_writes_and_the_deletion_of_its_own_document(alice: ApiClient) -> None:
    tag = new_tag()
    uploaded = _upload_texts(alice, tag, 5)
    first, cursor = page_of(list_page(alice, q=tag, limit=2))
    assert [item["id"] for item in first] == [uploaded[4], uploaded[3]]
    assert cursor is not None

    # The document the cursor points after is deleted, and a newer one arrives
    assert alice.request("DELETE", f"/documents/{uploaded[3]}").status_code == 204
    newer = _upload_texts(alice, f"{tag}new-", 1)

    rest, _ = page_of(list_page(alice, q=tag, limit=100, cursor=cursor))
    # The rest continues exactly where the first page ended: the newer document is before the
    # cursor's position (it shows on a new first page), nothing is repeated, nothing skipped.
    assert [item["id"] for item in rest] == [uploaded[2], uploaded[1], uploaded[0]]
    assert ids_of(walk(alice, q=tag, limit=2)) == [newer[0], uploaded[4], *uploaded[2::-1]]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("order", "Newest"),
        ("order", "random"),
        ("order", ""),
        ("contentType", "text/html"),
        ("contentType", "image/*"),
        ("contentType", "text/plain; charset=utf-8"),
        ("contentType", ""),
        ("q", ""),
        ("q", "x" * 256),
        ("q", "a\x00b"),
        ("q", "line\nbreak"),
        ("q", "tab\tseparated"),
        ("q", "\x7f"),
    ],
)
def test_invalid_order_type_or_prefix_is_refused(alice: ApiClient, name: str, value: str) -> None:
    assert_service_error(list_page(alice, **{name: value}), 400, "invalid_query_parameter")


def test_the_longest_prefix_is_accepted(alice: ApiClient) -> None:
    assert page_of(list_page(alice, q="x" * 255))[0] == []
    assert page_of(list_page(alice, q="é" * 255))[0] == []


@pytest.mark.parametrize("name", ["order", "contentType", "q"])
def test_a_repeated_filter_is_refused(alice: ApiClient, name: str) -> None:
    value = {"order": "oldest", "contentType": "text/plain", "q": "a"}[name]
    response = alice.request("GET", "/documents", params=[(name, value), (name, value)])
    assert_service_error(response, 400, "invalid_query_parameter")


# Hostile cursors ------------------------------------------------------------------------------------


@pytest.fixture
def issued(alice: ApiClient) -> tuple[str, str]:
    """(tag, a real cursor of alice's ``q=<tag>, limit=1`` listing of three documents)."""
    tag = new_tag()
    _upload_texts(alice, tag, 3)
    _, cursor = page_of(list_page(alice, q=tag, limit=1))
    assert cursor is not None
    return tag, cursor


def _assert_invalid_cursor(response: Any) -> str:
    assert_service_error(response, 400, "invalid_cursor")
    message: str = response.json()["error"]["message"]
    return message


def test_the_issued_cursor_continues_the_listing(alice: ApiClient, issued: tuple[str, str]) -> None:
    tag, cursor = issued
    items, _ = page_of(list_page(alice, q=tag, limit=1, cursor=cursor))
    assert len(items) == 1
    # order=newest is the default spelled out: the same listing, so the same cursor is valid
    assert page_of(list_page(alice, q=tag, limit=1, order="newest", cursor=cursor))[0] == items


@pytest.mark.parametrize(
    "forge",
    [
        lambda c: "x",
        lambda c: "!" * len(c),
        lambda c: "A" * len(c),
        lambda c: c[:-1],
        lambda c: c[:-4],
        lambda c: c[:22],
        lambda c: c + "A",
        lambda c: c + "==",
        lambda c: c[:-1] + chr(ord(c[-1]) + 1),  # non-zero padding bits: not canonical
        lambda c: c.replace("-", "+").replace("_", "/") if ("-" in c or "_" in c) else c[:-2] + "+" + c[-1],
        lambda c: c[::-1],
        lambda c: c.upper() if c.upper() != c else c.lower(),
        lambda c: encode_cursor_bytes(decode_cursor_bytes(c)[:16]),  # only the position, no binding
        lambda c: encode_cursor_bytes(bytes(16)),  # the old format: an id alone
        lambda c: "%2e%2e%2f" + c,
    ],
    ids=[
        "garbage",
        "not-base64url",
        "all-zero-bytes",
        "truncated-by-one",
        "truncated-by-four",
        "old-length",
        "extended",
        "padded",
        "non-canonical",
        "standard-alphabet",
        "reversed",
        "case-changed",
        "position-without-binding",
        "old-format",
        "traversal-prefix",
    ],
)
def test_a_forged_cursor_is_refused(alice: ApiClient, issued: tuple[str, str], forge: Any) -> None:
    tag, cursor = issued
    forged = forge(cursor)
    assert forged != cursor
    _assert_invalid_cursor(list_page(alice, q=tag, limit=1, cursor=forged))


def test_every_single_bit_flip_of_a_cursor_is_refused(alice: ApiClient, issued: tuple[str, str]) -> None:
    tag, cursor = issued
    data = decode_cursor_bytes(cursor)
    accepted = []
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        response = list_page(alice, q=tag, limit=1, cursor=encode_cursor_bytes(bytes(flipped)))
        if response.status_code != 400:
            accepted.append((bit, response.status_code))
        else:
            _assert_invalid_cursor(response)
    assert accepted == []


def test_another_callers_cursor_is_refused_both_ways(alice: ApiClient, bob: ApiClient) -> None:
    tag = new_tag()
    _upload_texts(alice, tag, 2)
    _upload_texts(bob, tag, 2)
    _, alices = page_of(list_page(alice, q=tag, limit=1))
    _, bobs = page_of(list_page(bob, q=tag, limit=1))
    assert alices is not None
    assert bobs is not None

    message = _assert_invalid_cursor(list_page(bob, q=tag, limit=1, cursor=alices))
    _assert_invalid_cursor(list_page(alice, q=tag, limit=1, cursor=bobs))
    assert "another listing" in message.lower()
    # Each caller's own cursor still works
    assert len(page_of(list_page(alice, q=tag, limit=1, cursor=alices))[0]) == 1


@pytest.mark.parametrize(
    ("issued_with", "used_with"),
    [
        ({}, {"order": "oldest"}),
        ({"order": "oldest"}, {}),
        ({"order": "oldest"}, {"order": "newest"}),
        ({}, {"contentType": "text/plain"}),
        ({"contentType": "text/plain"}, {}),
        ({"contentType": "text/plain"}, {"contentType": "image/png"}),
        ({}, {"q": "a"}),
        ({"q": "a"}, {}),
        ({"q": "a"}, {"q": "ab"}),
        ({"q": "a", "contentType": "text/plain"}, {"q": "a"}),
    ],
    ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()) or "none",
)
def test_a_cursor_reused_with_another_filter_is_refused(
    alice: ApiClient, issued_with: dict[str, str], used_with: dict[str, str]
) -> None:
    tag = new_tag()
    _upload_texts(alice, f"{tag}a", 3)

    def tagged(params: dict[str, str]) -> dict[str, str]:
        return {name: f"{tag}{value}" if name == "q" else value for name, value in params.items()}

    _, cursor = page_of(list_page(alice, limit=1, **tagged(issued_with)))
    assert cursor is not None

    message = _assert_invalid_cursor(list_page(alice, limit=1, cursor=cursor, **tagged(used_with)))
    assert "another listing" in message.lower()


# Callers kept apart ---------------------------------------------------------------------------------


def test_bob_never_sees_alices_documents_through_any_filter(
    target: Target, alice: ApiClient, bob: ApiClient
) -> None:
    tag = new_tag()
    alices = {document["id"] for document in _one_of_each_type(alice, tag).values()}
    bobs = {upload_named(bob, b"bob's\n", "text/plain", f"{tag}sample-bob.txt")["id"]}

    for order in (None, "newest", "oldest"):
        for content_type in (None, *TYPES):
            for q in (None, tag, f"{tag}sample", f"{tag}SAMPLE.PDF"):
                for limit in (1, 100) if q else (100,):
                    seen = set(ids_of(walk(bob, order=order, contentType=content_type, q=q, limit=limit)))
                    assert not seen & alices, (order, content_type, q, limit)
                    bob_would_match = content_type in (None, "text/plain") and q != f"{tag}SAMPLE.PDF"
                    if q is not None or not target.deployed:
                        assert seen == (bobs if bob_would_match else set()), (order, content_type, q, limit)
    assert set(ids_of(walk(alice, q=tag))) == alices
