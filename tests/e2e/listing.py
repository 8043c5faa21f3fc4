"""Helpers of the listing tests: walk ``GET /documents`` page by page, upload named documents, forge cursors.

Every test tags its filenames with a fresh random prefix and lists with ``q=<tag>``, so against a
deployed stack (where the callers are shared and may own other documents) a listing still holds only
what the test uploaded. Locally each client is a fresh caller, so there the whole listing is known too.
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    import httpx

    from tests.e2e.targets import ApiClient

Page = tuple[list[dict[str, Any]], str | None]
"""One page: its items and its ``nextCursor``."""
MAX_PAGES = 500
"""A walk longer than this is a cursor that never ends (a bug), not a big listing."""


def new_tag() -> str:
    """A filename prefix no other test (or run) uses: 10 lower-case hex digits and a dash."""
    return f"{uuid.uuid4().hex[:10]}-"


def list_page(client: ApiClient, **params: str | int) -> httpx.Response:
    """``GET /documents`` with ``params`` (``None`` values left out)."""
    return client.request("GET", "/documents", params={k: str(v) for k, v in params.items() if v is not None})


def page_of(response: httpx.Response) -> Page:
    """The page a 200 answer holds; anything else fails the test with the body."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "nextCursor"}
    return body["items"], body["nextCursor"]


def walk(client: ApiClient, **params: str | int | None) -> list[list[dict[str, Any]]]:
    """Every page of one listing, from the first to the one whose ``nextCursor`` is null."""
    fixed = {name: value for name, value in params.items() if value is not None}
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        items, cursor = page_of(list_page(client, **fixed, **({"cursor": cursor} if cursor else {})))
        pages.append(items)
        if cursor is None:
            return pages
    raise AssertionError(f"the listing {params} did not end after {MAX_PAGES} pages")


def ids_of(pages: list[list[dict[str, Any]]]) -> list[str]:
    """The ids of every item of every page, in order."""
    return [item["id"] for page in pages for item in page]


def disposition(filename: str) -> dict[str, str]:
    """A ``Content-Disposition`` header naming ``filename`` (RFC 8187 form, so any character survives)."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"}


def upload_named(client: ApiClient, data: bytes, content_type: str, filename: str | None) -> dict[str, Any]:
    """Upload ``data`` (with ``filename`` when given); the 201 body."""
    response = client.upload(data, content_type, **(disposition(filename) if filename else {}))
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def decode_cursor_bytes(cursor: str) -> bytes:
    """The bytes inside a cursor (unpadded base64url), for tests that tamper with them."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def encode_cursor_bytes(data: bytes) -> str:
    """Bytes as a cursor's canonical text (unpadded base64url)."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
