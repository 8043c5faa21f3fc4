"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class Result:
    """One benchmark's outcome: the measured ratio against its goal."""

    name: str
    ratio: float
    goal: str
    met: bool
    details: list[str]

    def report(self) -> str:
        """Human-readable lines for the console."""
        verdict = "meets goal" if self.met else "MISSES goal"
        lines = [f"{self.name}: ratio {self.ratio:.3f} ({verdict}: {self.goal})"]
        lines.extend(f"    {line}" for line in self.details)
        return "\n".join(lines)


def best_of(function: Callable[[], object], *, repeat: int, number: int) -> float:
    """Seconds per call: the fastest of ``repeat`` rounds of ``number`` calls (least disturbed by noise)."""
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            function()
        rounds.append((time.perf_counter() - started) / number)
    return min(rounds)


def best_of_interleaved(
    first: Callable[[], object], second: Callable[[], object], *, repeat: int, number: int
) -> tuple[float, float]:
    """``best_of`` for two functions with their rounds alternating, so machine drift hits both alike."""
    rounds: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for function, timings in ((first, rounds[0]), (second, rounds[1])):
            started = time.perf_counter()
            for _ in range(number):
                function()
            timings.append((time.perf_counter() - started) / number)
    return min(rounds[0]), min(rounds[1])


def median(values: list[float]) -> float:
    """The median (robust to the occasional slow process start)."""
    return statistics.median(values)
