"""Every message type in and out, with the guide's exact fields, over a live server."""

from __future__ import annotations

import re

import httpx

from tests.support.clients import Account, Socket, join, register, solid_pixels
from tests.support.live_server import LiveServer

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def _pair(live_server: LiveServer, api: httpx.AsyncClient, **canvas: object
                ) -> tuple[Account, Account, dict[str, object], Socket, Socket]:
    a, b = await register(api), await register(api)
    created = await a.create_canvas(**canvas)
    sa = await join(live_server.ws_base, int(created["id"]), a)
    sb = await join(live_server.ws_base, int(created["id"]), b)
    await sa.expect("user_joined", user_id=b.id)
    return a, b, created, sa, sb


async def test_user_joined_and_left_fields(live_server: LiveServer, api: httpx.AsyncClient) -> None:
    _a, b, _canvas, sa, sb = await _pair(live_server, api)
    joined = next(m for m in sa.received if m["type"] == "user_joined")
    assert set(joined) >= {"type", "user_id", "username", "display_name", "active_users",
                           "timestamp", "canvas_id", "seq"}
    assert joined["username"] == b.username
    assert joined["display_name"] == b.user["display_name"]
    assert joined["active_users"] == 2
    assert ISO_Z.match(joined["timestamp"])
    await sb.close()
    left = await sa.expect("user_left")
    assert left["user_id"] == b.id and left["active_users"] == 1
    # Between them only activity entries (first visits to the canvas), and no gap.
    between = [m for m in sa.received if joined["seq"] < m.get("seq", 0) < left["seq"]]
    assert all(m["type"] == "activity" for m in between), between
    assert left["seq"] == joined["seq"] + 1 + len(between)
    await sa.close()


