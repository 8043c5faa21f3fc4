"""Structured logs and metrics, written as JSON lines to stdout.

Every log line carries the request id (the gateway's, which the client sees, and Lambda's) and the
caller's principal; nothing ever logs document content, filenames or bodies. Each request ends with
one access line that is also its CloudWatch embedded-metric-format (EMF) document, so metrics need no
``cloudwatch:PutMetricData`` permission and no network call. Other events (S3 warnings, unexpected
exceptions, start-up problems) go through the standard ``logging`` logger with the same JSON shape.

The standard library is used rather than Powertools Logger/Metrics: both add their import time to every
cold start for a few dozen lines of behaviour (measured in ``benchmarks/`` and docs/service.md).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from document_processor.settings import Settings

SERVICE_LOGGER_NAME = "document_processor"
ACCESS_LOGGER_NAME = "document_processor.access"
"""``logger`` field of the one-per-request access line (written directly, not through ``logging``)."""
QUIET_LIBRARY_LOGGERS: tuple[str, ...] = ("pypdf",)
"""Libraries that log every oddity of hostile input: only their errors are kept."""

REQUEST_FIELDS: ContextVar[dict[str, Any]] = ContextVar("request_fields", default={})  # noqa: B039
"""Fields added to every log line of the current request (request ids, caller)."""
REQUEST_LOG: ContextVar[RequestLog | None] = ContextVar("request_log", default=None)
"""The current request's access line, for code below the handler that has something to count."""

_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, message, service, request fields and ``extra`` fields."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self._service_name = service_name

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a single line of JSON."""
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self._service_name,
            **REQUEST_FIELDS.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(entry)


class StdoutHandler(logging.Handler):
    """Writes each formatted record as one line to whatever ``sys.stdout`` is at the time."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write one line; formatting errors go to ``handleError`` like any logging handler."""
        try:
            sys.stdout.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure_logging(settings: Settings) -> logging.Logger:
    """Set up the service's logger once (idempotent, so re-imports in tests do not duplicate lines)."""
    logger = logging.getLogger(SERVICE_LOGGER_NAME)
    logger.setLevel(settings.log_level)
    logger.propagate = False
    for handler in list(logger.handlers):
        if isinstance(handler, StdoutHandler):
            logger.removeHandler(handler)
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter(settings.service_name))
    logger.addHandler(handler)
    for name in QUIET_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    return logger


def count_fact_skipped(fact: str, limit: str) -> None:
    """Count a document stored without ``fact`` because ``limit`` ran out, on the current request."""
    record = REQUEST_LOG.get()
    if record is not None:
        record.skip_fact(fact, limit)


def count_metric(name: str, value: float = 1) -> None:
    """Add ``value`` to the metric ``name`` on the current request (nothing outside a request)."""
    record = REQUEST_LOG.get()
    if record is not None:
        record.add_metric(name, value)


def write_line(line: str) -> None:
    """Write one line to stdout (the default metrics sink)."""
    sys.stdout.write(line + "\n")


class RequestLog:
    """Everything one request reports, written as one JSON line when it ends.

    The line is the access-log entry (request ids, caller, method, route, status, duration, error code,
    document id) and, when something was counted, also an embedded-metric-format document: CloudWatch
    extracts the metrics from it and the same line stays searchable in Logs Insights. One line per
    request keeps the warm path cheap. Plain counters share the ``Service`` dimension; rejections also
    carry a ``Reason`` dimension (the error code), so alarms can watch one reason or all of them.
    """

    def __init__(
        self,
        fields: dict[str, Any],
        *,
        namespace: str,
        service_name: str,
        log_level: int = logging.INFO,
        sink: Callable[[str], None] = write_line,
    ) -> None:
        self.fields = fields
        """Searchable properties of the line (never dimensions, so they add no metric cardinality)."""
        self._namespace = namespace
        self._service_name = service_name
        self._log_level = log_level
        self._sink = sink
        self._values: dict[str, tuple[float, str]] = {}
        self._rejection: str | None = None
        self._facts_skipped: list[str] = []
        self._skip_limit: str | None = None

    def add_metric(self, name: str, value: float, unit: str = "Count") -> None:
        """Add ``value`` to the metric ``name`` for this request."""
        current, _ = self._values.get(name, (0, unit))
        self._values[name] = (current + value, unit)

    def reject(self, reason: str) -> None:
        """Count one rejected request with ``reason`` (an error code) as its dimension."""
        self._rejection = reason

    def skip_fact(self, fact: str, limit: str) -> None:
        """Count a fact left out because its budget ran out, with the first ``limit`` as dimension."""
        self._facts_skipped.append(fact)
        self._skip_limit = self._skip_limit or limit
        self.fields["factsSkipped"] = list(self._facts_skipped)

    def emit(self, *, level: int, message: str) -> None:
        """Write the line; below the configured log level it is written only if it carries metrics."""
        has_metrics = bool(self._values) or self._rejection is not None or bool(self._facts_skipped)
        if level < self._log_level and not has_metrics:
            return
        now = time.time()
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            "level": logging.getLevelName(level),
            "logger": ACCESS_LOGGER_NAME,
            "message": message,
            "service": self._service_name,
            **self.fields,
        }
        if has_metrics:
            entry.update(self._metrics(int(now * 1000)))
        self._sink(_ENCODER.encode(entry))

    def _metrics(self, timestamp_ms: int) -> dict[str, Any]:
        directives: list[dict[str, Any]] = []
        document: dict[str, Any] = {"Service": self._service_name}
        if self._values:
            directives.append(
                {
                    "Namespace": self._namespace,
                    "Dimensions": [["Service"]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in self._values.items()],
                }
            )
            document.update({name: value for name, (value, _) in self._values.items()})
        if self._rejection is not None:
            directives.append(
                {
                    "Namespace": self._namespace,
                    "Dimensions": [["Service", "Reason"]],
                    "Metrics": [{"Name": "Rejections", "Unit": "Count"}],
                }
            )
            document.update({"Reason": self._rejection, "Rejections": 1})
        if self._facts_skipped:
            directives.append(
                {
                    "Namespace": self._namespace,
                    "Dimensions": [["Service", "Limit"]],
                    "Metrics": [{"Name": "FactsSkipped", "Unit": "Count"}],
                }
            )
            document.update({"Limit": self._skip_limit, "FactsSkipped": len(self._facts_skipped)})
        document["_aws"] = {"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}
        return document
