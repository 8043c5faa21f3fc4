"""Upload pipeline throughput: a ~4 MB PDF through everything the handler does to an upload before S3
(strict base64 decode, size check, Content-Type parse, magic-byte check, filename parsing, PDF page
count, SHA-256, metadata) versus the floor of base64-decoding (the C decoder) and hashing the same
bytes. The S3 write is replaced by a store that discards the bytes, the catalogue write by an in-memory
catalogue. Goal: at least 0.8x the floor's MB/s.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os

from benchmarks._timing import Result, best_of_interleaved
from benchmarks.fakes import DiscardingStore, MemoryCatalogue

GOAL = 0.8
TARGET_BYTES = 4_000_000
CALLER = "arn:aws:iam::111122223333:user/benchmark"


def make_large_pdf(target_bytes: int = TARGET_BYTES) -> bytes:
    """A real 3-page PDF of about ``target_bytes``: random (incompressible) bytes as an attached file."""
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=612, height=792)
    writer.add_attachment("payload.bin", os.urandom(target_bytes))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def run(*, repeat: int = 15, number: int = 5) -> Result:
    """Time both paths on the same base64 body and compare throughput."""
    from document_processor.documents import DocumentService
    from document_processor.events import parse_event
    from document_processor.identity import normalise_principal
    from document_processor.settings import DEFAULT_ALLOWED_CONTENT_TYPES, DEFAULT_MAX_DOCUMENT_BYTES
    from document_processor.validation import decode_body

    pdf = make_large_pdf()
    body = base64.b64encode(pdf).decode("ascii")
    event = {
        "httpMethod": "POST",
        "path": "/documents",
        "headers": {
            "Content-Type": "application/pdf",
            "Content-Disposition": 'attachment; filename="big.pdf"',
        },
        "requestContext": {"requestId": "bench", "identity": {"userArn": CALLER}},
        "body": body,
        "isBase64Encoded": True,
    }
    request = parse_event(event, fallback_request_id="bench")
    caller = normalise_principal(CALLER)
    service = DocumentService(
        DiscardingStore(),  # type: ignore[arg-type]
        MemoryCatalogue(),  # type: ignore[arg-type]
        allowed_content_types=frozenset(DEFAULT_ALLOWED_CONTENT_TYPES),
    )

    def pipeline() -> None:
        data = decode_body(request, max_bytes=DEFAULT_MAX_DOCUMENT_BYTES)
        upload = service.prepare_upload(
            data,
            content_type_header=request.headers.get("content-type"),
            content_disposition_header=request.headers.get("content-disposition"),
        )
        service.store(caller, upload)

    def floor() -> None:
        hashlib.sha256(binascii.a2b_base64(body)).digest()

    pipeline()  # imports pypdf once, as the first PDF upload of an execution environment would
    megabytes = len(pdf) / 1_000_000
    pipeline_seconds, floor_seconds = best_of_interleaved(pipeline, floor, repeat=repeat, number=number)
    ratio = floor_seconds / pipeline_seconds
    return Result(
        name=f"upload pipeline ({megabytes:.1f} MB PDF) vs base64-decode + SHA-256",
        ratio=ratio,
        goal=f">= {GOAL}x the floor's throughput",
        met=ratio >= GOAL,
        details=[
            f"pipeline {megabytes / pipeline_seconds:,.0f} MB/s ({pipeline_seconds * 1000:.2f} ms), "
            f"floor {megabytes / floor_seconds:,.0f} MB/s ({floor_seconds * 1000:.2f} ms); "
            f"best of {repeat} x {number}",
        ],
    )