async def test_chat_goes_to_everyone_persisted_first(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, b, canvas, sa, sb = await _pair(live_server, api)
    await sa.send({"type": "canvas_chat", "text": "  Hello everyone!  ", "canvas_id": canvas["id"]})
    to_b = await sb.expect("canvas_chat_message")
    echo = await sa.expect("canvas_chat_message")
    assert to_b == echo
    assert set(to_b) >= {"type", "message_id", "sender_id", "sender_username",
                         "message_text", "created_at", "canvas_id", "seq"}
    assert to_b["message_text"] == "Hello everyone!"
    assert to_b["sender_id"] == a.id and to_b["sender_username"] == a.username
    assert ISO_Z.match(to_b["created_at"])
    history = (await b.get(f"/api/v1/canvases/{canvas['id']}/chat/messages")).json()
    assert [m["id"] for m in history["items"]] == [to_b["message_id"]]
    assert history["items"][0]["text"] == "Hello everyone!"
    await sa.close()
    await sb.close()


async def test_chat_sent_over_rest_reaches_sockets(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, _b, canvas, sa, sb = await _pair(live_server, api)
    response = await a.post(f"/api/v1/canvases/{canvas['id']}/chat/messages", {"text": "via rest"})
    assert response.status_code == 201
    message = await sb.expect("canvas_chat_message")
    assert message["message_id"] == response.json()["id"]
    assert message["message_text"] == "via rest"
    await sa.close()
    await sb.close()


async def test_typing_reaches_others_not_sender(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, b, canvas, sa, sb = await _pair(live_server, api)
    await sa.send({"type": "user_presence", "presence_type": "typing", "is_typing": True})
    typing = await sb.expect("user_typing")
    assert {k: typing[k] for k in ("user_id", "username", "is_typing")} == {
        "user_id": a.id, "username": a.username, "is_typing": True}
    await sa.send({"type": "ping"})
    await sa.expect("pong")
    assert not [m for m in sa.received if m["type"] == "user_typing"]
    users = (await b.get(f"/api/v1/canvases/{canvas['id']}/users")).json()
    assert next(u for u in users if u["user_id"] == a.id)["is_typing"] is True
    await sa.close()
    await sb.close()


async def test_status_change_is_presence_update(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, b, canvas, sa, sb = await _pair(live_server, api)
    await sa.send({"type": "user_presence", "presence_type": "status_change",
                   "status": "away", "status_message": "back soon"})
    update = await sb.expect("user_presence_update")
    assert update["user_id"] == a.id and update["status"] == "away"
    assert update["status_message"] == "back soon"
    assert update["canvas_id"] == canvas["id"] and ISO_Z.match(update["timestamp"])
    users = (await b.get(f"/api/v1/canvases/{canvas['id']}/users")).json()
    assert next(u for u in users if u["user_id"] == a.id)["status"] == "away"
    await sa.close()
    await sb.close()


async def test_editing_tile_takes_lease_and_is_broadcast(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, b, canvas, sa, sb = await _pair(live_server, api)
    await sa.send({"type": "user_presence", "presence_type": "editing_tile",
                   "tile_x": 15, "tile_y": 10, "is_editing": True})
    update = await sb.expect("user_presence_update")
    assert {k: update[k] for k in ("user_id", "username", "canvas_id", "tile_x", "tile_y",
                                   "is_editing")} == {
        "user_id": a.id, "username": a.username, "canvas_id": canvas["id"],
        "tile_x": 15, "tile_y": 10, "is_editing": True}
    assert update["status"] == "online" and ISO_Z.match(update["timestamp"])
    # the socket that took the lease is not sent its own change back
    await sa.expect_nothing("user_presence_update")
    # someone else may not edit that cell, over the socket or over REST
    await sb.send({"type": "user_presence", "presence_type": "editing_tile",
                   "tile_x": 15, "tile_y": 10, "is_editing": True})
    error = await sb.expect("error")
    assert error["code"] == "tile_locked" and error["request_type"] == "user_presence"
    assert error["holder"]["user_id"] == a.id
    blocked = await b.post("/api/v1/tiles", {"canvas_id": canvas["id"], "x": 15, "y": 10,
                                             "pixels": solid_pixels()})
    assert blocked.status_code == 409
    assert blocked.json()["detail"] == "Tile is being edited by another user"
    # the new joiner sees the lease in its snapshot
    c = await register(api)
    sc = await join(live_server.ws_base, int(canvas["id"]), c)
    state = sc.received[0]
    assert [(lock["tile_x"], lock["tile_y"], lock["user_id"]) for lock in state["locks"]] == [
        (15, 10, a.id)]
    editor = next(u for u in state["users"] if u["user_id"] == a.id)
    assert editor["editing_tile"] == {"tile_x": 15, "tile_y": 10}
    await sa.send({"type": "user_presence", "presence_type": "editing_tile",
                   "tile_x": 15, "tile_y": 10, "is_editing": False})
    released = await sb.expect("user_presence_update", is_editing=False)
    assert (released["tile_x"], released["tile_y"]) == (15, 10)
    for socket in (sa, sb, sc):
        await socket.close()


async def test_disconnect_releases_lease_and_broadcasts(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, b, canvas, sa, sb = await _pair(live_server, api)
    await sa.send({"type": "user_presence", "presence_type": "editing_tile",
                   "tile_x": 1, "tile_y": 2, "is_editing": True})
    await sb.expect("user_presence_update", is_editing=True)
    sa.ws.transport.abort()  # abrupt: no close frame
    released = await sb.expect("user_presence_update", is_editing=False)
    assert (released["user_id"], released["tile_x"], released["tile_y"]) == (a.id, 1, 2)
    await sb.expect("user_left", user_id=a.id)
    assert (await b.post(f"/api/v1/canvases/{canvas['id']}/locks/1/2")).status_code == 200
    await sb.close()


async def test_tile_mention_becomes_highlight(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, _b, canvas, sa, sb = await _pair(live_server, api, width=32, height=32)
    await sa.send({"type": "tile_mention", "tile_x": 20, "tile_y": 15,
                   "highlight_type": "mention", "message": "Check out this tile!",
                   "duration": 3000})
    highlight = await sb.expect("tile_highlight")
    assert {k: highlight[k] for k in ("user_id", "username", "tile_x", "tile_y",
                                      "highlight_type", "message", "duration", "canvas_id")} == {
        "user_id": a.id, "username": a.username, "tile_x": 20, "tile_y": 15,
        "highlight_type": "mention", "message": "Check out this tile!", "duration": 3000,
        "canvas_id": canvas["id"]}
    await sa.send({"type": "tile_mention", "tile_x": 1, "tile_y": 1, "duration": 60_000})
    assert (await sb.expect("tile_highlight"))["duration"] == 10_000
    await sa.send({"type": "tile_mention", "tile_x": 1, "tile_y": 1, "duration": 1})
    clamped = await sb.expect("tile_highlight")
    assert clamped["duration"] == 500 and clamped["highlight_type"] == "mention"
    await sa.close()
    await sb.close()


async def test_ping_gets_pong_with_id(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    await socket.send({"type": "ping", "id": 42})
    pong = await socket.expect("pong")
    assert pong["id"] == 42 and ISO_Z.match(pong["timestamp"])
    await socket.close()


async def test_rest_tile_changes_reach_others_not_originator(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, b, canvas, sa, sb = await _pair(live_server, api)
    tile = await a.create_tile(int(canvas["id"]), 15, 10)
    created = await sb.expect("tile_created")
    assert {k: created[k] for k in ("tile_id", "canvas_id", "creator_id", "x", "y",
                                    "like_count", "version", "pixels")} == {
        "tile_id": tile["id"], "canvas_id": canvas["id"], "creator_id": a.id, "x": 15, "y": 10,
        "like_count": 0, "version": 1, "pixels": tile["pixels"]}
    assert ISO_Z.match(created["timestamp"])
    liked = await b.post(f"/api/v1/tiles/{tile['id']}/like")
    assert liked.json() == {"tile_id": tile["id"], "like_count": 1, "liked": True}
    like_event = await sa.expect("tile_liked")
    assert like_event["like_count"] == 1 and like_event["user_id"] == b.id
    await b.delete(f"/api/v1/tiles/{tile['id']}/like")
    assert (await sa.expect("tile_unliked"))["like_count"] == 0
    update = await a.put(f"/api/v1/tiles/{tile['id']}", {"pixels": tile["pixels"], "version": 1})
    assert update.status_code == 200
    assert (await sb.expect("tile_updated"))["version"] == 2
    assert (await a.delete(f"/api/v1/tiles/{tile['id']}")).status_code == 204
    deleted = await sb.expect("tile_deleted")
    assert deleted["tile_id"] == tile["id"] and (deleted["x"], deleted["y"]) == (15, 10)
    # the originator's socket got none of its own tile events
    await sa.send({"type": "ping"})
    await sa.expect("pong")
    own = {"tile_created", "tile_updated", "tile_deleted"}
    assert not [m for m in sa.received if m["type"] in own]
    await sa.close()
    await sb.close()


async def test_connection_id_header_excludes_only_that_tab(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a = await register(api)
    canvas = await a.create_canvas()
    tab1 = await join(live_server.ws_base, canvas["id"], a)
    tab2 = await join(live_server.ws_base, canvas["id"], a)
    conn1 = tab1.received[0]["connection_id"]
    await a.create_tile(canvas["id"], 0, 0, headers={"X-Connection-ID": conn1})
    assert (await tab2.expect("tile_created"))["x"] == 0
    await tab1.send({"type": "ping"})
    await tab1.expect("pong")
    assert not [m for m in tab1.received if m["type"] == "tile_created"]
    await tab1.close()
    await tab2.close()


async def test_two_tabs_one_user_in_presence(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, b = await register(api), await register(api)
    canvas = await a.create_canvas()
    watcher = await join(live_server.ws_base, canvas["id"], b)
    tab1 = await join(live_server.ws_base, canvas["id"], a)
    tab2 = await join(live_server.ws_base, canvas["id"], a)
    assert tab2.received[0]["active_users"] == 2
    [a_entry] = [u for u in tab2.received[0]["users"] if u["user_id"] == a.id]
    assert a_entry["connections"] == 2
    users = (await b.get(f"/api/v1/canvases/{canvas['id']}/users")).json()
    assert sorted(u["user_id"] for u in users) == sorted([a.id, b.id])
    # both tabs get everything
    await watcher.send({"type": "canvas_chat", "text": "to both tabs"})
    for tab in (tab1, tab2):
        assert (await tab.expect("canvas_chat_message"))["message_text"] == "to both tabs"
    # one user_joined only, and user_left only when the last tab closes
    await tab1.close()
    await watcher.send({"type": "ping"})
    await watcher.expect("pong")
    assert [m["type"] for m in watcher.received if m["type"] in ("user_joined", "user_left")] == [
        "user_joined"]
    await tab2.close()
    await watcher.expect("user_left", user_id=a.id)
    await watcher.close()


async def test_logout_closes_sockets_4001(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    assert (await alice.post("/api/v1/auth/logout")).status_code == 204
    assert await socket.closed() == 4001


async def test_canvas_deleted_is_announced_and_closes_4004(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    a, _b, canvas, sa, sb = await _pair(live_server, api)
    assert (await a.delete(f"/api/v1/canvases/{canvas['id']}")).status_code == 204
    await sb.expect("canvas_deleted")
    assert await sb.closed() == 4004
    assert await sa.closed() == 4004


async def test_canvas_update_is_announced(live_server: LiveServer, api: httpx.AsyncClient) -> None:
    a, _b, canvas, sa, sb = await _pair(live_server, api)
    await a.patch(f"/api/v1/canvases/{canvas['id']}", {"name": "Renamed"})
    assert (await sb.expect("canvas_updated"))["canvas"]["name"] == "Renamed"
    await sa.close()
    await sb.close()
