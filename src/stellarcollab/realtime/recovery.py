"""Recent history of each canvas's events and the decision a reconnect gets: replay
what was missed, or ask the client to resync. Pure; the clock is passed in."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event as it travels: its JSON payload, who must not get it, the topic it was
    published on and typed ``meta`` about what it did (so receivers never decode the
    payload). Canvas events are numbered; events of other topics have ``seq`` and
    ``canvas_id`` 0."""

    canvas_id: int
    seq: int
    event_type: str
    payload: bytes
    exclude_user: int | None = None
    exclude_connection: str | None = None
    published_at: float = 0.0
    topic: str = ""
    meta: Mapping[str, Any] | None = None

    def is_for(self, user_id: int, connection_id: str) -> bool:
        return self.exclude_user != user_id and self.exclude_connection != connection_id


@dataclass(frozen=True, slots=True)
class Replay:
    deliveries: list[Delivery]


@dataclass(frozen=True, slots=True)
class Resync:
    reason: str


#: How a delivery is kept in a history: its fields as a plain tuple. A canvas keeps up to
#: a thousand events for minutes; tuples of plain values are left out of the garbage
#: collector's passes, so the history adds nothing to its pauses (a slotted dataclass
#: would be walked by every full collection). Not its ``meta``: what it did was applied
#: when it was delivered live, and a replay only writes its payload (kept, the meta of
#: a crowd's arrivals took about 300 bytes each).
StoredDelivery = tuple[int, int, str, bytes, int | None, str | None, float, str]


#: arrivals and departures: kept, but not counted against the capacity, so that a blip
#: of a thousand sockets (a thousand departures, then arrivals) does not push the events
#: they missed out of the history; their own bound is ``MEMBERSHIP_FACTOR`` x capacity
MEMBERSHIP = frozenset({"user_joined", "user_left"})
MEMBERSHIP_FACTOR = 10


class EventHistory:
    """The last ``capacity`` deliveries of one canvas (arrivals and departures aside),
    kept for ``ttl`` seconds. The counted ones are also indexed on their own, so a replay
    that skips arrivals and departures walks only them (a resume after a crowd of
    thousands costs what it replays, not the crowd)."""

    def __init__(self, capacity: int, ttl: float) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._items: deque[StoredDelivery] = deque(
            maxlen=capacity * (1 + MEMBERSHIP_FACTOR))
        #: the items that are not arrivals or departures, in the same order
        self._counted: deque[StoredDelivery] = deque()

    def append(self, delivery: Delivery) -> None:
        items = self._items
        counted = delivery.event_type not in MEMBERSHIP
        if counted:
            while len(self._counted) >= self.capacity and items:
                self._drop_oldest()
        if len(items) == items.maxlen:
            self._drop_oldest()
        stored = (delivery.canvas_id, delivery.seq, delivery.event_type, delivery.payload,
                  delivery.exclude_user, delivery.exclude_connection,
                  delivery.published_at, delivery.topic)
        items.append(stored)
        if counted:
            self._counted.append(stored)

    def _drop_oldest(self) -> None:
        if self._items.popleft()[2] not in MEMBERSHIP:
            self._counted.popleft()

    def after(self, seq: int, skip: frozenset[str] = frozenset()) -> list[Delivery]:
        """The kept deliveries numbered above ``seq``, oldest first, but those of the
        types in ``skip``."""
        items = self._counted if skip >= MEMBERSHIP else self._items
        first = _first_after(items, seq)
        return [Delivery(*stored) for stored in islice(items, first, None)
                if stored[2] not in skip]

    def covers(self, seq: int) -> bool:
        """Every event from ``seq`` on is kept (the history has no holes)."""
        return bool(self._items) and self._items[0][1] <= seq

    def prune(self, now: float) -> None:
        items = self._items
        while items and now - items[0][6] > self.ttl:
            self._drop_oldest()


def _first_after(items: deque[StoredDelivery], seq: int) -> int:
    """The index of the first item numbered above ``seq`` (items are in ``seq`` order)."""
    low, high = 0, len(items)
    while low < high:
        middle = (low + high) // 2
        if items[middle][1] <= seq:
            low = middle + 1
        else:
            high = middle
    return low


def plan_recovery(
    history: EventHistory | None,
    since: int,
    current_seq: int,
    client_epoch: str | None,
    epoch: str,
    now: float,
    skip: frozenset[str] = frozenset(),
) -> Replay | Resync:
    """What a client that last saw ``since`` needs to catch up to ``current_seq`` (but
    the event types in ``skip``)."""
    if client_epoch is not None and client_epoch != epoch:
        return Resync("epoch_changed")
    if since > current_seq:
        return Resync("ahead_of_server")
    if since == current_seq:
        return Replay([])
    if history is None:
        return Resync("history_gone")
    history.prune(now)
    if not history.covers(since + 1):
        return Resync("history_gone")
    return Replay(history.after(since, skip))
