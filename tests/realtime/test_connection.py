"""The connection's lifecycle enum and its hold-then-release of events while joining."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest

from stellarcollab.realtime.connection import Connection, ConnectionState, IllegalTransition
from stellarcollab.realtime.protocol import CanvasBounds
from stellarcollab.realtime.recovery import Delivery


class RecordingWriter:
    def __init__(self) -> None:
        self.payloads: list[bytes] = []
        self.closed: tuple[int, str] | None = None

    def send(self, payload: bytes, frame: bytes) -> None:
        self.payloads.append(payload)

    send_now = send

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def last_seen(self) -> float | None:
        return None


def make_connection() -> tuple[Connection, RecordingWriter]:
    writer = RecordingWriter()
    connection = Connection(
        cast(Any, None), writer, {"user_id": 1, "username": "a", "display_name": "A"},
        CanvasBounds(1, 8, 8), "jti", time.time() + 60,
    )
    return connection, writer


def delivery(seq: int) -> Delivery:
    return Delivery(1, seq, "e", f'{{"seq":{seq}}}'.encode())


def test_events_during_join_are_held_then_released_without_duplicates() -> None:
    connection, writer = make_connection()
    connection.deliver(delivery(4), b"")
    connection.deliver(delivery(5), b"")
    assert writer.payloads == []
    connection.replay([delivery(3), delivery(4)])
    connection.open(snapshot_seq=4)
    assert writer.payloads == [b'{"seq":3}', b'{"seq":4}', b'{"seq":5}']
    connection.deliver(delivery(5), b"")  # a duplicate is dropped
    connection.deliver(delivery(6), b"")
    assert writer.payloads[-1] == b'{"seq":6}' and len(writer.payloads) == 4


def test_lifecycle_transitions() -> None:
    connection, writer = make_connection()
    assert connection.state is ConnectionState.JOINING
    connection.open(0)
    connection.close(4008, "slow consumer")
    assert connection.state is ConnectionState.CLOSING and writer.closed == (4008, "slow consumer")
    connection.close(1000, "again")  # closing twice is a no-op
    assert writer.closed == (4008, "slow consumer")
    connection.transition(ConnectionState.CLOSED)
    with pytest.raises(IllegalTransition):
        connection.transition(ConnectionState.OPEN)
    connection.send_event({"type": "pong"})  # dropped: not live
    assert writer.payloads == []
