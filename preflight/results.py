"""What a check reports: a status, what it found, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """A check's outcome. Only ``FAIL`` makes the preflight exit non-zero."""

    OK = "ok"
    WARN = "warn"
    """Deployable, but probably not what was meant (e.g. two stacks would own one setting)."""
    FAIL = "fail"
    """``pulumi up`` would fail, or deploy something broken."""
    SKIP = "skip"
    """Not run, because a check it needs failed first (``detail`` names it)."""


@dataclass(frozen=True)
class CheckResult:
    """One check's result. A warning or failure must say how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def __post_init__(self) -> None:
        if self.status in {Status.WARN, Status.FAIL} and not self.fix.strip():
            raise ValueError(f"check {self.name!r}: a {self.status.value} result must say how to fix it")

    @classmethod
    def ok(cls, name: str, detail: str) -> CheckResult:
        return cls(name, Status.OK, detail)

    @classmethod
    def warn(cls, name: str, detail: str, fix: str) -> CheckResult:
        return cls(name, Status.WARN, detail, fix)

    @classmethod
    def fail(cls, name: str, detail: str, fix: str) -> CheckResult:
        return cls(name, Status.FAIL, detail, fix)

    @classmethod
    def skip(cls, name: str, detail: str) -> CheckResult:
        return cls(name, Status.SKIP, detail)
