"""JSON logs with request fields and embedded-metric-format lines; never document content."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from document_processor.observability import REQUEST_FIELDS, JsonFormatter, RequestLog, StdoutHandler
from tests.unit.service.conftest import Lambda, make_event

if TYPE_CHECKING:
    import pytest


def test_formatter_writes_one_json_object_with_request_and_extra_fields() -> None:
    token = REQUEST_FIELDS.set({"requestId": "r-1", "caller": "arn:aws:iam::1:user/x"})
    try:
        record = logging.LogRecord("svc", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
        record.documentId = "abc"
        line = JsonFormatter("document-api").format(record)
    finally:
        REQUEST_FIELDS.reset(token)

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "hello you"
    assert entry["level"] == "WARNING"
    assert entry["service"] == "document-api"
    assert (entry["requestId"], entry["caller"], entry["documentId"]) == (
        "r-1",
        "arn:aws:iam::1:user/x",
        "abc",
    )


def test_exceptions_are_logged_with_their_traceback() -> None:
    try:
        raise ValueError("kaput")
    except ValueError:
        import sys

        record = logging.LogRecord("svc", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())

    entry = json.loads(JsonFormatter("s").format(record))

    assert "ValueError: kaput" in entry["exception"]


def test_handler_reports_formatting_failures_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = StdoutHandler()
    handled: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", handled.append)
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "%d", ("not a number",), None)

    handler.emit(record)

    assert handled == [record]


def test_request_line_carries_fields_and_emf_with_service_and_reason_dimensions() -> None:
    lines: list[str] = []
    log = RequestLog({"requestId": "r-1"}, namespace="Ns", service_name="svc", sink=lines.append)
    log.add_metric("DocumentsStored", 1)
    log.add_metric("BytesStored", 100, "Bytes")
    log.add_metric("BytesStored", 50, "Bytes")
    log.reject("content_type_mismatch")

    log.emit(level=logging.INFO, message="Request completed")

    (document,) = [json.loads(line) for line in lines]
    directives = document["_aws"]["CloudWatchMetrics"]
    assert directives[0] == {
        "Namespace": "Ns",
        "Dimensions": [["Service"]],
        "Metrics": [{"Name": "DocumentsStored", "Unit": "Count"}, {"Name": "BytesStored", "Unit": "Bytes"}],
    }
    assert directives[1] == {
        "Namespace": "Ns",
        "Dimensions": [["Service", "Reason"]],
        "Metrics": [{"Name": "Rejections", "Unit": "Count"}],
    }
    assert (document["DocumentsStored"], document["BytesStored"], document["Rejections"]) == (1, 150, 1)
    assert (document["Service"], document["Reason"]) == ("svc", "content_type_mismatch")
    assert (document["requestId"], document["message"], document["level"]) == (
        "r-1",
        "Request completed",
        "INFO",
    )
    assert isinstance(document["_aws"]["Timestamp"], int)


def test_a_line_without_metrics_has_no_emf_directives() -> None:
    lines: list[str] = []

    RequestLog({}, namespace="Ns", service_name="svc", sink=lines.append).emit(
        level=logging.INFO, message="m"
    )

    assert "_aws" not in json.loads(lines[0])


def test_below_the_log_level_only_lines_with_metrics_are_written() -> None:
    lines: list[str] = []
    quiet = RequestLog({}, namespace="Ns", service_name="s", log_level=logging.ERROR, sink=lines.append)
    counted = RequestLog({}, namespace="Ns", service_name="s", log_level=logging.ERROR, sink=lines.append)
    counted.add_metric("DocumentsDeleted", 1)

    quiet.emit(level=logging.INFO, message="Request completed")
    counted.emit(level=logging.INFO, message="Request completed")

    assert [json.loads(line)["DocumentsDeleted"] for line in lines] == [1]


def test_upload_logs_never_contain_content_or_filename(
    lam: Lambda, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = b"TOP-SECRET-CONTENT-1234567890"
    event = make_event(
        "POST",
        "/documents",
        headers={"Content-Type": "text/plain", "Content-Disposition": 'attachment; filename="salaries.txt"'},
        body=secret,
    )

    assert lam.call(event)["statusCode"] == 201

    output = "\n".join([capsys.readouterr().out, *lam.request_lines])
    entries: list[dict[str, Any]] = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert entries
    assert "TOP-SECRET" not in output
    assert event["body"] not in output
    assert "salaries" not in output
    completed = [entry for entry in entries if entry.get("message") == "Request completed"]
    assert completed[0]["caller"] == "arn:aws:iam::111122223333:role/DocumentWriter"
    assert completed[0]["requestId"] == event["requestContext"]["requestId"]
    assert completed[0]["lambdaRequestId"] == "0f5e8d4a-lambda-request"
    assert completed[0]["status"] == 201
