"""Real, small sample documents built in the tests (no binary fixtures checked in)."""

from __future__ import annotations

import io
import struct
import zlib

import pypdf


def make_pdf(pages: int) -> bytes:
    """A real PDF with ``pages`` blank pages, written by pypdf."""
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_png(width: int, height: int) -> bytes:
    """A real greyscale PNG: signature, IHDR, one zlib IDAT of black rows, IEND (each chunk CRC'd)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def make_jpeg(width: int, height: int) -> bytes:
    """A real baseline greyscale JPEG of a flat image.

    Each Huffman table has one 1-bit code (``0``): DC category 0 and AC end-of-block, so every 8x8
    block is the two bits ``00``; the scan is padded with 1 bits as the standard requires.
    """

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quantisation = b"\x00" + bytes([1] * 64)
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    one_code = bytes([1] + [0] * 15)
    huffman = b"\x00" + one_code + b"\x00" + b"\x10" + one_code + b"\x00"
    scan_header = b"\x01\x01\x00\x00\x3f\x00"
    blocks = -(-width // 8) * -(-height // 8)
    bits = "00" * blocks
    bits += "1" * (-len(bits) % 8)
    scan = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xDB, quantisation)
        + segment(0xC0, frame)
        + segment(0xC4, huffman)
        + segment(0xDA, scan_header)
        + scan
        + b"\xff\xd9"
    )
