"""One document's budget for fact extraction: bytes read, bytes decompressed, objects, depth, time.

A per-stream decompression limit does not bound a document: thirty kilobytes of PDF can hold a
hundred object streams, each just under any per-stream limit. Every extractor therefore draws on one
``FactBudget`` per document, and every place where parsing spends (a read of the input, a decoded
stream, a resolved object, a level of nesting, elapsed time) charges it. Once any limit is reached the
budget stays exhausted: every later charge fails again, so a library that swallows the first
``FactBudgetExceeded`` cannot go on working, and the extractor checks ``exceeded`` when the library
returns. The caller then stores the document without that fact.

Extractors see the input only through ``MeteredStream``, which refuses a read that would pass the
input limit *before* reading it; the same extractor can therefore be given a multi-gigabyte object
behind a seekable reader and will look at no more than the budget allows.
"""

from __future__ import annotations

import io
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO


class Limit(StrEnum):
    """Which part of a budget ran out (the ``Limit`` dimension of the ``FactsSkipped`` metric)."""

    INPUT_BYTES = "input_bytes"
    DECOMPRESSED_BYTES = "decompressed_bytes"
    DECODING = "decoding"
    OBJECTS = "objects"
    DEPTH = "depth"
    PARSER = "parser_limit"
    """One of the parser's own per-structure limits (e.g. elements of one array)."""
    TIME = "time"


class FactBudgetExceeded(Exception):
    """Raised wherever a charge passes a limit; the fact being extracted is then left out."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(f"fact extraction budget exhausted: {limit}")
        self.limit = limit


class FactBudget:
    """Limits for extracting the facts of one document, with what has been spent so far.

    The deadline starts when the budget is created: create one per document, just before extracting.
    """

    def __init__(
        self,
        *,
        max_input_bytes: int,
        max_decompressed_bytes: int,
        max_objects: int,
        max_depth: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_input_bytes = max_input_bytes
        """Bytes of the document the extractor may read (re-reads count again: it is work done)."""
        self.max_decompressed_bytes = max_decompressed_bytes
        """Total output of every stream decoded, whatever its filter."""
        self.max_objects = max_objects
        """Objects resolved, parsed or decoded."""
        self.max_depth = max_depth
        """Nesting of the structure walked (e.g. a PDF page tree)."""
        self.seconds = seconds
        """Wall time allowed, checked at every charge."""
        self._clock = clock
        self._deadline = clock() + seconds
        self.input_bytes = 0
        self.decompressed_bytes = 0
        self.objects = 0
        self.deepest = 0
        self.exceeded: Limit | None = None
        """The first limit reached; once set, every charge raises."""

    def check(self) -> None:
        """Raise if the budget is exhausted or the deadline has passed."""
        if self.exceeded is not None:
            raise FactBudgetExceeded(self.exceeded)
        if self._clock() > self._deadline:
            self.fail(Limit.TIME)

    def fail(self, limit: Limit) -> None:
        """Mark the budget exhausted by ``limit`` (the first limit reached is kept) and raise."""
        if self.exceeded is None:
            self.exceeded = limit
        raise FactBudgetExceeded(self.exceeded)

    def charge_input(self, size: int) -> None:
        """Account for ``size`` bytes about to be read from the document; refuse before reading.

        Called for every read (pypdf reads a byte at a time), so the common case is two comparisons.
        """
        if self.input_bytes + size > self.max_input_bytes:
            self.fail(Limit.INPUT_BYTES)
        if self.exceeded is not None or self._clock() > self._deadline:
            self.check()
        self.input_bytes += size

    def charge_decompressed(self, size: int) -> None:
        """Account for ``size`` bytes of decoded stream output."""
        self.decompressed_bytes += size
        self.check()
        if self.decompressed_bytes > self.max_decompressed_bytes:
            self.fail(Limit.DECOMPRESSED_BYTES)

    @property
    def remaining_decompressed(self) -> int:
        """Decoded bytes still allowed (what one more stream may inflate to)."""
        return max(0, self.max_decompressed_bytes - self.decompressed_bytes)

    def charge_object(self) -> None:
        """Account for one more object resolved, parsed or decoded."""
        self.objects += 1
        self.check()
        if self.objects > self.max_objects:
            self.fail(Limit.OBJECTS)

    def enter(self, depth: int) -> None:
        """Account for reaching nesting ``depth`` (1 is the top)."""
        self.deepest = max(self.deepest, depth)
        self.check()
        if depth > self.max_depth:
            self.fail(Limit.DEPTH)

    def spent(self) -> dict[str, Any]:
        """What was spent, for the warning logged when a fact is skipped."""
        return {
            "inputBytes": self.input_bytes,
            "decompressedBytes": self.decompressed_bytes,
            "objects": self.objects,
            "depth": self.deepest,
        }


class MeteredStream(io.RawIOBase):
    """A read-only, seekable view of ``inner`` whose every read is charged to ``budget`` first.

    A read is sized against what is left of the input (``read(-1)`` means the rest of the stream) and
    refused before any byte is read, so an extractor cannot pull a large document into memory.
    """

    def __init__(self, inner: BinaryIO, budget: FactBudget) -> None:
        super().__init__()
        self._inner = inner
        self._budget = budget
        self._size = inner.seek(0, io.SEEK_END)
        inner.seek(0)

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def seekable(self) -> bool:
        """Always: extractors (pypdf, imagesize) seek."""
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the document; seeking reads nothing, so it is free."""
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        """The current position."""
        return self._inner.tell()

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when negative), charged before they are read.

        What is left of the stream is charged, not what was asked; a one-byte read (pypdf's usual) is
        charged as asked, which keeps that hot path short.
        """
        if size is None or size < 0 or size > 1:
            available = max(0, self._size - self._inner.tell())
            size = available if size is None or size < 0 else min(size, available)
        self._budget.charge_input(size)
        return self._inner.read(size)

    def readinto(self, buffer: Any) -> int:
        """``read`` into ``buffer`` (for ``io`` helpers that use it)."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
