"""Complexity bombs: every one is answered within the per-document budget, and uploads still succeed.

Time is never measured here (benchmarks/fact_bombs.py does that): the budgets below run on a virtual
clock that advances at each check, so "out of time" means "out of checks" and every outcome is the
same on any machine. Memory is measured (tracemalloc peak), since that bound is deterministic.
"""

from __future__ import annotations

import io
import json
import logging
import tracemalloc
from typing import TYPE_CHECKING, Any

import pypdf
import pytest

from document_processor import metadata, pdf_facts
from document_processor.errors import UnsupportedMediaTypeError
from document_processor.fact_budget import FactBudget, Limit
from tests.unit.service import pdf_bombs
from tests.unit.service.conftest import body_json, make_event
from tests.unit.service.samples import make_jpeg, make_pdf, make_png
from tests.unit.service.test_fact_budget import VirtualClock

if TYPE_CHECKING:
    from tests.unit.service.conftest import Lambda

PDF = "application/pdf"
PEAK_BYTES = 40 * 1024 * 1024
"""Ceiling on memory allocated while describing any bomb (the budget allows 8 MiB of decoded data)."""


def pdf_budget(**overrides: Any) -> FactBudget:
    """The service's PDF budget on a virtual clock: 0.6 s of 10 µs checks, i.e. 60 000 checks."""
    limits: dict[str, Any] = {
        "max_input_bytes": metadata.PDF_MAX_INPUT_BYTES,
        "max_decompressed_bytes": metadata.PDF_MAX_DECOMPRESSED_BYTES,
        "max_objects": metadata.PDF_MAX_OBJECTS,
        "max_depth": metadata.PDF_MAX_PAGE_TREE_DEPTH,
        "seconds": metadata.PDF_SECONDS,
        "clock": VirtualClock(1e-5),
    }
    limits.update(overrides)
    return FactBudget(**limits)


def describe_measured(data: bytes, budget: FactBudget) -> tuple[dict[str, int] | str, int]:
    """``describe``'s facts (or the error code it raised) and the peak bytes it allocated."""
    tracemalloc.start()
    try:
        try:
            facts: dict[str, int] | str = metadata.describe(PDF, data, budget)
        except UnsupportedMediaTypeError as error:
            facts = error.code
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return facts, peak


@pytest.mark.parametrize("name", pdf_bombs.NAMES)
def test_every_bomb_is_answered_within_the_budget(name: str) -> None:
    bomb = pdf_bombs.bomb(name)
    assert len(bomb.data) <= 4_500_000  # each fits the synchronous upload path
    budget = pdf_budget()

    facts, peak = describe_measured(bomb.data, budget)

    assert facts == ("malformed_document" if bomb.facts is None else bomb.facts)
    assert budget.decompressed_bytes <= budget.max_decompressed_bytes
    assert budget.input_bytes <= budget.max_input_bytes
    assert budget.objects <= budget.max_objects + 1
    assert budget.deepest <= budget.max_depth + 1
    assert peak < PEAK_BYTES
    assert (budget.exceeded is not None) == (facts == {})


def test_the_reviews_bombs_exhaust_the_decompression_budget_not_memory() -> None:
    # Given the review's files: pages alone in object streams inflating to 31 MB each (one, then ten)
    for pages in (1, 10):
        bomb = pdf_bombs.padded_object_streams(pages)
        assert len(bomb) < 31_000 * pages + 1_000
        budget = pdf_budget()

        # When described with the service's real budget and clock
        facts, peak = describe_measured(bomb, budget)

        # Then the document is described without a page count, having decoded at most the budget
        assert facts == {}
        assert budget.exceeded is Limit.DECOMPRESSED_BYTES
        assert budget.decompressed_bytes <= metadata.PDF_MAX_DECOMPRESSED_BYTES
        assert peak < PEAK_BYTES


def test_parsing_inside_an_object_stream_checks_the_deadline() -> None:
    # Given one object stream whose page shares it with 50 arrays of 40 000 numbers (4 MB decoded,
    # within the byte budget, but ~10 s of pypdf parsing): pypdf parses a whole object stream at once
    bomb = pdf_bombs.dense_arrays(50, 40_000)
    budget = pdf_budget(seconds=0.05)  # 5 000 checks

    facts, _ = describe_measured(bomb, budget)

    # Then the deadline stopped the parse inside that stream, before its objects were all parsed
    assert facts == {}
    assert budget.exceeded is Limit.TIME
    assert budget.objects < 50


