"""The preflight's human output: one line per check, its fix beneath, then the effective config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preflight.results import Status

if TYPE_CHECKING:
    from preflight.runner import Report

_MARKS = {Status.OK: " ok ", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIP: "skip"}


def render(report: Report) -> str:
    """Text for a terminal or a CI log (no colour, no width assumptions)."""
    width = max((len(result.name) for result in report.results), default=0)
    lines = [f"Preflight for stack {report.stack!r}" if report.stack else "Preflight (no stack selected)", ""]
    for result in report.results:
        lines.append(f"[{_MARKS[result.status]}] {result.name.ljust(width)}  {result.detail}")
        if result.fix:
            lines.append(f"       {' ' * width}  fix: {result.fix}")
    if report.settings:
        key_width = max(len(setting.key) for setting in report.settings)
        value_width = min(max(len(setting.value) for setting in report.settings), 60)
        lines += ["", "Effective configuration:"]
        lines += [
            f"  {setting.key.ljust(key_width)}  {setting.value.ljust(value_width)}  ({setting.source})"
            for setting in report.settings
        ]
    failures = sum(result.status is Status.FAIL for result in report.results)
    warnings = sum(result.status is Status.WARN for result in report.results)
    lines += [
        "",
        f"{failures} failure(s), {warnings} warning(s): "
        + (
            "fix the failures above before `pulumi up`."
            if failures
            else "ready for `pulumi preview` and `up`."
        ),
    ]
    return "\n".join(lines)
