"""Invalid input gets an ``error`` with a stable code; the connection stays open."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.clients import Account, join
from tests.support.live_server import LiveServer

CASES: list[tuple[Any, str, str | None]] = [
    ("not json", "invalid_json", None),
    ("[1, 2]", "invalid_json", None),
    ({"no": "type"}, "unknown_type", None),
    ({"type": "dance"}, "unknown_type", "dance"),
    ({"type": "canvas_chat"}, "invalid_message", "canvas_chat"),
    ({"type": "canvas_chat", "text": 5}, "invalid_message", "canvas_chat"),
    ({"type": "canvas_chat", "text": "   "}, "invalid_message", "canvas_chat"),
    ({"type": "canvas_chat", "text": "x" * 2001}, "invalid_message", "canvas_chat"),
    ({"type": "canvas_chat", "text": "hi", "canvas_id": 987654}, "wrong_canvas", "canvas_chat"),
    ({"type": "user_presence"}, "invalid_message", "user_presence"),
    ({"type": "user_presence", "presence_type": "typing", "is_typing": "yes"},
     "invalid_message", "user_presence"),
    ({"type": "user_presence", "presence_type": "editing_tile", "tile_x": 99, "tile_y": 0,
      "is_editing": True}, "out_of_bounds", "user_presence"),
    ({"type": "user_presence", "presence_type": "editing_tile", "tile_x": -1, "tile_y": 0,
      "is_editing": True}, "out_of_bounds", "user_presence"),
    ({"type": "user_presence", "presence_type": "editing_tile", "tile_x": "1", "tile_y": 0,
      "is_editing": True}, "invalid_message", "user_presence"),
    ({"type": "user_presence", "presence_type": "status_change", "status": "x" * 21},
     "invalid_message", "user_presence"),
    ({"type": "tile_mention", "tile_x": 0, "tile_y": 32}, "out_of_bounds", "tile_mention"),
    ({"type": "tile_mention", "tile_x": 0, "tile_y": 0, "message": "m" * 281},
     "invalid_message", "tile_mention"),
    ({"type": "tile_mention", "tile_x": 0, "tile_y": 0, "duration": "long"},
     "invalid_message", "tile_mention"),
    ({"type": "auth", "token": "not-a-token"}, "unauthorized", "auth"),
    ({"type": "user_presence", "presence_type": "status_change", "status": "a\x00b"},
     "invalid_message", "user_presence"),
    ({"type": "canvas_chat", "text": "nul \x00 inside"}, "invalid_message", "canvas_chat"),
]


@pytest.mark.parametrize(("message", "code", "request_type"), CASES)
async def test_invalid_message_gets_error_and_connection_stays_open(
    live_server: LiveServer, alice: Account, message: Any, code: str, request_type: str | None
) -> None:
    canvas = await alice.create_canvas(width=32, height=32)
    socket = await join(live_server.ws_base, canvas["id"], alice)
    await socket.send(message)
    error = await socket.expect("error")
    assert error["code"] == code
    assert error["request_type"] == request_type
    assert isinstance(error["message"], str) and error["message"]
    # still open and working
    await socket.send({"type": "canvas_chat", "text": "still here"})
    assert (await socket.expect("canvas_chat_message"))["message_text"] == "still here"
    await socket.close()


async def test_chat_of_exactly_2000_characters_is_accepted(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    await socket.send({"type": "canvas_chat", "text": "y" * 2000})
    assert len((await socket.expect("canvas_chat_message"))["message_text"]) == 2000
    await socket.close()


async def test_flooding_gets_rate_limited_errors(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    for _ in range(60):
        await socket.send({"type": "ping"})
    error = await socket.expect("error", code="rate_limited")
    assert error["message"] == "too many messages; slow down"
    await socket.close()


async def test_auth_with_fresh_token_is_acknowledged(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    fresh = (await alice.post("/api/v1/auth/refresh")).json()["access_token"]
    await socket.send({"type": "auth", "token": fresh})
    assert (await socket.expect("auth_ok"))["expires_at"].endswith("Z")
    await socket.close()
