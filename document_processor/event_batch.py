"""One asynchronous invocation with an S3 event: every record handled, counted and reported once.

The reconciler and the ingest processor are both invoked by S3 event notifications (asynchronously:
Lambda retries a failed invocation twice, then sends it to the function's failure destination). Both
handle an event the same way, here once:

- a function that could not be configured (``None``: its settings were read once per execution
  environment and found wanting, which was logged then) fails every event, so none is dropped;
- an event without a ``Records`` list (S3's ``s3:TestEvent``) is no work, warned;
- every record is handled, even after one failed, so one bad record does not hold back the rest;
- one JSON line (``observability.RequestLog``) ends the invocation: the record count, the failures,
  a count per outcome, the duration, and the function's EMF metrics for the outcomes it counts;
- the first failure is re-raised afterwards, wrapped in the function's own error, so Lambda retries the
  event; retrying a whole event is harmless because each function's records are idempotent.

``s3_record_key`` is the shared first look at one record: S3's shape, our bucket, the decoded key.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from document_processor.errors import ConfigurationError
from document_processor.observability import REQUEST_FIELDS, REQUEST_LOG, RequestLog, write_line

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from enum import StrEnum

    from document_processor.settings import Settings

S3_EVENT_SOURCE = "aws:s3"


@dataclass(frozen=True)
class BatchReport:
    """How one function names what it did with an event (its log messages, metrics and error)."""

    function: str
    """``"processor"``, ``"reconciler"``: in the messages (``The <function> is not configured.``)."""
    outcomes: type[StrEnum]
    """Every value ``handle`` may return; each one counted (the line shows those that are not zero)."""
    done_message: str
    """Message of the invocation's line, e.g. ``"Event processed"``."""
    record_failed_message: str
    """Logged with the traceback of each record that raised."""
    failure_metric: str
    """EMF metric counting the records that raised (only emitted when there were some)."""
    error: type[Exception]
    """Raised, from the first failure, after all records ran."""
    outcome_metrics: Mapping[str, str] = field(default_factory=dict)
    """EMF metric per outcome value, emitted when that outcome was counted."""


def run_batch(
    handle: Callable[[object], StrEnum] | None,
    event: object,
    context: object,
    *,
    report: BatchReport,
    settings: Settings,
    logger: logging.Logger,
    sink: Callable[[str], None] = write_line,
) -> dict[str, Any]:
    """Handle every record of ``event`` with ``handle``; one log line; raise if any record failed.

    Returns ``{"records", "failed", "outcomes": {outcome: count}}``. Log lines written while it runs
    carry the Lambda request id; code below it that counts something (a fact skipped) counts it on the
    invocation's line (``observability.REQUEST_LOG``).
    """
    started = time.perf_counter()
    fields: dict[str, Any] = {"lambdaRequestId": str(getattr(context, "aws_request_id", "") or "")}
    record_log = RequestLog(
        fields,
        namespace=settings.metrics_namespace,
        service_name=settings.service_name,
        log_level=logging.getLevelNamesMapping()[settings.log_level],
        sink=sink,
    )
    fields_token = REQUEST_FIELDS.set(fields)
    log_token = REQUEST_LOG.set(record_log)
    try:
        if handle is None:
            logger.error(f"The {report.function} is not configured; the event is left to Lambda's retries")
            raise ConfigurationError(f"The {report.function} is not configured.")
        records = event.get("Records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            logger.warning("Skipping an event without S3 records")  # e.g. s3:TestEvent
            records = []
        counts = {outcome.value: 0 for outcome in report.outcomes}
        first_error: Exception | None = None
        for record in records:
            try:
                counts[handle(record)] += 1
            except Exception as error:
                logger.exception(report.record_failed_message)
                first_error = first_error or error
        failed = len(records) - sum(counts.values())
        fields.update(
            records=len(records),
            failed=failed,
            **{outcome: count for outcome, count in counts.items() if count},
            durationMs=round((time.perf_counter() - started) * 1000, 3),
        )
        for outcome, metric in report.outcome_metrics.items():
            if counts[outcome]:
                record_log.add_metric(metric, counts[outcome])
        if failed:
            record_log.add_metric(report.failure_metric, failed)
        record_log.emit(level=logging.ERROR if failed else logging.INFO, message=report.done_message)
        if first_error is not None:
            raise report.error(f"{failed} of {len(records)} records failed") from first_error
        return {"records": len(records), "failed": failed, "outcomes": counts}
    finally:
        REQUEST_LOG.reset(log_token)
        REQUEST_FIELDS.reset(fields_token)


def s3_record_key(
    record: object, *, bucket: str, logger: logging.Logger, event_prefix: str | None = None
) -> str | None:
    """The decoded object key of an S3 event record for ``bucket``; ``None`` (warned) for anything else.

    ``event_prefix`` (e.g. ``"ObjectCreated:"``) also skips records of other event types. The key is
    form-decoded: S3 URL-encodes keys in event records (a space arrives as ``+``).
    """
    if not isinstance(record, dict) or record.get("eventSource") != S3_EVENT_SOURCE:
        logger.warning("Skipping a record that is not an S3 event record")
        return None
    event_name = str(record.get("eventName", ""))
    s3 = record.get("s3")
    target_bucket = s3.get("bucket") if isinstance(s3, dict) else None
    target = s3.get("object") if isinstance(s3, dict) else None
    raw_key = target.get("key") if isinstance(target, dict) else None
    if event_prefix is not None and not event_name.startswith(event_prefix):
        logger.warning(
            f"Skipping a record that is not {event_prefix.rstrip(':')}", extra={"eventName": event_name}
        )
        return None
    if not isinstance(target_bucket, dict) or not isinstance(raw_key, str):
        logger.warning("Skipping an S3 record without bucket or key", extra={"eventName": event_name})
        return None
    if target_bucket.get("name") != bucket:
        logger.warning("Skipping a record for another bucket", extra={"eventName": event_name})
        return None
    return unquote_plus(raw_key)
