"""Presence is written behind to the database as presence records."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy import select

from stellarcollab.db.models import PresenceRecord
from tests.support.clients import join, register
from tests.support.live_server import LiveServer
from tests.support.timeouts import scaled


async def _record(server: LiveServer, canvas_id: int, user_id: int) -> PresenceRecord | None:
    async def read() -> PresenceRecord | None:
        async with server.runtime.db.read() as session:
            return await session.scalar(select(PresenceRecord).where(
                PresenceRecord.canvas_id == canvas_id, PresenceRecord.user_id == user_id))

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(read(), server.loop))  # type: ignore[arg-type]


async def _eventually(server: LiveServer, canvas_id: int, user_id: int,
                      **expected: object) -> PresenceRecord:
    deadline = time.monotonic() + scaled(5)
    while True:
        record = await _record(server, canvas_id, user_id)
        if record is not None and all(getattr(record, k) == v for k, v in expected.items()):
            return record
        assert time.monotonic() < deadline, f"record is {record and record.__dict__}"
        await asyncio.sleep(0.05)  # polling the write-behind, bounded by the deadline


async def test_presence_changes_are_persisted_and_cleared_on_leave(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    alice = await register(api)
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    await _eventually(live_server, canvas["id"], alice.id, is_online=True)
    await socket.send({"type": "user_presence", "presence_type": "status_change",
                       "status": "busy", "status_message": "drawing"})
    await socket.send({"type": "user_presence", "presence_type": "typing", "is_typing": True})
    await socket.send({"type": "user_presence", "presence_type": "editing_tile",
                       "tile_x": 2, "tile_y": 3, "is_editing": True})
    await socket.send({"type": "ping", "id": "applied"})  # the three were applied by then
    await socket.expect("pong", id="applied")
    await _eventually(live_server, canvas["id"], alice.id, status="busy",
                      status_message="drawing", is_typing=True, editing_x=2, editing_y=3)
    await socket.close()
    await _eventually(live_server, canvas["id"], alice.id, is_online=False, is_typing=False,
                      editing_x=None, editing_y=None)
