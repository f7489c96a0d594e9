"""The social layer live, with a real server and real WebSocket clients: direct messages
reach every socket of both users and no one else, notifications reach their user only and
never for one's own action, activity and comments appear on the canvas, announcements
reach every canvas."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.helpers import crowd, make_admin
from tests.support.clients import Account, Socket, join, open_user_socket, register
from tests.support.live_server import LiveServer

QUIET = 0.5  # seconds a socket must stay quiet for "nothing arrived"


async def _drain(socket: Socket, within: float) -> list[dict[str, Any]]:
    """Everything that arrives until the socket has been quiet for ``within`` seconds."""
    received: list[dict[str, Any]] = []
    try:
        while True:
            received.append(await socket.next(within))
    except TimeoutError:
        return received


async def _pair_on_canvas(api: httpx.AsyncClient, live_server: LiveServer
                          ) -> tuple[Account, Account, dict[str, Any], Socket, Socket]:
    alice, bob = await register(api), await register(api)
    canvas = await alice.create_canvas()
    sa = await join(live_server.ws_base, canvas["id"], alice)
    sb = await join(live_server.ws_base, canvas["id"], bob)
    return alice, bob, canvas, sa, sb


async def test_direct_message_reaches_both_users_every_socket(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    alice, bob, _canvas, sa, sb = await _pair_on_canvas(api, live_server)
    other_canvas = await bob.create_canvas()
    sb2 = await join(live_server.ws_base, other_canvas["id"], bob)
    sent = await alice.post(f"/api/v1/dm/{bob.id}/messages", {"text": "psst"})
    assert sent.status_code == 201, sent.text
    message = sent.json()
    for socket in (sa, sb, sb2):
        live = await socket.expect("direct_message")
        assert live == {"type": "direct_message", **message}
    read = await bob.post(f"/api/v1/dm/{alice.id}/read",
                          {"up_to_message_id": message["message_id"]})
    assert read.status_code == 200
    receipt = await sa.expect("direct_message_read")
    assert (receipt["user_id"], receipt["up_to_message_id"]) == (bob.id, message["message_id"])
    await sb2.expect("direct_message_read")  # bob's other tabs clear their badge too
    for socket in (sa, sb, sb2):
        await socket.close()


async def test_notifications_reach_only_their_user(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    alice, bob, canvas, sa, sb = await _pair_on_canvas(api, live_server)
    tile = await alice.create_tile(canvas["id"], 0, 0)
    await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    note = await sa.expect("notification")
    assert (note["kind"], note["actor"]["user_id"], note["tile_id"], note["count"]) == (
        "tile_liked", bob.id, tile["id"], 1)
    # A second like merges: the same notification, counted again, no new id.
    carol = await register(api)
    await carol.post(f"/api/v1/tiles/{tile['id']}/like")
    merged = await sa.expect("notification")
    assert merged["notification_id"] == note["notification_id"] and merged["count"] == 2
    # Own actions notify no one: alice comments on her own tile, bob likes nothing of his.
    await alice.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "mine"})
    await sa.expect("tile_comment")
    await sa.expect_nothing("notification", QUIET)
    await sb.expect_nothing("notification", QUIET)
    await sa.close()
    await sb.close()


async def test_mention_notifies_the_mentioned_user(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    _alice, bob, canvas, sa, sb = await _pair_on_canvas(api, live_server)
    await sa.send({"type": "canvas_chat", "text": f"look @{bob.username}!"})
    chat = await sa.expect("canvas_chat_message")
    note = await sb.expect("notification", kind="mention")
    assert (note["message_id"], note["canvas_id"]) == (chat["message_id"], canvas["id"])
    await sa.expect_nothing("notification", QUIET)
    await sa.close()
    await sb.close()


async def test_activity_and_comments_appear_on_the_canvas(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    alice, bob, canvas, sa, sb = await _pair_on_canvas(api, live_server)
    visits = [await sa.expect("activity", kind="user_joined") for _ in range(2)]
    assert [v["actor"]["user_id"] for v in visits] == [alice.id, bob.id]  # first visits
    assert all(v["tile_id"] is None for v in visits)
    tile = await bob.create_tile(canvas["id"], 2, 3)
    created = await sa.expect("activity")
    assert (created["kind"], created["tile_id"], created["actor"]["user_id"]) == (
        "tile_created", tile["id"], bob.id)
    comment = (await alice.post(f"/api/v1/tiles/{tile['id']}/comments",
                                {"text": "stellar"})).json()
    for socket in (sa, sb):
        live = await socket.expect("tile_comment")
        assert {k: live[k] for k in comment} == comment
        assert (await socket.expect("activity", kind="tile_comment"))["tile_id"] == tile["id"]
    await sb.close()
    again = await join(live_server.ws_base, canvas["id"], bob)  # not a first visit any more
    feed = (await alice.get(f"/api/v1/canvases/{canvas['id']}/activity")).json()["items"]
    joins = [a["actor"]["user_id"] for a in feed if a["kind"] == "user_joined"]
    assert sorted(joins) == sorted([alice.id, bob.id])
    await sa.close()
    await again.close()


async def test_announcement_reaches_every_canvas(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    admin, alice = await register(api), await register(api)
    await make_admin(live_server, admin)
    one, two = await alice.create_canvas(), await alice.create_canvas()
    s1 = await join(live_server.ws_base, one["id"], alice)
    s2 = await join(live_server.ws_base, two["id"], admin)
    ends = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    created = (await admin.post("/api/v1/admin/announcements",
                                {"text": "welcome all", "ends_at": ends})).json()
    for socket in (s1, s2):
        live = await socket.expect("announcement")
        assert (live["announcement_id"], live["text"], live["canvas_id"]) == (
            created["announcement_id"], "welcome all", None)
    only_two = (await admin.post("/api/v1/admin/announcements", {
        "text": "canvas two only", "canvas_id": two["id"], "ends_at": ends})).json()
    assert (await s2.expect("announcement"))["announcement_id"] == only_two["announcement_id"]
    await s1.expect_nothing("announcement", QUIET)
    await s1.close()
    await s2.close()


async def test_twenty_users_see_only_their_own(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    """Each of 20 users DMs the next and likes the next one's tile: every socket gets
    exactly the DMs it sent or received and the notifications addressed to its user."""
    users = await crowd(live_server, api, 20)
    canvas = await users[0].create_canvas(max_tiles_per_user=1)
    sockets = [await join(live_server.ws_base, canvas["id"], u) for u in users]
    tiles = [await u.create_tile(canvas["id"], i, 0) for i, u in enumerate(users)]
    n = len(users)

    async def act(i: int) -> None:
        nxt = users[(i + 1) % n]
        assert (await users[i].post(f"/api/v1/dm/{nxt.id}/messages",
                                    {"text": f"from {i}"})).status_code == 201
        assert (await users[i].post(
            f"/api/v1/tiles/{tiles[(i + 1) % n]['id']}/like")).status_code == 200

    await asyncio.gather(*(act(i) for i in range(n)))
    for i, socket in enumerate(sockets):
        me, prev = users[i].id, users[(i - 1) % n].id
        dms: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        while len(dms) < 2 or not notes:
            message = await socket.next()
            if message["type"] == "direct_message":
                dms.append(message)
            elif message["type"] == "notification":
                notes.append(message)
        late = await _drain(socket, QUIET)
        assert not [m for m in late if m["type"] in ("direct_message", "notification")], late
        assert all(me in (m["sender_id"], m["recipient_id"]) for m in dms)
        assert sorted((m["sender_id"], m["recipient_id"]) for m in dms) == sorted(
            [(me, users[(i + 1) % n].id), (prev, me)])
        assert [(x["kind"], x["actor"]["user_id"], x["tile_id"]) for x in notes] == [
            ("tile_liked", prev, tiles[i]["id"])]
    for socket in sockets:
        await socket.close()


async def test_direct_message_over_the_socket_and_blocking(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    alice, bob, _canvas, sa, sb = await _pair_on_canvas(api, live_server)
    await sa.send({"type": "direct_message", "to_user_id": bob.id, "text": " over the wire "})
    ack = await sa.expect("direct_message")
    assert (await sb.expect("direct_message")) == ack
    assert (ack["sender_id"], ack["recipient_id"], ack["message_text"]) == (
        alice.id, bob.id, "over the wire")
    assert (await bob.post(f"/api/v1/users/{alice.id}/block")).status_code == 200
    await sa.send({"type": "direct_message", "to_user_id": bob.id, "text": "still there?"})
    refused = await sa.expect("error")
    assert (refused["code"], refused["request_type"]) == ("blocked", "direct_message")
    assert refused["message"] == "Direct messages between these users are blocked"
    await sb.expect_nothing("direct_message", QUIET)
    # The socket stays open and the rest works: bad input gets its own error.
    await sa.send({"type": "direct_message", "to_user_id": 0, "text": "x"})
    assert (await sa.expect("error"))["code"] == "invalid_message"
    await sa.send({"type": "direct_message", "to_user_id": bob.id, "text": "  "})
    assert (await sa.expect("error"))["code"] == "invalid_message"
    await sa.send({"type": "ping"})
    await sa.expect("pong")
    await sa.close()
    await sb.close()


async def test_custom_status_reaches_every_canvas_of_the_user(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    alice, bob, canvas, sa, sb = await _pair_on_canvas(api, live_server)
    second = await alice.create_canvas()
    sa2 = await join(live_server.ws_base, second["id"], alice)
    watcher = await join(live_server.ws_base, second["id"], bob)
    response = await alice.put("/api/v1/users/me/status", {
        "status": "busy", "status_message": "inking", "emoji": "🖋"})
    assert response.status_code == 200
    for socket, canvas_id in ((sb, canvas["id"]), (watcher, second["id"])):
        update = await socket.expect("user_presence_update", user_id=alice.id)
        assert (update["status"], update["status_message"], update["emoji"]) == (
            "busy", "inking", "🖋")
        assert update["canvas_id"] == canvas_id and update["presence_type"] == "status_change"
    users = (await bob.get(f"/api/v1/canvases/{canvas['id']}/users")).json()
    assert [(u["status"], u["status_message"], u["emoji"])
            for u in users if u["user_id"] == alice.id] == [("busy", "inking", "🖋")]
    # A change made over REST reaches the user's own sockets too (their other tabs).
    await sa.expect("user_presence_update", user_id=alice.id, status="busy")
    # Over the socket: stored too, announced to the others, not echoed to the sender.
    await sa.send({"type": "user_presence", "presence_type": "status_change",
                   "status": "away", "status_message": "tea", "emoji": "🍵"})
    update = await sb.expect("user_presence_update", user_id=alice.id)
    assert (update["status"], update["emoji"]) == ("away", "🍵")
    assert (await alice.get("/api/v1/users/me/status")).json()["status"] == "away"
    await sa.expect_nothing("user_presence_update", QUIET)
    await sa.send({"type": "user_presence", "presence_type": "status_change",
                   "status": "away", "status_message": "x" * 81})
    refused = await sa.expect("error")
    assert refused["message"] == "Status message must be at most 80 characters"
    for socket in (sa, sb, sa2, watcher):
        await socket.close()


async def test_announcement_reaches_sockets_that_connect_during_its_window(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    admin, alice = await register(api), await register(api)
    await make_admin(live_server, admin)
    canvas, other = await alice.create_canvas(), await alice.create_canvas()
    ends = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    glob = (await admin.post("/api/v1/admin/announcements",
                             {"text": "hello later comers", "ends_at": ends})).json()
    local = (await admin.post("/api/v1/admin/announcements", {
        "text": "this canvas only", "canvas_id": canvas["id"], "ends_at": ends})).json()
    socket = await join(live_server.ws_base, canvas["id"], alice)
    # Right after canvas_state: the open announcements (this module's earlier ones too).
    after_state = await _drain(socket, QUIET)
    announced = [m for m in after_state if m["type"] == "announcement"]
    assert after_state[:len(announced)] == announced, after_state  # they come first
    ids = [m["announcement_id"] for m in announced]
    assert ids == sorted(ids) and {glob["announcement_id"], local["announcement_id"]} <= set(ids)
    elsewhere = await join(live_server.ws_base, other["id"], alice)
    seen = {m["announcement_id"] for m in await _drain(elsewhere, QUIET)
            if m["type"] == "announcement"}
    assert glob["announcement_id"] in seen and local["announcement_id"] not in seen
    # Deleted: later sockets no longer get it.
    await admin.delete(f"/api/v1/admin/announcements/{glob['announcement_id']}")
    later = await join(live_server.ws_base, other["id"], alice)
    assert glob["announcement_id"] not in {
        m.get("announcement_id") for m in await _drain(later, QUIET)}
    for s in (socket, elsewhere, later):
        await s.close()


async def test_the_user_socket_carries_the_social_layer(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    """Off any canvas: DMs both ways, notifications, receipts and announcements, and a
    stored status set from the user socket reaches the canvases the user is on."""
    admin, alice, bob = await register(api), await register(api), await register(api)
    await make_admin(live_server, admin)
    ends = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    early = (await admin.post("/api/v1/admin/announcements",
                              {"text": "before you came", "ends_at": ends})).json()
    alice_user = await open_user_socket(live_server.user_ws_url, alice)
    assert early["announcement_id"] in {
        m.get("announcement_id") for m in alice_user.received if m["type"] == "announcement"}
    canvas = await bob.create_canvas()
    bob_canvas = await join(live_server.ws_base, canvas["id"], bob)

    await alice_user.send({"type": "direct_message", "to_user_id": bob.id, "text": "hi"})
    ack = await alice_user.expect("direct_message")
    assert (await bob_canvas.expect("direct_message"))["message_id"] == ack["message_id"]
    await bob.post(f"/api/v1/dm/{alice.id}/read", {"up_to_message_id": ack["message_id"]})
    assert (await alice_user.expect("direct_message_read"))["user_id"] == bob.id

    tile = await alice.create_tile(canvas["id"], 0, 0)
    await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    assert (await alice_user.expect("notification"))["tile_id"] == tile["id"]
    live = (await admin.post("/api/v1/admin/announcements",
                             {"text": "now", "ends_at": ends})).json()
    for socket in (alice_user, bob_canvas):
        assert (await socket.expect("announcement"))["announcement_id"] == \
            live["announcement_id"]

    alice_canvas = await join(live_server.ws_base, canvas["id"], alice)
    await alice_user.send({"type": "user_presence", "presence_type": "status_change",
                           "status": "away", "status_message": "brb"})
    update = await bob_canvas.expect("user_presence_update", user_id=alice.id)
    assert (update["status"], update["status_message"]) == ("away", "brb")
    for socket in (alice_user, bob_canvas, alice_canvas):
        await socket.close()


async def test_invisible_users_are_left_out_of_presence(
    api: httpx.AsyncClient, live_server: LiveServer
) -> None:
    alice, bob, canvas, sa, sb = await _pair_on_canvas(api, live_server)
    users_path = f"/api/v1/canvases/{canvas['id']}/users"
    assert (await alice.put("/api/v1/users/me/status", {"status": "invisible"})).status_code == 200
    left = await sb.expect("user_left", user_id=alice.id)
    assert left["active_users"] == 1
    assert [u["user_id"] for u in (await bob.get(users_path)).json()] == [bob.id]
    assert (await sa.expect("user_presence_update", user_id=alice.id))["status"] == "invisible"

    carol = await register(api)
    sc = await join(live_server.ws_base, canvas["id"], carol)
    state = sc.received[0]
    assert {u["user_id"] for u in state["users"]} == {bob.id, carol.id}
    assert state["active_users"] == 2
    assert (await sa.expect("user_joined", user_id=carol.id))  # alice still hears everything
    await sa.send({"type": "user_presence", "presence_type": "typing", "is_typing": True})
    await sa.send({"type": "canvas_chat", "text": "hello from nowhere"})
    await sb.expect("canvas_chat_message")
    assert not [m for m in sb.received if m["type"] == "user_typing"
                and m["user_id"] == alice.id]

    # A second socket of hers, and its closing, are not announced either.
    sa2 = await join(live_server.ws_base, canvas["id"], alice)
    assert alice.id in {u["user_id"] for u in sa2.received[0]["users"]}  # she sees herself
    await sa2.close()
    await sa.close()
    late = await _drain(sb, QUIET)
    assert not [m for m in late if m.get("user_id") == alice.id
                and m["type"] in ("user_joined", "user_left")], late

    # Back online: arriving, then the status.
    sa3 = await join(live_server.ws_base, canvas["id"], alice)
    await sb.expect_nothing("user_joined", QUIET)
    await alice.put("/api/v1/users/me/status", {"status": "online"})
    await sb.expect("user_joined", user_id=alice.id)
    assert (await sb.expect("user_presence_update", user_id=alice.id))["status"] == "online"
    assert alice.id in [u["user_id"] for u in (await bob.get(users_path)).json()]
    for socket in (sb, sc, sa3):
        await socket.close()
