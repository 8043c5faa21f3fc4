"""A PDF's page count within a ``FactBudget``: pypdf for the syntax, the page tree walked here.

Importing this module imports pypdf, so only a request that carries a PDF pays for it.

pypdf bounds each stream and each array, not a document, and offers no hook inside object-stream or
cross-reference parsing. So, within the budget's context only (``_ACTIVE``), three seams charge it:

- every stream pypdf decodes goes through ``_budgeted_decode``, which allows only the filters the
  structure of a PDF uses (Flate, LZW, RunLength, ASCIIHex), caps the stream's output at what the
  budget has left, caps predictor rows (pypdf undoes PNG prediction row by row in Python, ~4 µs a
  row), and charges the output;
- every in-memory stream pypdf parses decoded data from (object and cross-reference streams) is a
  ``_BudgetedBytesIO``, whose reads check the deadline, so no parsing loop outlives it;
- the document itself is read through a ``MeteredStream``, and ``_BudgetedReader`` charges every object
  it resolves or parses.

Outside a budget's context the seams behave exactly like pypdf's own code. The page tree is walked
here rather than through ``len(reader.pages)``, which returns the root's ``/Count`` unverified: leaves
are counted, each node is visited once (a node seen twice is a malformed tree), and depth is charged.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from typing import IO, TYPE_CHECKING, Any, cast

import pypdf
import pypdf._reader
import pypdf.filters
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject

from document_processor.fact_budget import FactBudget, FactBudgetExceeded, Limit, MeteredStream

if TYPE_CHECKING:
    from typing import BinaryIO

    from pypdf.generic import PdfObject, StreamObject

MAX_STREAM_BYTES = 8 * 1024 * 1024
"""Ceiling on any one decoded stream, whatever the budget has left."""
MAX_PREDICTOR_ROWS = 50_000
"""Ceiling on predictor rows undone per stream (a cross-reference stream has one row per object)."""
MAX_ELEMENTS = 50_000
"""Ceiling on elements of any one array or dictionary parsed."""
MAX_RECOVERY_INPUT_BYTES = 65_536
"""Input pypdf may feed its byte-by-byte recovery of a damaged Flate stream."""
STRUCTURE_FILTERS: frozenset[str] = frozenset(
    {"/FlateDecode", "/Fl", "/LZWDecode", "/LZW", "/RunLengthDecode", "/RL", "/ASCIIHexDecode", "/AHx"}
)
"""Filters allowed while reading structure; image codecs and ASCII85 (slow in Python) are refused."""

_ACTIVE: ContextVar[FactBudget | None] = ContextVar("pdf_fact_budget", default=None)
_PYPDF_DECODE = pypdf.filters.decode_stream_data


class MalformedPdfError(Exception):
    """The PDF cannot be read or has no usable page tree (a 415 ``malformed_document``)."""


def page_count(source: BinaryIO, budget: FactBudget) -> int:
    """The number of pages of the PDF in ``source`` (any seekable binary stream), within ``budget``.

    Raises ``FactBudgetExceeded`` when a limit is reached, ``MalformedPdfError`` when the document
    cannot be read or its page tree is empty or revisits a node.
    """
    _install_seams()
    token = _ACTIVE.set(budget)
    try:
        with pypdf.apply_configuration(**_configuration(budget)):
            reader = _BudgetedReader(MeteredStream(source, budget), budget)
            if reader.is_encrypted:
                reader.decrypt("")
            pages = _count_leaves(reader.root_object, budget)
    except (FactBudgetExceeded, MalformedPdfError):
        raise
    except LimitReachedError as error:  # one of pypdf's own limits, set in _configuration
        raise FactBudgetExceeded(budget.exceeded or Limit.PARSER) from error
    except Exception as error:  # pypdf signals bad input with many unrelated exception types
        if budget.exceeded is not None:  # pypdf caught the budget's exception and failed otherwise
            raise FactBudgetExceeded(budget.exceeded) from error
        raise MalformedPdfError("The PDF could not be read.") from error
    finally:
        _ACTIVE.reset(token)
    if budget.exceeded is not None:  # pypdf caught the budget's exception and carried on
        raise FactBudgetExceeded(budget.exceeded)
    if pages < 1:
        raise MalformedPdfError("The PDF has no pages.")
    return pages


def _configuration(budget: FactBudget) -> dict[str, Any]:
    """pypdf's own limits, set at or below the budget's (a per-stream cap is also set per decode)."""
    stream_cap = max(1, min(MAX_STREAM_BYTES, budget.max_decompressed_bytes))
    return {
        "zlib_maximum_output_length": stream_cap,
        "lzw_maximum_output_length": stream_cap,
        "run_length_maximum_output_length": stream_cap,
        "array_based_stream_maximum_output_length": stream_cap,
        "maximum_declared_stream_length": stream_cap,
        "zlib_maximum_recovery_input_length": MAX_RECOVERY_INPUT_BYTES,
        "array_maximum_element_count": MAX_ELEMENTS,
        "dictionary_maximum_element_count": MAX_ELEMENTS,
        "page_tree_maximum_entries": budget.max_objects,
        "page_tree_maximum_depth": budget.max_depth,
        "jbig2dec_binary": None,
        "disable_legacy_handling": True,
    }


def _count_leaves(root: DictionaryObject, budget: FactBudget) -> int:
    """Count the page tree's leaves depth-first, never trusting ``/Count``."""
    pending: list[tuple[Any, int]] = [(root.raw_get("/Pages"), 1)]
    seen: set[tuple[int, int]] = set()
    pages = 0
    while pending:
        reference, depth = pending.pop()
        budget.enter(depth)
        if isinstance(reference, IndirectObject):
            key = (reference.idnum, reference.generation)
            if key in seen:
                raise MalformedPdfError("The PDF's page tree visits a node twice.")
            seen.add(key)
        node = reference.get_object() if reference is not None else None
        if not isinstance(node, DictionaryObject):
            raise MalformedPdfError("The PDF's page tree holds something other than a dictionary.")
        kind = node.get("/Type")
        kids = node.raw_get("/Kids") if "/Kids" in node else None
        if kind == "/Page" or (kind != "/Pages" and kids is None):
            pages += 1
            continue
        if isinstance(kids, IndirectObject):
            kids = kids.get_object()
        if not isinstance(kids, ArrayObject):
            raise MalformedPdfError("A node of the PDF's page tree has no /Kids array.")
        pending.extend((kid, depth + 1) for kid in reversed(kids))
    return pages


