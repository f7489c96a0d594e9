"""Time as the server reads it, injected wherever a TTL or an expiry is decided, so tests
move time forward instead of sleeping."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch."""
        ...

    def monotonic(self) -> float: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._offset = start - 1_000_000.0

    def time(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._offset

    def advance(self, seconds: float) -> None:
        self._now += seconds
