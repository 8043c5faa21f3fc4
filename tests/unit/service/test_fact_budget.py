"""The per-document fact budget: each limit, stickiness, and reads refused before they happen."""

from __future__ import annotations

import io

import pytest

from document_processor.fact_budget import FactBudget, FactBudgetExceeded, Limit, MeteredStream


class VirtualClock:
    """A clock that advances ``step`` seconds each time it is read: time becomes a count of checks."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def budget(**overrides: object) -> FactBudget:
    limits: dict[str, object] = {
        "max_input_bytes": 100,
        "max_decompressed_bytes": 100,
        "max_objects": 3,
        "max_depth": 2,
        "seconds": 10.0,
        "clock": VirtualClock(0.0),
    }
    limits.update(overrides)
    return FactBudget(**limits)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spend", "limit"),
    [
        (lambda b: b.charge_input(101), Limit.INPUT_BYTES),
        (lambda b: [b.charge_decompressed(60), b.charge_decompressed(41)], Limit.DECOMPRESSED_BYTES),
        (lambda b: [b.charge_object() for _ in range(4)], Limit.OBJECTS),
        (lambda b: b.enter(3), Limit.DEPTH),
    ],
    ids=["input", "decompressed", "objects", "depth"],
)
def test_each_limit_raises_once_passed_and_stays_exhausted(spend: object, limit: Limit) -> None:
    spent = budget()

    with pytest.raises(FactBudgetExceeded) as raised:
        spend(spent)  # type: ignore[operator]

    assert raised.value.limit is limit
    assert spent.exceeded is limit
    # Sticky: any later charge fails with the first limit, so a library that swallowed the exception
    # cannot carry on working.
    with pytest.raises(FactBudgetExceeded) as again:
        spent.charge_object()
    assert again.value.limit is limit


def test_spending_up_to_each_limit_is_allowed() -> None:
    spent = budget()

    spent.charge_input(100)
    spent.charge_decompressed(100)
    for _ in range(3):
        spent.charge_object()
    spent.enter(2)

    assert spent.exceeded is None
    assert spent.spent() == {"inputBytes": 100, "decompressedBytes": 100, "objects": 3, "depth": 2}
    assert spent.remaining_decompressed == 0


def test_the_deadline_is_checked_at_every_charge() -> None:
    clock = VirtualClock(1.0)
    spent = budget(seconds=2.5, clock=clock)  # created at t=1, deadline t=3.5

    spent.charge_object()  # t=2
    spent.charge_input(1)  # t=3
    with pytest.raises(FactBudgetExceeded) as raised:
        spent.charge_object()  # t=4

    assert raised.value.limit is Limit.TIME


def test_metered_reads_are_charged_and_refused_before_reading() -> None:
    spent = budget(max_input_bytes=10)
    inner = io.BytesIO(b"0123456789abcdef")
    stream = MeteredStream(inner, spent)

    assert stream.read(4) == b"0123"
    stream.seek(12)  # seeking reads nothing and is free
    assert stream.read(100) == b"cdef"  # charged what is left, not what was asked
    assert spent.input_bytes == 8
    stream.seek(0)
    with pytest.raises(FactBudgetExceeded):
        stream.read()  # the rest (16 bytes) would pass the limit

    assert inner.tell() == 0  # refused before a byte was read
    assert spent.exceeded is Limit.INPUT_BYTES


def test_a_metered_stream_of_a_large_source_reads_only_what_the_budget_allows() -> None:
    spent = budget(max_input_bytes=1024)
    stream = MeteredStream(io.BytesIO(bytes(64 * 1024 * 1024)), spent)

    stream.seek(-16, io.SEEK_END)
    assert stream.read(16) == bytes(16)  # a tail read, as a PDF reader starts
    stream.seek(0)
    with pytest.raises(FactBudgetExceeded):
        stream.read(-1)

    assert spent.input_bytes == 16
