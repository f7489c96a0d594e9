"""The keepalive schedule: which sockets to look at, and when. Every second the server
closes the sockets whose token expired or that sent nothing for the idle timeout, and
pings those that were quiet for the ping interval; the schedule makes that pass cost the
sockets that are due, not every socket (a pass over 20,000 sockets each second would
hold the event loop for tens of milliseconds, every second).

Two heaps, by connection id (an entry never keeps a closed connection alive): token
expiries on the wall clock (a token can be rebound to a later one), and the next check of
each socket's activity on the event loop's clock, worked out again at each check from
when the socket was last heard from. Entries of sockets that are gone are skipped when
they come up, and the heaps are rebuilt once they hold more of those than live ones.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.connection import Connection

#: the heaps are rebuilt from the live sockets when they hold this many more entries
SLACK = 1024


class KeepaliveSchedule:
    def __init__(self) -> None:
        #: (token expiry, connection id): wall-clock seconds
        self._expiries: list[tuple[float, str]] = []
        #: (next activity check, connection id): event-loop seconds
        self._checks: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiries) + len(self._checks)

    def add(self, connection: Connection, loop_time: float) -> None:
        """A new socket: its token's expiry, and a first look at the next pass."""
        heapq.heappush(self._expiries, (connection.expires_at, connection.id))
        heapq.heappush(self._checks, (loop_time, connection.id))

    def token_changed(self, connection: Connection) -> None:
        """The socket's token was replaced: the old expiry's entry no longer matches."""
        heapq.heappush(self._expiries, (connection.expires_at, connection.id))

    def run(self, connections: Mapping[str, Connection], now: float, idle_timeout: float,
            loop_time: float, ping_interval: float | None = None) -> int:
        """One pass: ``now`` is wall-clock time (token expiry), ``loop_time`` the event
        loop's clock (socket activity). Returns how many sockets it closed."""
        closed = self._close_expired(connections, now)
        closed += self._check_activity(connections, idle_timeout, loop_time, ping_interval)
        if len(self) > 2 * (2 * len(connections)) + SLACK:
            self._rebuild(connections, loop_time)
        return closed

    def _close_expired(self, connections: Mapping[str, Connection], now: float) -> int:
        closed = 0
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            _expiry, connection_id = heapq.heappop(expiries)
            connection = connections.get(connection_id)
            # gone, closing already, or its token was replaced by a later one
            if connection is None or not connection.is_live or connection.expires_at > now:
                continue
            connection.close(CloseCode.UNAUTHORIZED, "token expired")
            closed += 1
        return closed

    def _check_activity(self, connections: Mapping[str, Connection], idle_timeout: float,
                        loop_time: float, ping_interval: float | None) -> int:
        closed = 0
        checks = self._checks
        later: list[tuple[float, str]] = []
        while checks and checks[0][0] <= loop_time:
            _due, connection_id = heapq.heappop(checks)
            connection = connections.get(connection_id)
            if connection is None or not connection.is_live:
                continue
            seen = connection.writer.last_seen()
            if seen is None:  # a writer without activity stamps: pinged by its server
                continue
            if loop_time - seen > idle_timeout:
                connection.close(CloseCode.INTERNAL_ERROR, "keepalive timeout")
                closed += 1
                continue
            deadline = seen + idle_timeout
            if ping_interval:
                connection.writer.ping_if_quiet(loop_time, ping_interval)
                quiet_at = seen + ping_interval
                # next: when it turns quiet; if it is, when an unanswered ping may repeat
                deadline = min(deadline, quiet_at if quiet_at > loop_time
                               else loop_time + ping_interval)
            later.append((deadline, connection_id))
        for entry in later:  # after the loop: a check due now is not run twice in one pass
            heapq.heappush(checks, entry)
        return closed

    def _rebuild(self, connections: Mapping[str, Connection], loop_time: float) -> None:
        """Only the live sockets' entries: each gets its current expiry and a look at
        the next pass (when its next check is worked out again)."""
        self._expiries = [(c.expires_at, c.id) for c in connections.values()]
        heapq.heapify(self._expiries)
        self._checks = [(loop_time, c.id) for c in connections.values()]
