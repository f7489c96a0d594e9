"""Arrivals and departures at O(1) frames per event: joins and leaves gathered over a
short window into one ``presence_diff`` for the sockets that asked for it
(``?presence=diff``), and on canvases above the detail limit a periodic
``presence_count`` for everyone instead of one notice per user and socket."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.protocol import encode_event, text_frame
from stellarcollab.realtime.recovery import Delivery
from stellarcollab.realtime.registry import ConnectionRegistry
from stellarcollab.realtime.topics import canvas_topic
from stellarcollab.wire import presence as wire_presence

log = logging.getLogger(__name__)

#: the meta key of ``user_joined``/``user_left``: {"kind", "user", "active_users"}
MEMBERSHIP_META = "membership"
MEMBERSHIP_TYPES = frozenset({"user_joined", "user_left"})
#: a timer may fire this early (uvloop's resolution is a millisecond)
TIMER_SLACK = 0.001
UserLister = Callable[[int], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class PresencePolicy:
    """How presence scales: above ``detail_limit`` users a canvas is *large*."""

    detail_limit: int = 100
    diff_window: float = 0.1
    count_interval: float = 0.5
    #: while arrivals go on, a large canvas's counts cost about this many frames a second:
    #: a count every ``active_users / count_rate`` seconds (at least ``count_interval``),
    #: so 2,500 users get one a second, 50,000 one every 20 s
    count_rate: float = 2500.0
    #: the counts that pauses bring sooner come at least this share of that period apart
    #: (at least ``count_interval``), so however the arrivals come a canvas costs at most
    #: about ``count_rate / pause_share`` frames a second, and the count after a crowd's
    #: last arrival follows it within the window or this share of a period after the
    #: count before
    pause_share: float = 0.25

    def is_large(self, active_users: int) -> bool:
        return active_users > self.detail_limit

    def count_period(self, active_users: int) -> float:
        return max(self.count_interval, active_users / self.count_rate)

    def count_spacing(self, active_users: int) -> float:
        """How far apart a large canvas's counts come at the least."""
        return max(self.count_interval, self.pause_share * self.count_period(active_users))

    def count_due(self, last_count: float | None, first_change: float, last_change: float,
                  active_users: int) -> float:
        """When a large canvas's next ``presence_count`` goes out: ``diff_window`` after
        the last change once changes pause (so the final count of a crowd follows its
        last arrival closely), at most ``count_period`` after the previous count while they
        go on, and never sooner than ``count_spacing`` after it (so a trickle of arrivals,
        each after a pause, is not counted after every one) nor ``diff_window`` after the
        first change it counts."""
        lower = first_change + self.diff_window
        start = first_change
        if last_count is not None:
            lower = max(lower, last_count + self.count_spacing(active_users))
            start = max(start, last_count)
        upper = start + self.count_period(active_users)
        return max(lower, min(last_change + self.diff_window, upper))


#: the naive baseline's policy: every notice to everyone, whole user lists
UNLIMITED = PresencePolicy(detail_limit=2**62)


class _Pending:
    __slots__ = ("active_users", "first_change", "handle", "last_change", "ops", "seq")

    def __init__(self) -> None:
        #: the last change per user (joins and leaves are idempotent: the last one wins)
        self.ops: dict[int, tuple[str, dict[str, Any]]] = {}
        self.active_users = 0
        #: the canvas ``seq`` of the last change noted: every canvas event up to it has
        #: been handed to the sockets before the message that stands for these changes
        self.seq = 0
        self.handle: asyncio.TimerHandle | None = None
        #: event-loop times of the first and the last change gathered
        self.first_change = self.last_change = 0.0


