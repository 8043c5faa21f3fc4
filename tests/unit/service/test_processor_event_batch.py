"""``event_batch``: the one way the processor and the reconciler run an S3 event (every record handled,
one line with counts and EMF metrics, the first failure re-raised after the rest ran), and the shared
first look at a record (S3's shape, our bucket, the form-decoded key)."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote_plus

import pytest

from document_processor.errors import ConfigurationError
from document_processor.event_batch import BatchReport, run_batch, s3_record_key
from document_processor.observability import REQUEST_FIELDS, REQUEST_LOG, count_fact_skipped
from document_processor.settings import load_settings

LOGGER = logging.getLogger("tests.event_batch")
BUCKET = "a-bucket"
SETTINGS = load_settings({"DOCUMENTS_BUCKET": "documents", "CATALOGUE_TABLE": "catalogue"})


class Outcome(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"


class BatchFailed(Exception):
    pass


REPORT = BatchReport(
    function="sample function",
    outcomes=Outcome,
    done_message="Event handled",
    record_failed_message="Could not handle a record",
    failure_metric="SampleFailures",
    error=BatchFailed,
    outcome_metrics={Outcome.DONE: "SamplesDone"},
)


def s3_record(key: str = "documents/a b+c", *, bucket: str = BUCKET, name: str = "ObjectCreated:Put") -> Any:
    return {
        "eventSource": "aws:s3",
        "eventName": name,
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key)}},
    }


def run(handle: Any, event: object, lines: list[str], context: object = None) -> dict[str, Any]:
    return run_batch(
        handle, event, context, report=REPORT, settings=SETTINGS, logger=LOGGER, sink=lines.append
    )


def test_every_record_is_counted_on_one_line_with_its_metrics() -> None:
    lines: list[str] = []
    handled = iter([Outcome.DONE, Outcome.SKIPPED, Outcome.DONE])
    result = run(
        lambda _: next(handled), {"Records": [1, 2, 3]}, lines, SimpleNamespace(aws_request_id="req-1")
    )
    assert result == {"records": 3, "failed": 0, "outcomes": {"done": 2, "skipped": 1}}
    [line] = [json.loads(text) for text in lines]
    assert (line["level"], line["message"], line["lambdaRequestId"]) == ("INFO", "Event handled", "req-1")
    assert (line["records"], line["failed"], line["done"], line["skipped"]) == (3, 0, 2, 1)
    assert line["durationMs"] >= 0
    assert line["SamplesDone"] == 2
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Metrics"] == [{"Name": "SamplesDone", "Unit": "Count"}]
    assert directive["Namespace"] == SETTINGS.metrics_namespace


def test_a_failing_record_does_not_stop_the_rest_and_the_first_failure_is_raised_after() -> None:
    lines: list[str] = []
    seen: list[object] = []
    failures = [ValueError("first"), KeyError("second")]

    def handle(record: object) -> Outcome:
        seen.append(record)
        if record in ("bad", "worse"):
            raise failures.pop(0)
        return Outcome.DONE

    with pytest.raises(BatchFailed, match=r"^2 of 4 records failed$") as raised:
        run(handle, {"Records": ["bad", "ok", "worse", "ok"]}, lines)
    assert seen == ["bad", "ok", "worse", "ok"]
    assert isinstance(raised.value.__cause__, ValueError)
    line = json.loads(lines[-1])
    assert (line["level"], line["records"], line["failed"], line["done"]) == ("ERROR", 4, 2, 2)
    assert (line["SampleFailures"], line["SamplesDone"]) == (2, 2)
    assert "skipped" not in line  # outcomes never counted are left off the line


def test_an_unconfigured_function_fails_every_event_and_says_which(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.ERROR, logger=LOGGER.name),
        pytest.raises(ConfigurationError, match=r"^The sample function is not configured\.$"),
    ):
        run(None, {"Records": [1]}, [])
    assert [entry.getMessage() for entry in caplog.records] == [
        "The sample function is not configured; the event is left to Lambda's retries"
    ]


@pytest.mark.parametrize("event", [{}, {"Records": "not a list"}, [], {"Event": "s3:TestEvent"}])
def test_an_event_without_records_is_no_work(event: object) -> None:
    lines: list[str] = []
    assert run(lambda _: Outcome.DONE, event, lines) == {
        "records": 0,
        "failed": 0,
        "outcomes": {"done": 0, "skipped": 0},
    }
    assert json.loads(lines[-1])["records"] == 0


def test_code_below_counts_on_the_invocations_line_and_the_context_is_restored() -> None:
    lines: list[str] = []
    inside: list[Any] = []

    def handle(_: object) -> Outcome:
        inside.append((REQUEST_FIELDS.get().get("lambdaRequestId"), REQUEST_LOG.get() is not None))
        count_fact_skipped("pageCount", "input_bytes")
        return Outcome.DONE

    run(handle, {"Records": [1]}, lines, SimpleNamespace(aws_request_id="req-2"))
    assert inside == [("req-2", True)]
    line = json.loads(lines[-1])
    assert (line["factsSkipped"], line["FactsSkipped"], line["Limit"]) == (["pageCount"], 1, "input_bytes")
    assert REQUEST_LOG.get() is None
    assert REQUEST_FIELDS.get() == {}


def test_a_record_key_is_form_decoded() -> None:
    assert s3_record_key(s3_record("documents/a b+c"), bucket=BUCKET, logger=LOGGER) == "documents/a b+c"


@pytest.mark.parametrize(
    ("record", "warning"),
    [
        ("not a record", "Skipping a record that is not an S3 event record"),
        ({**s3_record(), "eventSource": "aws:sqs"}, "Skipping a record that is not an S3 event record"),
        (s3_record(bucket="another"), "Skipping a record for another bucket"),
        ({**s3_record(), "s3": {"bucket": {"name": BUCKET}}}, "Skipping an S3 record without bucket or key"),
        ({**s3_record(), "s3": "nothing"}, "Skipping an S3 record without bucket or key"),
        (s3_record(name="ObjectRemoved:Delete"), "Skipping a record that is not ObjectCreated"),
    ],
)
def test_records_that_are_not_ours_give_no_key_and_a_warning(
    caplog: pytest.LogCaptureFixture, record: object, warning: str
) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        key = s3_record_key(record, bucket=BUCKET, logger=LOGGER, event_prefix="ObjectCreated:")
    assert key is None
    assert [entry.getMessage() for entry in caplog.records] == [warning]


def test_without_an_event_prefix_any_event_type_is_ours() -> None:
    removed = s3_record("documents/x", name="ObjectRemoved:DeleteMarkerCreated")
    assert s3_record_key(removed, bucket=BUCKET, logger=LOGGER) == "documents/x"
