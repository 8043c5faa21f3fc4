"""Hostile PDFs built in code: each is small on the wire and expensive to describe naively.

``PdfFile`` writes a PDF 1.5 file by hand: plain objects, object streams and a cross-reference stream,
with correct offsets unless told to break them. ``NAMES`` lists every complexity bomb and ``bomb(name)``
builds it with what the service must answer for it (``benchmarks/fact_bombs.py`` times the same files).
"""

from __future__ import annotations

import functools
import zlib
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

MB = 1_000_000
CATALOG = "<< /Type /Catalog /Pages 2 0 R >>"
LEAF = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"


class PdfFile:
    """A hand-written PDF 1.5: object 1 is the catalog; objects may live in object streams."""

    def __init__(self) -> None:
        self.objects: dict[int, bytes] = {}
        self.streams: dict[int, tuple[list[tuple[int, str]], bytes]] = {}

    def add(self, number: int, text: str) -> None:
        """A plain (top-level) object."""
        self.objects[number] = text.encode()

    def add_stream(self, number: int, members: list[tuple[int, str]], *, padding: bytes = b"") -> None:
        """An object stream holding ``members``, its decoded data followed by ``padding``."""
        self.streams[number] = (members, padding)

    def build(self, *, broken_xref: bool = False, predictor_rows: int = 0) -> bytes:
        """The file; ``broken_xref`` points startxref at nothing, forcing pypdf to rebuild the table.

        ``predictor_rows`` PNG-predicts the cross-reference stream with one-byte columns and pads it with
        that many extra rows (pypdf undoes prediction row by row in Python).
        """
        body = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        offsets: dict[int, int] = {}
        inside: dict[int, tuple[int, int]] = {}
        for number, text in self.objects.items():
            offsets[number] = len(body)
            body += b"%d 0 obj\n%s\nendobj\n" % (number, text)
        for number, (members, padding) in self.streams.items():
            header, content = b"", b""
            for index, (member, member_text) in enumerate(members):
                header += b"%d %d " % (member, len(content))
                content += member_text.encode() + b"\n"
                inside[member] = (number, index)
            data = _zlib(header + content, padding)
            offsets[number] = len(body)
            body += (
                b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                % (number, len(members), len(header), len(data))
                + data
                + b"\nendstream\nendobj\n"
            )
        xref_number = max([*offsets, *inside]) + 1
        xref_offset = len(body)
        offsets[xref_number] = xref_offset
        rows = []
        for number in range(xref_number + 1):
            if number in offsets:
                rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00")
            elif number in inside:
                stream, index = inside[number]
                rows.append(b"\x02" + stream.to_bytes(4, "big") + index.to_bytes(2, "big"))
            else:
                rows.append(b"\x00" + bytes(4) + b"\xff\xff")
        parameters = ""
        table = b"".join(rows)
        if predictor_rows:
            # /Columns 1 with /W [1 4 2] is inconsistent on purpose: every byte is its own row.
            table = b"".join(b"\x00" + bytes([byte]) for byte in table) + b"\x00\x00" * predictor_rows
            parameters = " /DecodeParms << /Predictor 12 /Columns 1 >>"
        data = zlib.compress(table, 9)
        body += (
            b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode%s /Length %d >>"
            b"\nstream\n"
            % (xref_number, xref_number + 1, parameters.encode(), len(data))
            + data
            + b"\nendstream\nendobj\n"
        )
        startxref = len(body) + 7 if broken_xref else xref_offset
        return bytes(body + b"startxref\n%d\n%%%%EOF\n" % startxref)


def _zlib(prefix: bytes, padding: bytes) -> bytes:
    """``zlib.compress(prefix + padding, 9)``, reusing the padding's compressed form across calls."""
    head = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    blocks = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)  # later blocks need nothing before
    final = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty last block
    checksum = zlib.adler32(padding, zlib.adler32(prefix))
    return b"\x78\xda" + blocks + _deflated(padding) + final + checksum.to_bytes(4, "big")


@functools.cache
def _deflated(data: bytes) -> bytes:
    """Raw deflate blocks of ``data``, none of them final, independent of what precedes them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def pages_node(kids: list[int], count: int | None = None, parent: int | None = None) -> str:
    """A /Pages node over ``kids`` (object numbers), with ``count`` as its (possibly lying) /Count."""
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    parent_entry = f" /Parent {parent} 0 R" if parent else ""
    return f"<< /Type /Pages /Kids [{refs}] /Count {len(kids) if count is None else count}{parent_entry} >>"


def valid_object_streams(pages: int, per_stream: int = 50) -> bytes:
    """A well-formed PDF 1.5 whose pages live in object streams of ``per_stream`` pages each."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([100 + page for page in range(pages)]))
    for first in range(0, pages, per_stream):
        members = [(100 + page, LEAF) for page in range(first, min(first + per_stream, pages))]
        pdf.add_stream(100 + pages + first, members)
    return pdf.build()