class PresenceBatcher:
    """Fed every ``user_joined``/``user_left`` delivery (from any process) by the fan-out."""

    def __init__(self, registry: ConnectionRegistry, policy: PresencePolicy,
                 list_users: UserLister) -> None:
        self.registry = registry
        self.policy = policy
        self.list_users = list_users
        self._pending: dict[int, _Pending] = {}
        self._large: set[int] = set()  # as of the last flush (for the reset on shrinking)
        self._crowded: set[int] = set()  # as of the last change
        self._last_count: dict[int, float] = {}
        self._resetting: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def guide_receivers(self, delivery: Delivery,
                        conns: dict[str, Connection]) -> list[Connection] | None:
        """Note the change for the next diff; return the sockets that still get the
        individual notice (those that did not ask for diffs, on a canvas not large), or
        None when the delivery carries no membership fact (deliver it to everyone)."""
        fact = delivery.meta.get(MEMBERSHIP_META) if delivery.meta else None
        if fact is None:
            return None
        self._note(delivery.canvas_id, delivery.seq, fact)
        if self.policy.is_large(int(fact["active_users"])):
            return []
        return [c for c in conns.values() if not c.presence_diff]

    def _note(self, canvas_id: int, seq: int, fact: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        pending = self._pending.get(canvas_id)
        if pending is None:
            pending = self._pending[canvas_id] = _Pending()
            pending.first_change = now
        pending.last_change = now
        user = fact["user"]
        pending.ops[int(user["user_id"])] = (str(fact["kind"]), user)
        pending.active_users = int(fact["active_users"])
        pending.seq = max(pending.seq, seq)
        if self.policy.is_large(pending.active_users):
            self._crowded.add(canvas_id)
        else:
            self._crowded.discard(canvas_id)
        if pending.handle is None:
            pending.handle = loop.call_at(self._due(canvas_id, pending), self._flush, canvas_id)

    def _due(self, canvas_id: int, pending: _Pending) -> float:
        """A small canvas's diff goes ``diff_window`` after the first change it carries;
        a large canvas's count as ``PresencePolicy.count_due`` says."""
        if not self.policy.is_large(pending.active_users):
            return pending.first_change + self.policy.diff_window
        return self.policy.count_due(self._last_count.get(canvas_id), pending.first_change,
                                     pending.last_change, pending.active_users)

    def _flush(self, canvas_id: int) -> None:
        loop = asyncio.get_running_loop()
        pending = self._pending[canvas_id]
        if canvas_id in self._resetting:  # a full list is on its way: diffs follow it
            pending.handle = loop.call_later(self.policy.diff_window, self._flush, canvas_id)
            return
        due = self._due(canvas_id, pending)
        if due > loop.time() + TIMER_SLACK:  # changes went on meanwhile: a count waits
            pending.handle = loop.call_at(due, self._flush, canvas_id)
            return
        del self._pending[canvas_id]
        conns = self.registry.canvases.get(canvas_id)
        large = self.policy.is_large(pending.active_users)
        was_large = canvas_id in self._large
        if large:
            self._large.add(canvas_id)
            self._last_count[canvas_id] = loop.time()
        else:
            self._large.discard(canvas_id)
            self._last_count.pop(canvas_id, None)
        if not conns:
            return
        if large:
            count = wire_presence.presence_count(canvas_id=canvas_id,
                                                 active_users=pending.active_users,
                                                 through_seq=pending.seq)
            _send(canvas_id, count, conns.values())
        elif was_large:
            self._start_reset(canvas_id, pending.seq)
        else:
            joins = [user for kind, user in pending.ops.values() if kind == "join"]
            leaves = [user for kind, user in pending.ops.values() if kind == "leave"]
            diff = wire_presence.presence_diff(canvas_id=canvas_id, joins=joins,
                                               leaves=leaves,
                                               active_users=pending.active_users,
                                               through_seq=pending.seq)
            _send(canvas_id, diff, [c for c in conns.values() if c.presence_diff])

    def _start_reset(self, canvas_id: int, through_seq: int) -> None:
        """The canvas shrank to detail again: diff sockets get the whole list once."""
        self._resetting.add(canvas_id)
        task = asyncio.get_running_loop().create_task(self._reset(canvas_id, through_seq))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reset(self, canvas_id: int, through_seq: int) -> None:
        try:
            users = await self.list_users(canvas_id)
            conns = self.registry.canvases.get(canvas_id, {})
            diff = wire_presence.presence_diff(canvas_id=canvas_id, joins=users, leaves=[],
                                               active_users=len(users),
                                               through_seq=through_seq, reset=True)
            _send(canvas_id, diff, [c for c in conns.values() if c.presence_diff])
        except Exception:
            log.exception("presence reset of canvas %s failed", canvas_id)
        finally:
            self._resetting.discard(canvas_id)

    def is_large(self, canvas_id: int) -> bool:
        """Whether this canvas was above the detail limit at its last change."""
        return canvas_id in self._crowded

    def stop(self) -> None:
        for pending in self._pending.values():
            if pending.handle is not None:
                pending.handle.cancel()
        self._pending.clear()
        for task in self._tasks:
            task.cancel()


def _send(canvas_id: int, event: dict[str, Any], conns: Iterable[Connection]) -> None:
    """One unnumbered event to some sockets of a canvas, encoded once; a joining socket
    holds it until its snapshot is out (and a resuming one until its replay is out, so
    ``through_seq`` never runs ahead of an event the socket is still owed)."""
    payload = encode_event(event)
    frame = text_frame(payload)
    delivery = Delivery(canvas_id, 0, str(event["type"]), payload, topic=canvas_topic(canvas_id))
    for connection in conns:
        if connection.is_live:
            connection.deliver(delivery, frame)
