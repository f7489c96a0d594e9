"""The keepalive schedule on a clock of the test's: expired tokens close 4001, silent
sockets close after the idle timeout, quiet ones are pinged; a pass looks only at the
sockets that are due, and an entry never keeps a closed connection alive."""

from __future__ import annotations

import sys
from typing import Any, cast

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.keepalive import SLACK, KeepaliveSchedule

IDLE, PING = 60.0, 30.0


class StampedWriter:
    """A writer whose socket was last heard from at ``seen`` (loop seconds)."""

    looked_at = 0

    def __init__(self, seen: float) -> None:
        self.seen = seen
        self.pings: list[float] = []
        self.closed: tuple[int, str] | None = None

    def send(self, payload: bytes, frame: bytes) -> None:
        return None

    send_now = send

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def last_seen(self) -> float:
        StampedWriter.looked_at += 1
        return self.seen

    def ping_if_quiet(self, now: float, interval: float) -> None:
        if now - self.seen >= interval and (not self.pings or now - self.pings[-1] >= interval):
            self.pings.append(now)


def socket(number: int, expires_at: float, seen: float = 0.0) -> Connection:
    return Connection(cast(Any, None), StampedWriter(seen),
                      {"user_id": number, "username": f"u{number}", "display_name": "U"},
                      None, f"jti{number}", expires_at, f"c{number}")


def writer(connection: Connection) -> StampedWriter:
    return cast(StampedWriter, connection.writer)


def run(schedule: KeepaliveSchedule, connections: dict[str, Connection], now: float,
        loop_time: float) -> int:
    return schedule.run(connections, now, IDLE, loop_time, PING)


def registered(*sockets: Connection) -> tuple[KeepaliveSchedule, dict[str, Connection]]:
    schedule = KeepaliveSchedule()
    for connection in sockets:
        schedule.add(connection, 0.0)
    return schedule, {c.id: c for c in sockets}


def test_an_expired_token_closes_its_socket_and_a_rebound_one_does_not() -> None:
    early, rebound, late = socket(1, 100.0), socket(2, 100.0), socket(3, 500.0)
    schedule, connections = registered(early, rebound, late)
    rebound.expires_at = 400.0  # the socket sent a fresh token
    schedule.token_changed(rebound)
    assert run(schedule, connections, now=99.0, loop_time=1.0) == 0
    assert run(schedule, connections, now=100.0, loop_time=2.0) == 1
    assert writer(early).closed == (CloseCode.UNAUTHORIZED, "token expired")
    assert writer(rebound).closed is None and writer(late).closed is None
    assert run(schedule, connections, now=400.0, loop_time=3.0) == 1
    assert writer(rebound).closed == (CloseCode.UNAUTHORIZED, "token expired")


def test_quiet_sockets_are_pinged_and_silent_ones_closed_after_the_timeout() -> None:
    chatty, silent = socket(1, 10_000.0), socket(2, 10_000.0)
    schedule, connections = registered(chatty, silent)
    for second in range(1, 62):
        writer(chatty).seen = float(second)  # heard from every second
        run(schedule, connections, now=0.0, loop_time=float(second))
    assert writer(chatty).pings == [] and writer(chatty).closed is None
    assert writer(silent).pings == [30.0, 60.0]
    assert writer(silent).closed == (CloseCode.INTERNAL_ERROR, "keepalive timeout")


def test_a_pass_looks_only_at_the_sockets_that_are_due() -> None:
    sockets = [socket(n, 10_000.0, seen=0.0) for n in range(1000)]
    schedule, connections = registered(*sockets)
    run(schedule, connections, now=0.0, loop_time=0.5)  # each socket's first look
    StampedWriter.looked_at = 0
    for second in range(1, 29):  # nobody is quiet for 30 s before second 30
        run(schedule, connections, now=0.0, loop_time=float(second))
    assert StampedWriter.looked_at == 0
    run(schedule, connections, now=0.0, loop_time=30.0)
    assert StampedWriter.looked_at == 1000 and all(writer(c).pings == [30.0] for c in sockets)


def test_no_entry_keeps_a_closed_connection_alive_and_the_heaps_shrink() -> None:
    sockets = [socket(n, 10_000.0) for n in range(SLACK * 2)]
    schedule, connections = registered(*sockets)
    first = sockets[0]
    connections.clear()  # every socket left
    sockets.clear()
    assert sys.getrefcount(first) == 2  # ``first`` and the call's argument: nothing else
    run(schedule, connections, now=0.0, loop_time=1.0)
    assert len(schedule) == 0  # rebuilt from the live sockets: none