class _BudgetedReader(pypdf.PdfReader):
    """pypdf's reader, charging the budget for every object it resolves or parses."""

    def __init__(self, stream: MeteredStream, budget: FactBudget) -> None:
        self._budget = budget  # set first: reading starts in the constructor
        super().__init__(cast("IO[bytes]", stream), strict=False)  # pypdf needs read, seek and tell

    def get_object(self, indirect_reference: int | IndirectObject) -> PdfObject | None:
        """Resolve an object, charging one object (and the clock) first."""
        self._budget.charge_object()
        return super().get_object(indirect_reference)

    def cache_indirect_object(self, generation: int, idnum: int, obj: PdfObject | None) -> PdfObject | None:
        """Cache a parsed object; every object parsed out of an object stream passes here."""
        self._budget.charge_object()
        return super().cache_indirect_object(generation, idnum, obj)


class _BudgetedBytesIO(io.BytesIO):
    """pypdf's in-memory stream over decoded data: under a budget, every read checks it first."""

    def read(self, size: int | None = -1) -> bytes:
        """Read, after checking the active budget (if any)."""
        budget = _ACTIVE.get()
        if budget is not None:
            budget.check()
        return super().read(size)


def _budgeted_decode(stream: StreamObject) -> bytes:
    """pypdf's ``decode_stream_data``, bounded and charged when a budget is active."""
    budget = _ACTIVE.get()
    if budget is None:
        return _PYPDF_DECODE(stream)
    budget.charge_object()
    filters = stream.get("/Filter", ())
    names = [str(name) for name in (filters if isinstance(filters, ArrayObject) else [filters])]
    if not STRUCTURE_FILTERS.issuperset(names):
        budget.fail(Limit.DECODING)
    cap = min(MAX_STREAM_BYTES, budget.remaining_decompressed)
    row_bytes = _predictor_row_bytes(stream)
    if row_bytes:
        cap = min(cap, MAX_PREDICTOR_ROWS * row_bytes)
    if cap < 1:
        budget.fail(Limit.DECOMPRESSED_BYTES)
    limits: dict[str, Any] = {
        "zlib_maximum_output_length": cap,
        "lzw_maximum_output_length": cap,
        "run_length_maximum_output_length": cap,
    }
    try:
        with pypdf.apply_configuration(**limits):
            data = _PYPDF_DECODE(stream)
    except LimitReachedError:
        budget.fail(Limit.DECOMPRESSED_BYTES)
        raise  # unreachable: fail raises
    budget.charge_decompressed(len(data))
    return data


def _predictor_row_bytes(stream: StreamObject) -> int:
    """Bytes per encoded row when the stream uses a predictor (0 when it does not)."""
    parameters = stream.get("/DecodeParms")
    candidates = parameters if isinstance(parameters, ArrayObject) else [parameters]
    for candidate in candidates:
        entry = candidate.get_object() if isinstance(candidate, IndirectObject) else candidate
        if not isinstance(entry, DictionaryObject):
            continue
        predictor = entry.get("/Predictor", 1)
        if isinstance(predictor, NumberObject) and int(predictor) > 1:  # 1 means no prediction
            columns = _positive(entry.get("/Columns"), 1)
            colors = _positive(entry.get("/Colors"), 1)
            bits = _positive(entry.get("/BitsPerComponent"), 8)
            return -(-columns * colors * bits // 8) + 1
    return 0


def _positive(value: object, default: int) -> int:
    return int(value) if isinstance(value, int) and int(value) > 0 else default


def _install_seams() -> None:
    """Route pypdf's decoding and in-memory parsing through the budget's seams (idempotent)."""
    pypdf.filters.decode_stream_data = _budgeted_decode
    pypdf._reader.BytesIO = _BudgetedBytesIO  # type: ignore[attr-defined]  # pypdf has no public hook here
