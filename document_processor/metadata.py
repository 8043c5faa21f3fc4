"""Type-specific facts about an uploaded document: PDF page count, image width and height.

The parsers are imported inside the function that needs them, so a cold start that never sees a PDF
never pays for pypdf. Content that passes the signature check but cannot be parsed is refused
(``malformed_document``): the service does not store documents it could not describe.

pypdf is run with explicit resource limits: the body is already capped at a few megabytes, but a
hostile PDF can still declare huge decompressed streams or page trees, so decompression output,
page-tree size and depth are bounded well below pypdf's generous defaults.
"""

from __future__ import annotations

import io
from typing import Any

from document_processor.errors import ErrorCode, UnsupportedMediaTypeError
from document_processor.settings import JPEG, PDF, PNG

PDF_MAX_DECOMPRESSED_BYTES = 32_000_000
"""Ceiling on any one decompressed stream while reading a PDF's structure."""
PDF_MAX_PAGE_TREE_ENTRIES = 50_000
"""Ceiling on page-tree nodes visited while counting pages."""
PDF_MAX_PAGE_TREE_DEPTH = 32
"""Ceiling on page-tree nesting (real files rarely exceed 4)."""
PDF_MAX_ARRAY_ELEMENTS = 50_000
"""Ceiling on elements of any one array or dictionary parsed."""


def describe(media_type: str, data: bytes) -> dict[str, int]:
    """The type-specific facts for a verified document (empty for plain text)."""
    if media_type == PDF:
        return {"pageCount": _pdf_page_count(data)}
    if media_type in (PNG, JPEG):
        width, height = _image_size(data)
        return {"width": width, "height": height}
    return {}


def _pdf_page_count(data: bytes) -> int:
    import pypdf  # deferred: only PDF uploads pay for importing pypdf

    limits: dict[str, Any] = {
        "zlib_maximum_output_length": PDF_MAX_DECOMPRESSED_BYTES,
        "lzw_maximum_output_length": PDF_MAX_DECOMPRESSED_BYTES,
        "run_length_maximum_output_length": PDF_MAX_DECOMPRESSED_BYTES,
        "array_based_stream_maximum_output_length": PDF_MAX_DECOMPRESSED_BYTES,
        "maximum_declared_stream_length": PDF_MAX_DECOMPRESSED_BYTES,
        "page_tree_maximum_entries": PDF_MAX_PAGE_TREE_ENTRIES,
        "page_tree_maximum_depth": PDF_MAX_PAGE_TREE_DEPTH,
        "array_maximum_element_count": PDF_MAX_ARRAY_ELEMENTS,
        "dictionary_maximum_element_count": PDF_MAX_ARRAY_ELEMENTS,
        "jbig2dec_binary": None,
        "disable_legacy_handling": True,
    }
    try:
        with pypdf.apply_configuration(**limits):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                reader.decrypt("")
            pages = len(reader.pages)
    except Exception as error:  # pypdf signals bad input with many unrelated exception types
        raise UnsupportedMediaTypeError(
            "The PDF could not be read.", code=ErrorCode.MALFORMED_DOCUMENT
        ) from error
    if pages < 1:
        raise UnsupportedMediaTypeError("The PDF has no pages.", code=ErrorCode.MALFORMED_DOCUMENT)
    return pages


def _image_size(data: bytes) -> tuple[int, int]:
    import imagesize  # deferred: only image uploads pay for importing imagesize

    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception as error:  # imagesize raises on some truncated headers, returns -1 on others
        raise UnsupportedMediaTypeError(
            "The image could not be read.", code=ErrorCode.MALFORMED_DOCUMENT
        ) from error
    if width <= 0 or height <= 0:
        raise UnsupportedMediaTypeError("The image could not be read.", code=ErrorCode.MALFORMED_DOCUMENT)
    return int(width), int(height)
