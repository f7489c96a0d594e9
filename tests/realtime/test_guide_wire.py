"""A client written against the guide, over a real socket: it reads the requester of a
highlight and sends presence heartbeats, and neither goes wrong."""

from __future__ import annotations

import httpx

from tests.support.clients import Account, Socket, join, register
from tests.support.live_server import LiveServer


async def _two_on_a_canvas(live_server: LiveServer, api: httpx.AsyncClient
                           ) -> tuple[Account, Socket, Socket]:
    sender, other = await register(api), await register(api)
    canvas = await sender.create_canvas(width=32, height=32)
    to_sender = await join(live_server.ws_base, int(canvas["id"]), sender)
    to_other = await join(live_server.ws_base, int(canvas["id"]), other)
    await to_sender.expect("user_joined", user_id=other.id)
    return sender, to_sender, to_other


async def test_tile_highlight_names_its_requester(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    sender, to_sender, to_other = await _two_on_a_canvas(live_server, api)
    await to_sender.send({"type": "tile_mention", "tile_x": 20, "tile_y": 15,
                          "highlight_type": "mention", "message": "Check out this tile!",
                          "duration": 3000})
    highlight = await to_other.expect("tile_highlight")
    assert highlight["requester_id"] == sender.id == highlight["user_id"]
    assert highlight["requester_username"] == sender.username == highlight["username"]
    await to_sender.close()
    await to_other.close()


async def test_heartbeat_gets_no_error_and_is_not_broadcast(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    _sender, to_sender, to_other = await _two_on_a_canvas(live_server, api)
    await to_sender.send({"type": "user_presence", "presence_type": "heartbeat"})
    await to_sender.send({"type": "ping", "id": "after-heartbeat"})
    # Messages on one socket are answered in order: had the heartbeat failed, its error
    # would have come before this pong.
    await to_sender.expect("pong", id="after-heartbeat")
    assert [m for m in to_sender.received if m["type"] == "error"] == []
    # Canvas events reach the other socket in order: had the heartbeat been broadcast, it
    # would come before this typing notice.
    await to_sender.send({"type": "user_presence", "presence_type": "typing", "is_typing": True})
    typing = await to_other.expect("user_typing")
    # (the sender's first visit is announced as an ``activity`` when it is written: before
    # or after the other socket joined, as it happens)
    assert [m["type"] for m in to_other.received
            if m["type"] != "activity"] == ["canvas_state", "user_typing"]
    assert typing["is_typing"] is True
    await to_sender.close()
    await to_other.close()
