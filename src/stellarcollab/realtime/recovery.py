"""Recent history of each canvas's events and the decision a reconnect gets: replay
what was missed, or ask the client to resync. Pure; the clock is passed in."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
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
#: would be walked by every full collection).
StoredDelivery = tuple[
    int, int, str, bytes, int | None, str | None, float, str, Mapping[str, Any] | None]


class EventHistory:
    """The last ``capacity`` deliveries of one canvas, kept for ``ttl`` seconds."""

    def __init__(self, capacity: int, ttl: float) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._items: deque[StoredDelivery] = deque(maxlen=capacity)

    def append(self, delivery: Delivery) -> None:
        self._items.append((delivery.canvas_id, delivery.seq, delivery.event_type,
                            delivery.payload, delivery.exclude_user,
                            delivery.exclude_connection, delivery.published_at,
                            delivery.topic, delivery.meta))

    def after(self, seq: int) -> list[Delivery]:
        """The kept deliveries numbered above ``seq``, oldest first."""
        return [Delivery(*stored) for stored in self._items if stored[1] > seq]

    def prune(self, now: float) -> None:
        items = self._items
        while items and now - items[0][6] > self.ttl:
            items.popleft()


def plan_recovery(
    history: EventHistory | None,
    since: int,
    current_seq: int,
    client_epoch: str | None,
    epoch: str,
    now: float,
) -> Replay | Resync:
    """What a client that last saw ``since`` needs to catch up to ``current_seq``."""
    if client_epoch is not None and client_epoch != epoch:
        return Resync("epoch_changed")
    if since > current_seq:
        return Resync("ahead_of_server")
    if since == current_seq:
        return Replay([])
    if history is None:
        return Resync("history_gone")
    history.prune(now)
    missed = history.after(since)
    if not missed or missed[0].seq != since + 1:
        return Resync("history_gone")
    return Replay(missed)
