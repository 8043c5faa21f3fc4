"""Type-specific facts from real documents; unreadable content is refused, costly content described
without the fact (the complexity bombs are in test_fact_bombs.py)."""

from __future__ import annotations

import io
import zlib

import pypdf
import pytest

from document_processor.errors import UnsupportedMediaTypeError
from document_processor.fact_budget import Limit
from document_processor.metadata import (
    PDF_MAX_DECOMPRESSED_BYTES,
    PDF_MAX_PAGE_TREE_DEPTH,
    describe,
    pdf_budget,
)
from tests.unit.service.samples import make_jpeg, make_pdf, make_png


@pytest.mark.parametrize("pages", [1, 2, 17])
def test_pdf_page_count(pages: int) -> None:
    assert describe("application/pdf", make_pdf(pages)) == {"pageCount": pages}


def test_pdf_with_empty_owner_password_is_counted() -> None:
    writer = pypdf.PdfWriter()
    for _ in range(4):
        writer.add_blank_page(width=10, height=10)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)

    assert describe("application/pdf", buffer.getvalue()) == {"pageCount": 4}


def _pdf_with_pages_object(pages_object: str, *extra_objects: str) -> bytes:
    """A hand-written PDF whose /Pages object is ``pages_object`` (object 2), with correct xref offsets."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", pages_object, *extra_objects]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, text in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n{text}\nendobj\n".encode()
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return body


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\nnothing else",
        _pdf_with_pages_object("<< /Type /Pages /Kids [] /Count 0 >>"),
        _pdf_with_pages_object("<< /Type /Pages /Kids [2 0 R] /Count 1 >>"),
    ],
    ids=["garbage", "no-pages", "self-referencing-page-tree"],
)
def test_unreadable_pdfs_are_malformed(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as raised:
        describe("application/pdf", data)

    assert raised.value.code == "malformed_document"


def _nested_page_tree(depth: int) -> bytes:
    """A page tree ``depth`` /Pages nodes deep with one page at the bottom (objects 2..depth+2)."""
    nodes = [
        f"<< /Type /Pages /Kids [{number + 1} 0 R] /Count 1 >>"
        + ("" if number == 2 else f" /Parent {number - 1} 0 R")
        for number in range(2, depth + 2)
    ]
    page = f"<< /Type /Page /Parent {depth + 1} 0 R /MediaBox [0 0 10 10] >>"
    return _pdf_with_pages_object(nodes[0], *nodes[1:], page)


def test_a_shallow_nested_page_tree_is_counted() -> None:
    assert describe("application/pdf", _nested_page_tree(5)) == {"pageCount": 1}


def _pdf_with_inflating_xref_stream(inflated_bytes: int) -> bytes:
    """A one-page PDF 1.5 whose cross-reference stream inflates to ``inflated_bytes`` (zero padding).

    pypdf must decompress the xref stream to find any object, so this is the cheapest decompression
    bomb that sits on the page-counting path: a few kilobytes that inflate to tens of megabytes.
    """
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
    ]
    body = b"%PDF-1.5\n"
    offsets = []
    for number, text in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n{text}\nendobj\n".encode()
    xref_offset = len(body)
    # /W [1 4 2]: type, offset, generation; object 0 is free, 1-3 are above, 4 is this stream.
    rows = b"\x00" + bytes(4) + (65535).to_bytes(2, "big")
    rows += b"".join(b"\x01" + offset.to_bytes(4, "big") + bytes(2) for offset in [*offsets, xref_offset])
    data = zlib.compress(rows + bytes(max(0, inflated_bytes - len(rows))), 9)
    body += (
        f"4 0 obj\n<< /Type /XRef /Size 5 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length {len(data)} >>"
        "\nstream\n"
    ).encode()
    body += data + f"\nendstream\nendobj\nstartxref\n{xref_offset}\n%%EOF\n".encode()
    return body


def test_decompression_is_bounded() -> None:
    # Given a PDF that pypdf's own defaults would count (so the outcome below is the service's limit)
    bomb = _pdf_with_inflating_xref_stream(PDF_MAX_DECOMPRESSED_BYTES + 1_000_000)
    assert len(bomb) < 100_000
    assert len(pypdf.PdfReader(io.BytesIO(bomb), strict=False).pages) == 1
    assert describe("application/pdf", _pdf_with_inflating_xref_stream(0)) == {"pageCount": 1}
    budget = pdf_budget()

    # When the service describes it, Then it is described without a page count rather than inflated
    assert describe("application/pdf", bomb, budget) == {}
    assert budget.exceeded is Limit.DECOMPRESSED_BYTES
    assert budget.decompressed_bytes <= PDF_MAX_DECOMPRESSED_BYTES


def test_page_tree_depth_is_bounded() -> None:
    budget = pdf_budget()

    assert describe("application/pdf", _nested_page_tree(PDF_MAX_PAGE_TREE_DEPTH + 5), budget) == {}
    assert budget.exceeded is Limit.DEPTH


@pytest.mark.parametrize(
    ("media_type", "data", "facts"),
    [
        ("image/png", make_png(1, 1), {"width": 1, "height": 1}),
        ("image/png", make_png(1024, 3), {"width": 1024, "height": 3}),
        ("image/jpeg", make_jpeg(640, 480), {"width": 640, "height": 480}),
        ("text/plain", b"text", {}),
    ],
)
def test_image_dimensions(media_type: str, data: bytes, facts: dict[str, int]) -> None:
    assert describe(media_type, data) == facts


@pytest.mark.parametrize(
    ("media_type", "data"),
    [("image/png", b"\x89PNG\r\n\x1a\n\x00\x00"), ("image/jpeg", b"\xff\xd8\xff\xe0\x00")],
)
def test_truncated_images_are_malformed(media_type: str, data: bytes) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as raised:
        describe(media_type, data)

    assert raised.value.code == "malformed_document"