def test_a_lying_count_is_not_believed() -> None:
    bomb = pdf_bombs.lying_count(3, 2_000_000_000)
    pages = pypdf.PdfReader(io.BytesIO(bomb)).root_object["/Pages"].get_object()
    assert isinstance(pages, pypdf.generic.DictionaryObject)
    assert pages.get("/Count") == pypdf.generic.NumberObject(2_000_000_000)  # what pypdf would report

    assert metadata.describe(PDF, bomb) == {"pageCount": 3}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (pdf_bombs.looping_page_tree(), "visits a node twice"),
        (pdf_bombs.missing_kids(50), "other than a dictionary"),
    ],
    ids=["looping-page-tree", "missing-kids"],
)
def test_a_broken_page_tree_is_malformed(data: bytes, reason: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as raised:
        metadata.describe(PDF, data)

    assert raised.value.code == "malformed_document"
    assert reason in raised.value.message


@pytest.mark.parametrize("pages", [1, 7, 120])
def test_pages_in_object_streams_are_counted(pages: int) -> None:
    assert metadata.describe(PDF, pdf_bombs.valid_object_streams(pages)) == {"pageCount": pages}


def test_a_tree_at_the_depth_limit_is_counted_and_one_deeper_is_not() -> None:
    # The catalog's /Pages is depth 1, so a chain of N /Pages nodes puts the page at depth N + 1.
    at_limit = pdf_bombs.deep_page_tree(metadata.PDF_MAX_PAGE_TREE_DEPTH - 1)
    deeper = pdf_bombs.deep_page_tree(metadata.PDF_MAX_PAGE_TREE_DEPTH)
    budget = pdf_budget()

    assert metadata.describe(PDF, at_limit) == {"pageCount": 1}
    assert metadata.describe(PDF, deeper, budget) == {}
    assert budget.exceeded is Limit.DEPTH


def test_the_object_limit_is_a_count_not_a_time() -> None:
    budget = pdf_budget(max_objects=500, seconds=1e9)

    assert metadata.describe(PDF, pdf_bombs.tiny_object_streams(1_000), budget) == {}
    assert budget.exceeded is Limit.OBJECTS
    assert metadata.describe(PDF, pdf_bombs.tiny_object_streams(50)) == {"pageCount": 50}


def test_a_stream_filter_the_structure_never_uses_exhausts_the_budget() -> None:
    pdf = pdf_bombs.valid_object_streams(2).replace(
        b"/Filter /FlateDecode /Length", b"/Filter /DCTDecode /Length"
    )
    budget = pdf_budget()

    assert metadata.describe(PDF, pdf, budget) == {}
    assert budget.exceeded is Limit.DECODING


def test_outside_a_budget_pypdf_behaves_as_its_own() -> None:
    metadata.describe(PDF, pdf_bombs.valid_object_streams(3))  # installs the seams

    reader = pypdf.PdfReader(io.BytesIO(pdf_bombs.padded_object_streams(1, padding=1_000_000)))

    assert len(reader.pages) == 1  # 1 MB decoded, no budget in force
    assert pdf_facts._ACTIVE.get() is None


def test_the_image_path_reads_headers_within_a_budget() -> None:
    # A JPEG of 4.4 MB of empty segments before its frame header: imagesize walks them one by one
    jpeg = make_jpeg(16, 16)
    bomb = jpeg[:2] + b"\xff\xe1\x00\x02" * 1_100_000 + jpeg[2:]
    budget = FactBudget(
        max_input_bytes=metadata.IMAGE_MAX_INPUT_BYTES,
        max_decompressed_bytes=0,
        max_objects=0,
        max_depth=0,
        seconds=metadata.IMAGE_SECONDS,
        clock=VirtualClock(1e-5),
    )

    assert metadata.describe("image/jpeg", bomb, budget) == {}
    assert budget.exceeded is not None
    assert budget.input_bytes <= metadata.IMAGE_MAX_INPUT_BYTES
    assert metadata.describe("image/jpeg", jpeg) == {"width": 16, "height": 16}
    assert metadata.describe("image/png", make_png(3, 2)) == {"width": 3, "height": 2}


def test_an_image_header_beyond_the_read_limit_is_skipped_not_misread() -> None:
    budget = FactBudget(max_input_bytes=8, max_decompressed_bytes=0, max_objects=0, max_depth=0, seconds=1)

    assert metadata.describe("image/png", make_png(3, 2), budget) == {}
    assert budget.exceeded is Limit.INPUT_BYTES


def test_an_upload_whose_facts_exceed_the_budget_is_stored_without_them(
    lam: Lambda, caplog: pytest.LogCaptureFixture
) -> None:
    bomb = pdf_bombs.padded_object_streams(10)
    event = make_event("POST", "/documents", headers={"Content-Type": PDF}, body=bomb)

    with caplog.at_level(logging.WARNING, logger="document_processor.metadata"):
        response = lam.call(event)

    # Then it is stored, and described without a page count
    assert response["statusCode"] == 201, response["body"]
    document = body_json(response)
    assert "pageCount" not in document
    stored = body_json(lam.call(make_event("GET", f"/documents/{document['id']}")))
    assert "pageCount" not in stored
    assert stored["size"] == len(bomb)
    # And a warning says which fact and which limit, with what was spent
    warnings = [record for record in caplog.records if record.name == "document_processor.metadata"]
    assert [(record.fact, record.limit) for record in warnings] == [("pageCount", "decompressed_bytes")]  # type: ignore[attr-defined]
    assert warnings[0].decompressedBytes <= metadata.PDF_MAX_DECOMPRESSED_BYTES  # type: ignore[attr-defined]
    # And the request's line carries the FactsSkipped metric with the limit as its dimension
    line = lam.lines()[0]
    assert line["status"] == 201
    assert line["FactsSkipped"] == 1
    assert line["Limit"] == "decompressed_bytes"
    assert line["factsSkipped"] == ["pageCount"]
    directives = line["_aws"]["CloudWatchMetrics"]
    assert {
        "Namespace": "SecureDocumentApi",
        "Dimensions": [["Service", "Limit"]],
        "Metrics": [{"Name": "FactsSkipped", "Unit": "Count"}],
    } in directives
    assert json.dumps(line)  # the line is plain JSON


def test_an_ordinary_upload_counts_no_skipped_fact(lam: Lambda) -> None:
    response = lam.call(make_event("POST", "/documents", headers={"Content-Type": PDF}, body=make_pdf(2)))

    assert body_json(response)["pageCount"] == 2
    line = lam.lines()[0]
    assert "FactsSkipped" not in line
    assert "factsSkipped" not in line
