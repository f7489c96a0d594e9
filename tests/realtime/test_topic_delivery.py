"""Topics beyond the canvas on one process: a user's events reach every socket of that
user (canvas sockets and the user socket) and nobody else's; ``global`` reaches every
socket; ``admins`` only admins' sockets. The canvas keeps its numbering."""

from __future__ import annotations

from typing import Any

from stellarcollab.realtime.topics import ADMINS, GLOBAL, user_topic
from tests.api.helpers import make_admin, on_server
from tests.support.clients import Account, Socket, join, open_user_socket, register
from tests.support.live_server import LiveServer


async def publish(live_server: LiveServer, topic: str, event: dict[str, Any]) -> None:
    await on_server(live_server, live_server.runtime.manager.publish_to_topic(topic, event))


async def fenced(socket: Socket) -> list[dict[str, Any]]:
    """Everything the socket got up to a ping's answer."""
    await socket.send({"type": "ping", "id": "fence"})
    await socket.expect("pong", id="fence")
    return socket.received


async def test_user_events_reach_every_socket_of_that_user_only(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    on_canvas = await join(live_server.ws_base, canvas["id"], alice)
    own = await open_user_socket(live_server.user_ws_url, alice)
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    await publish(live_server, user_topic(alice.id), {"type": "notification", "n": 1})
    for socket in (on_canvas, own):
        event = await socket.expect("notification")
        assert event["n"] == 1 and "seq" not in event  # user events are not numbered
    assert not [m for m in await fenced(bobs) if m["type"] == "notification"]
    for socket in (on_canvas, own, bobs):
        await socket.close()


async def test_global_reaches_every_socket_and_admins_only_admins(
    live_server: LiveServer, api: Any, alice: Account
) -> None:
    admin = await register(api)
    await make_admin(live_server, admin)
    canvas = await alice.create_canvas()
    plain = await join(live_server.ws_base, canvas["id"], alice)
    plain_own = await open_user_socket(live_server.user_ws_url, alice)
    admins_own = await open_user_socket(live_server.user_ws_url, admin)
    await publish(live_server, GLOBAL, {"type": "announcement", "text": "hello"})
    await publish(live_server, ADMINS, {"type": "report_created", "report_id": 7})
    for socket in (plain, plain_own, admins_own):
        await socket.expect("announcement", text="hello")
    await admins_own.expect("report_created", report_id=7)
    for socket in (plain, plain_own):
        assert not [m for m in await fenced(socket) if m["type"] == "report_created"]
    for socket in (plain, plain_own, admins_own):
        await socket.close()


async def test_user_socket_refuses_canvas_messages_and_stays_open(
    live_server: LiveServer, alice: Account
) -> None:
    own = await open_user_socket(live_server.user_ws_url, alice)
    await own.send({"type": "canvas_chat", "text": "hi"})
    error = await own.expect("error")
    assert error["code"] == "invalid_message" and error["request_type"] == "canvas_chat"
    await own.send({"type": "user_presence", "presence_type": "heartbeat"})
    assert [m["type"] for m in await fenced(own)][-2:] == ["error", "pong"]
    await own.close()


async def test_user_socket_needs_a_valid_token(live_server: LiveServer) -> None:
    from websockets.asyncio.client import connect

    async with connect(f"{live_server.user_ws_url}?token=garbage") as ws:
        await ws.wait_closed()
        assert ws.close_code == 4001
