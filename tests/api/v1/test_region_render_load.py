"""Drawing a big canvas's overview from scratch does not stall the server: while it is
drawn (every region read and reduced), pings on a socket keep being answered promptly."""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from stellarcollab.auth.passwords import PasswordHasher
from stellarcollab.seed.command import seed_canvas
from tests.api.helpers import on_server
from tests.support.clients import Account, Socket, join
from tests.support.live_server import LiveServer
from tests.support.timeouts import scaled

SIDE = 128  # 16,384 tiles of 32 px: 64 regions to draw


async def test_sockets_keep_flowing_while_an_overview_is_drawn(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    args = argparse.Namespace(width=SIDE, height=SIDE, tile_size=32, name="Big",
                              owner=alice.username, password="unused")
    runtime = live_server.runtime
    canvas_id, count = await on_server(
        live_server, seed_canvas(runtime.db, PasswordHasher(1, 1024, 1, 1), args))
    assert count == SIDE * SIDE
    socket = await join(live_server.ws_base, canvas_id, alice)
    try:
        await round_trip(socket)  # the join's own follow-up work is done before timing starts
        drawing = asyncio.ensure_future(alice.get(f"/api/v1/canvases/{canvas_id}/overview.png"))
        round_trips = []
        while not drawing.done():
            round_trips.append(await round_trip(socket))
            await asyncio.sleep(0.06)  # under the 20 messages/s limit
        response = await drawing
        assert response.status_code == 200
        assert len(round_trips) >= 5, "the drawing took too little time to tell"
        assert max(round_trips) <= scaled(0.25), sorted(round_trips)[-5:]
    finally:
        await socket.close()


async def round_trip(socket: Socket) -> float:
    sent = time.perf_counter()
    await socket.send({"type": "ping"})
    await socket.expect("pong", timeout=10)
    return time.perf_counter() - sent
