"""The keepalive sweep: one pass over this process's sockets every second, instead of a
timer per socket. Closes those whose token expired or that sent nothing for the idle
timeout, and pings those that were quiet for the ping interval."""

from __future__ import annotations

from collections.abc import Iterable

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.connection import Connection


def sweep(connections: Iterable[Connection], now: float, idle_timeout: float,
          loop_time: float, ping_interval: float | None = None) -> int:
    """``now`` is wall-clock time (token expiry), ``loop_time`` the event loop's clock
    (socket activity). Returns how many sockets it closed."""
    closed = 0
    for connection in connections:
        if not connection.is_live:
            continue
        if connection.expires_at <= now:
            connection.close(CloseCode.UNAUTHORIZED, "token expired")
            closed += 1
            continue
        seen = connection.writer.last_seen()
        if seen is not None and loop_time - seen > idle_timeout:
            connection.close(CloseCode.INTERNAL_ERROR, "keepalive timeout")
            closed += 1
        elif ping_interval:
            connection.writer.ping_if_quiet(loop_time, ping_interval)
    return closed
