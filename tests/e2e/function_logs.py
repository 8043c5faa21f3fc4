"""The function's log lines for one request: CloudWatch Logs when deployed, local mode's stdout locally.

The handler writes one JSON access line per request to stdout; Lambda forwards stdout to the
function's log group as plain text (the JSON line is the event's message), and local mode's process
writes the same line to the stdout the suite captured. Either way the lines are found by the API
request id the client got back in ``x-amzn-RequestId``, so the same assertions run on both targets.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from tests.e2e.targets import Target

DEFAULT_WAIT_SECONDS = 120.0
"""How long CloudWatch Logs may take to make a new event searchable."""
DEFAULT_POLL_SECONDS = 5.0
LOOKBACK_MILLISECONDS = 10 * 60 * 1000
"""Search window before now: generous for clock skew between this machine and AWS."""


def json_object(line: str) -> dict[str, Any] | None:
    """``line`` parsed as a JSON object, or ``None`` (runtime lines such as ``START RequestId:``)."""
    try:
        parsed = json.loads(line)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def access_entry(line: str, request_id: str) -> dict[str, Any] | None:
    """``line`` parsed, if it is the handler's access line for ``request_id``; else ``None``."""
    entry = json_object(line)
    return entry if entry is not None and entry.get("requestId") == request_id else None


def _cloudwatch_lines(
    target: Target, request_id: str, *, wait_seconds: float, poll_seconds: float
) -> list[str]:
    assert target.log_group is not None
    logs = boto3.client("logs", region_name=target.region)
    start_ms = int(time.time() * 1000) - LOOKBACK_MILLISECONDS
    deadline = time.monotonic() + wait_seconds
    while True:
        # FilterLogEvents may answer a page with no events and a nextToken while it scans: read every page.
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=target.log_group, startTime=start_ms, filterPattern=f'"{request_id}"'
        )
        lines = [event["message"] for page in pages for event in page["events"]]
        # The access line is written last, when the request completes; earlier lines of the same
        # invocation may become searchable before it does.
        if any(access_entry(line, request_id) for line in lines) or time.monotonic() >= deadline:
            return lines
        time.sleep(poll_seconds)


def log_lines(
    target: Target,
    request_id: str,
    *,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
) -> list[str]:
    """Every log line that mentions ``request_id`` (waiting for CloudWatch Logs when deployed)."""
    if target.deployed:
        return _cloudwatch_lines(target, request_id, wait_seconds=wait_seconds, poll_seconds=poll_seconds)
    assert target.log_path is not None, "local mode's stdout is where the function's lines go"
    # Local mode writes the line before it sends the response (unbuffered stdout): no waiting.
    return [line for line in target.log_path.read_text(errors="replace").splitlines() if request_id in line]
