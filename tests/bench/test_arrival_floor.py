"""The bare arrival server's pieces: the handshake answer, the frames, the request it
reads, and the cadence of its presence counts (on a loop whose clock the test moves)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import orjson

from stellarcollab.bench.arrival_floor import (
    FloorCanvas,
    accept_key,
    parse_upgrade,
    text_frame,
)
from stellarcollab.realtime.presence_batch import PresencePolicy


def test_accept_key_is_rfc_6455s() -> None:
    # the example of RFC 6455, section 1.3
    assert accept_key(b" dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_text_frames_of_every_length_form() -> None:
    assert text_frame(b"hi") == b"\x81\x02hi"
    assert text_frame(b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert text_frame(b"x" * 70_000)[:10] == b"\x81\x7f" + (70_000).to_bytes(8, "big")


def request(path: str, key: bool = True) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1:1", "Upgrade: websocket"]
    if key:
        lines.append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")
    return "\r\n".join(lines).encode()


def test_a_storm_clients_upgrade_is_read() -> None:
    parsed = parse_upgrade(request("/api/v1/ws/canvas/7?token=floor-42&presence=diff"))
    assert parsed == (7, 42, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")


def test_other_requests_are_refused() -> None:
    assert parse_upgrade(request("/api/v1/ws/canvas/7?token=someone")) is None
    assert parse_upgrade(request("/api/v1/ws/canvas/x?token=floor-1")) is None
    assert parse_upgrade(request("/api/v1/ws/canvas/7?token=floor-1", key=False)) is None
    assert parse_upgrade(b"POST /api/v1/ws/canvas/7?token=floor-1 HTTP/1.1") is None


class ManualLoop:
    """``time`` and ``call_at`` of a loop whose clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[tuple[float, Any]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Any) -> asyncio.TimerHandle:
        self.timers.append((when, callback))
        return cast(asyncio.TimerHandle, object())

    def run_until(self, moment: float) -> None:
        while self.timers and min(self.timers, key=lambda t: t[0])[0] <= moment:
            when, callback = min(self.timers, key=lambda t: t[0])
            self.timers.remove((when, callback))
            self.now = when
            callback()
        self.now = moment


class Socket:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)

    def counts(self) -> list[int]:
        return [orjson.loads(frame[2:])["active_users"] for frame in self.frames]


def test_counts_follow_the_real_servers_cadence() -> None:
    loop = ManualLoop()
    canvas = FloorCanvas(1, PresencePolicy(), cast(asyncio.AbstractEventLoop, loop))
    sockets = [Socket() for _ in range(3)]
    for user, socket in enumerate(sockets[:2], start=1):
        canvas.join(cast(asyncio.Transport, socket), user)
    loop.run_until(0.099)
    assert sockets[0].frames == []  # within the window: nothing yet
    loop.run_until(0.2)
    assert sockets[0].counts() == [2] and sockets[1].counts() == [2]
    canvas.join(cast(asyncio.Transport, sockets[2]), 2)  # a second socket of user 2
    loop.run_until(0.5)
    assert sockets[0].counts() == [2]  # not sooner than count_interval after the last
    loop.run_until(0.7)
    assert sockets[2].counts() == [2] and sockets[0].counts() == [2, 2]
    canvas.leave(cast(asyncio.Transport, sockets[0]), 1)
    loop.run_until(2.0)
    assert sockets[1].counts() == [2, 2, 1]
    assert b'"user_id":2' in canvas.listing() and b'"user_id":1' not in canvas.listing()
