"""Recent history of each canvas's events and the decision a reconnect gets: replay
what was missed, or ask the client to resync. Pure; the clock is passed in."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Delivery:
    """One numbered event as it travels: its JSON payload, who must not get it."""

    canvas_id: int
    seq: int
    event_type: str
    payload: bytes
    exclude_user: int | None = None
    exclude_connection: str | None = None
    published_at: float = 0.0

    def is_for(self, user_id: int, connection_id: str) -> bool:
        return self.exclude_user != user_id and self.exclude_connection != connection_id


@dataclass(frozen=True, slots=True)
class Replay:
    deliveries: list[Delivery]


@dataclass(frozen=True, slots=True)
class Resync:
    reason: str


class EventHistory:
    """The last ``capacity`` deliveries of one canvas, kept for ``ttl`` seconds."""

    def __init__(self, capacity: int, ttl: float) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self.items: deque[Delivery] = deque(maxlen=capacity)

    def append(self, delivery: Delivery) -> None:
        self.items.append(delivery)

    def prune(self, now: float) -> None:
        while self.items and now - self.items[0].published_at > self.ttl:
            self.items.popleft()


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
    missed = [d for d in history.items if d.seq > since]
    if not missed or missed[0].seq != since + 1:
        return Resync("history_gone")
    return Replay(missed)
