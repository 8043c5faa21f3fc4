"""Small, genuinely valid documents of every accepted type, built in code (no binary fixtures).

Each builder states the facts the service should report (page count, dimensions), so tests compare
the API's metadata against what the file really is, not against what the API said before.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

import pypdf


@dataclass(frozen=True)
class Sample:
    """A document to upload and the metadata it should produce."""

    content_type: str
    data: bytes
    facts: dict[str, int] = field(default_factory=dict)


def pdf(pages: int = 3) -> Sample:
    """A PDF with ``pages`` blank pages, written by pypdf."""
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return Sample("application/pdf", buffer.getvalue(), {"pageCount": pages})


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(width: int = 7, height: int = 5) -> Sample:
    """A grayscale PNG of ``width`` x ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes((x * 37) % 256 for x in range(width)) for _ in range(height))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )
    return Sample("image/png", data, {"width": width, "height": height})


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(width: int = 16, height: int = 8) -> Sample:
    """A baseline grayscale JPEG of ``width`` x ``height`` pixels (flat grey: every coefficient zero).

    Both Huffman tables hold one 1-bit code for symbol 0, so each 8x8 block is two 0 bits (DC
    difference 0, then end-of-block); the scan is padded with 1 bits.
    """
    blocks = -(-width // 8) * -(-height // 8)
    bits = "00" * blocks
    bits += "1" * (-len(bits) % 8)
    scan = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    one_code = bytes([1] + [0] * 15) + b"\x00"
    data = (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _segment(0xDB, b"\x00" + bytes([1] * 64))
        + _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + _segment(0xC4, b"\x00" + one_code)
        + _segment(0xC4, b"\x10" + one_code)
        + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + scan
        + b"\xff\xd9"
    )
    return Sample("image/jpeg", data, {"width": width, "height": height})


def text(content: str = "Grüße aus dem Dokumentenspeicher\nline two\n") -> Sample:
    """UTF-8 text (with non-ASCII characters, so a lossy path would show)."""
    return Sample("text/plain", content.encode("utf-8"))


def all_types() -> list[Sample]:
    """One sample of every accepted type."""
    return [pdf(), png(), jpeg(), text()]