def padded_object_streams(pages: int, padding: int = 31 * MB) -> bytes:
    """The review's bomb: each page alone in an object stream that inflates to ``padding`` bytes."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([100 + page for page in range(pages)]))
    for page in range(pages):
        pdf.add_stream(1000 + page, [(100 + page, LEAF)], padding=b" " * padding)
    return pdf.build()


def tiny_object_streams(pages: int) -> bytes:
    """Thousands of tiny object streams, one page each: cheap bytes, many decodes and objects."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([100 + page for page in range(pages)]))
    for page in range(pages):
        pdf.add_stream(100 + pages + page, [(100 + page, LEAF)])
    return pdf.build()


def deep_page_tree(depth: int) -> bytes:
    """A chain of ``depth`` /Pages nodes (objects 2..depth+1) with one page at the bottom."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    for number in range(2, depth + 2):
        pdf.add(number, pages_node([number + 1], count=1, parent=number - 1 if number > 2 else None))
    pdf.add(depth + 2, f"<< /Type /Page /Parent {depth + 1} 0 R >>")
    return pdf.build()


def looping_page_tree() -> bytes:
    """A page tree whose grandchild lists the root among its kids (2 -> 3 -> 2)."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([3, 4]))
    pdf.add(3, pages_node([2], parent=2))
    pdf.add(4, LEAF)
    return pdf.build()


def lying_count(pages: int, claimed: int) -> bytes:
    """``pages`` real pages under a root whose /Count claims ``claimed``."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([10 + page for page in range(pages)], count=claimed))
    for page in range(pages):
        pdf.add(10 + page, LEAF)
    return pdf.build()


def missing_kids(kids: int) -> bytes:
    """A root whose kids are all undefined: pypdf searches the whole file once for each."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([10 + kid for kid in range(kids)]))
    pdf.add(3, "(" + "x" * (2 * MB) + ")")  # makes each search, and the copy pypdf makes for it, costly
    return pdf.build()


def dense_arrays(arrays: int, elements: int) -> bytes:
    """One page whose object stream also holds ``arrays`` arrays of ``elements`` numbers (slow to parse)."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([10]))
    filler = "[" + "1 " * elements + "]"
    pdf.add_stream(1000, [(10, LEAF), *((20 + index, filler) for index in range(arrays))])
    return pdf.build()


def rebuilt_padded_streams(pages: int, padding: int = 31 * MB) -> bytes:
    """The review's bomb with a broken cross-reference: pypdf rebuilds it, decoding every stream."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([100 + page for page in range(pages)]))
    for page in range(pages):
        pdf.add_stream(1000 + page, [(100 + page, LEAF)], padding=b" " * padding)
    return pdf.build(broken_xref=True)


def predictor_rows(rows: int) -> bytes:
    """A one-page PDF whose cross-reference stream carries ``rows`` one-byte predictor rows."""
    pdf = PdfFile()
    pdf.add(1, CATALOG)
    pdf.add(2, pages_node([3]))
    pdf.add(3, LEAF)
    return pdf.build(predictor_rows=rows)


class Bomb(NamedTuple):
    """A hostile file and what describing it must give: the facts, or ``None`` for a 415."""

    name: str
    data: bytes
    facts: dict[str, int] | None


_CORPUS: dict[str, tuple[Callable[[], bytes], dict[str, int] | None]] = {
    "padded-object-stream": (lambda: padded_object_streams(1), {}),
    "ten-padded-object-streams": (lambda: padded_object_streams(10), {}),
    "rebuilt-xref-padded-streams": (lambda: rebuilt_padded_streams(10), {}),
    "tiny-object-streams": (lambda: tiny_object_streams(20_000), {}),
    "deep-page-tree": (lambda: deep_page_tree(5_000), {}),
    "looping-page-tree": (looping_page_tree, None),
    "lying-count": (lambda: lying_count(3, 2_000_000_000), {"pageCount": 3}),
    "missing-kids": (lambda: missing_kids(5_000), None),
    "dense-arrays": (lambda: dense_arrays(50, 40_000), {}),
    "predictor-rows": (lambda: predictor_rows(4 * MB), {}),
}
NAMES: tuple[str, ...] = tuple(_CORPUS)
"""Every complexity bomb, by name."""


def bomb(name: str) -> Bomb:
    """The bomb ``name``, built now (together they are a few megabytes and take seconds to build)."""
    build, facts = _CORPUS[name]
    return Bomb(name, build(), facts)
