"""Type-specific facts about an uploaded document: PDF page count, image width and height.

The parsers are imported inside the function that needs them, so a cold start that never sees a PDF
never pays for pypdf. Content that passes the signature check but cannot be parsed is refused
(``malformed_document``): the service does not store documents it could not describe.

Describing a document is bounded per document, not per stream (``fact_budget``): bytes read, bytes
decompressed, objects, page-tree depth and time. A document whose fact would cost more than that is
stored *without* the fact, with a warning log line and a ``FactsSkipped`` metric: it may well be a
legitimate document, and refusing it would turn a cost bound into a rejection nobody can fix. So a
reply never waits on a hostile file, and the client sees which fact is missing.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from document_processor.errors import ErrorCode, UnsupportedMediaTypeError
from document_processor.fact_budget import FactBudget, FactBudgetExceeded, MeteredStream
from document_processor.observability import count_fact_skipped
from document_processor.settings import JPEG, PDF, PNG

if TYPE_CHECKING:
    from collections.abc import Callable

PDF_MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Bytes of a PDF pypdf may read while counting pages (re-reads count again)."""
PDF_MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024
"""Total bytes all streams of one PDF may decode to (object and cross-reference streams)."""
PDF_MAX_OBJECTS = 100_000
"""Objects resolved, parsed or decoded while counting pages."""
PDF_MAX_PAGE_TREE_DEPTH = 32
"""Page-tree nesting (real files rarely exceed 4)."""
PDF_SECONDS = 0.6
"""Wall time for counting one PDF's pages (~2 000 blank pages fit in it on the benchmark machine)."""
IMAGE_MAX_INPUT_BYTES = 1024 * 1024
"""Header bytes imagesize may read (it seeks over segments; EXIF is read for the orientation)."""
IMAGE_SECONDS = 0.1
"""Wall time for reading one image's dimensions."""

LOGGER = logging.getLogger("document_processor.metadata")


def pdf_budget() -> FactBudget:
    """A fresh budget for one PDF (its deadline starts now)."""
    return FactBudget(
        max_input_bytes=PDF_MAX_INPUT_BYTES,
        max_decompressed_bytes=PDF_MAX_DECOMPRESSED_BYTES,
        max_objects=PDF_MAX_OBJECTS,
        max_depth=PDF_MAX_PAGE_TREE_DEPTH,
        seconds=PDF_SECONDS,
    )


def image_budget() -> FactBudget:
    """A fresh budget for one image: header reads and time (nothing is decompressed)."""
    return FactBudget(
        max_input_bytes=IMAGE_MAX_INPUT_BYTES,
        max_decompressed_bytes=0,
        max_objects=0,
        max_depth=0,
        seconds=IMAGE_SECONDS,
    )


def describe(media_type: str, data: bytes, budget: FactBudget | None = None) -> dict[str, int]:
    """The type-specific facts for a verified document (empty for plain text).

    ``budget`` defaults to a fresh one for the type, started after the parser is imported (a cold
    import of pypdf is not the document's cost); a fact that would exceed it is left out.
    """
    if media_type == PDF:
        from document_processor import pdf_facts  # deferred: only PDF uploads pay for importing pypdf

        budget = budget or pdf_budget()
        try:
            return {"pageCount": pdf_facts.page_count(io.BytesIO(data), budget)}
        except pdf_facts.MalformedPdfError as error:
            raise UnsupportedMediaTypeError(str(error), code=ErrorCode.MALFORMED_DOCUMENT) from error
        except FactBudgetExceeded as exceeded:
            _skipped("pageCount", exceeded, budget)
            return {}
    if media_type in (PNG, JPEG):
        import imagesize  # deferred: only image uploads pay for importing imagesize

        budget = budget or image_budget()
        try:
            width, height = _image_size(imagesize.get, data, budget)
        except FactBudgetExceeded as exceeded:
            _skipped("dimensions", exceeded, budget)
            return {}
        return {"width": width, "height": height}
    return {}


def _skipped(fact: str, exceeded: FactBudgetExceeded, budget: FactBudget) -> None:
    LOGGER.warning(
        "Document stored without a fact: describing it would exceed the budget",
        extra={"fact": fact, "limit": str(exceeded.limit), **budget.spent()},
    )
    count_fact_skipped(fact, str(exceeded.limit))


def _image_size(
    read_size: Callable[[MeteredStream], tuple[int, int]], data: bytes, budget: FactBudget
) -> tuple[int, int]:
    try:
        width, height = read_size(MeteredStream(io.BytesIO(data), budget))
    except FactBudgetExceeded:
        raise
    except Exception as error:  # imagesize raises on some truncated headers, returns -1 on others
        raise UnsupportedMediaTypeError(
            "The image could not be read.", code=ErrorCode.MALFORMED_DOCUMENT
        ) from error
    if budget.exceeded is not None:  # imagesize turns every exception, the budget's too, into -1
        raise FactBudgetExceeded(budget.exceeded)
    if width <= 0 or height <= 0:
        raise UnsupportedMediaTypeError("The image could not be read.", code=ErrorCode.MALFORMED_DOCUMENT)
    return int(width), int(height)
