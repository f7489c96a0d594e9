"""The cyclic garbage collector during an arrival storm: young collections held back while
a crowd connects, and let run again once the arrivals calm down.

Every new socket leaves about 40 objects the collector tracks (its task and coroutine
frames, the protocol, the parser, futures), and none of them is garbage while the socket
is open. When thousands of people arrive within seconds, the young generation fills with
nothing but such survivors: each young collection walks them, frees nothing and promotes
them, every tenth walks the middle generation of them again, and the crowd waits behind
it (with 5,000 arrivals, about a dozen young collections and one middle one of 140 ms on a
2-core machine). While sockets are accepted at ``storm_rate`` a second or more, and once
such a crowd has brought ``crowd_size`` of them, the young threshold is raised to
``storm_threshold`` (a bound on what may pile up, garbage included). Once ``calm_after``
seconds have passed below that rate, the process's own thresholds are put back, and the
next young collection walks the crowd's survivors in one go, after the crowd is in.

Nothing is skipped that matters: garbage made during the storm is found by that
collection. One process, one collector: the governor is process-wide, fed on a timer by
the count of accepted sockets (``COUNTERS.connects``), and costs the hot path nothing."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Protocol

from stellarcollab.observability.metrics import COUNTERS, HotCounters

#: accepted sockets a second from which a storm is declared (``STELLAR_GC_STORM_RATE``)
STORM_RATE = 250.0
#: sockets a crowd must have brought before collections are held: below that, a burst's
#: young collections are short, and holding them would only put one longer pause where
#: the burst's first messages are
CROWD_SIZE = 500
#: net new tracked objects the young generation may hold during a storm
STORM_THRESHOLD = 500_000
#: seconds below the storm rate after which collections run as before
CALM_AFTER = 1.0
#: how often the governor looks at the arrivals
TICK_S = 0.2


class Collector(Protocol):
    """What the governor changes: ``gc``'s thresholds."""

    def get_threshold(self) -> tuple[int, int, int]: ...

    def set_threshold(self, threshold0: int, threshold1: int = ..., threshold2: int = ...,
                      /) -> None: ...


class StormCollector:
    """Raises the young generation's threshold once sockets arriving at ``storm_rate`` a
    second or more have made a crowd of ``crowd_size``, and puts the process's own
    thresholds back when ``calm_after`` seconds have passed below that rate."""

    def __init__(self, counters: HotCounters = COUNTERS,
                 storm_rate: float = STORM_RATE, storm_threshold: int = STORM_THRESHOLD,
                 calm_after: float = CALM_AFTER, crowd_size: int = CROWD_SIZE,
                 clock: Callable[[], float] = time.monotonic,
                 collector: Collector = gc) -> None:
        self.counters = counters
        self.storm_rate = storm_rate
        self.storm_threshold = storm_threshold
        self.calm_after = calm_after
        self.crowd_size = crowd_size
        self.clock = clock
        self.collector = collector
        self._last_count = counters.connects
        self._last_at = clock()
        self._stormy_at = float("-inf")
        #: the connect count when the crowd under way began
        self._crowd_from: int | None = None
        #: the thresholds to put back, while held
        self._saved: tuple[int, int, int] | None = None

    @property
    def holding(self) -> bool:
        return self._saved is not None

    def tick(self) -> None:
        """Look at the arrivals since the last tick; hold or release collections."""
        now, count = self.clock(), self.counters.connects
        elapsed = now - self._last_at
        stormy = (self.storm_rate > 0 and elapsed > 0
                  and (count - self._last_count) / elapsed >= self.storm_rate)
        if stormy:
            if self._crowd_from is None:
                self._crowd_from = self._last_count
            self._stormy_at = now
            if self._saved is None and count - self._crowd_from >= self.crowd_size:
                self._hold()
        elif now - self._stormy_at >= self.calm_after:
            self._crowd_from = None
            self.release()
        self._last_count, self._last_at = count, now

    def _hold(self) -> None:
        saved = self.collector.get_threshold()
        if saved[0] == 0 or saved[0] >= self.storm_threshold:
            return  # collection is off, or already this lax: nothing to hold
        self._saved = saved
        self.collector.set_threshold(self.storm_threshold, saved[1], saved[2])
        self.counters.gc_storms += 1

    def release(self) -> None:
        """Put the process's thresholds back (also when the server stops)."""
        saved, self._saved = self._saved, None
        if saved is not None:
            self.collector.set_threshold(*saved)


#: the process's governor (the collector is the process's too)
STORM_GC = StormCollector()
