"""Moderation with real sockets on a live server: kicks, bans and deactivations close
exactly the right sockets fast, mutes refuse socket chat, deletions and reverts reach the
other clients, and the socket's own moderation messages keep every permission boundary."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.api.helpers import make_admin, rgba_tile
from tests.support.clients import (
    Account,
    Socket,
    join,
    open_socket,
    open_user_socket,
    register,
)
from tests.support.live_server import LiveServer
from tests.support.timeouts import scaled

CLOSE_WITHIN = scaled(1.0)


async def moderate(actor: Account, canvas_id: int, action: str, target: Account,
                   **fields: Any) -> dict[str, Any]:
    response = await actor.post(f"/api/v1/canvases/{canvas_id}/moderation",
                                {"action": action, "user_id": target.id, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def closed_within(socket: Socket, seconds: float) -> int | None:
    started = time.monotonic()
    code = await socket.closed(timeout=seconds * 5)
    assert time.monotonic() - started <= seconds, time.monotonic() - started
    return code


async def still_open(socket: Socket) -> None:
    await socket.send({"type": "ping", "id": "alive"})
    await socket.expect("pong", id="alive")


async def next_of(socket: Socket, *types: str) -> dict[str, Any]:
    """The next message of any of these types; others are skipped."""
    while True:
        message = await socket.next()
        if message["type"] in types:
            return message


async def rejected(live_server: LiveServer, canvas_id: int, account: Account) -> int | None:
    socket = await open_socket(live_server.ws_base, canvas_id, account.token)
    return await socket.closed()


async def test_kick_closes_that_users_sockets_on_that_canvas_only(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, bob, carol = await register(api), await register(api), await register(api)
    canvas, other = await owner.create_canvas(), await owner.create_canvas()
    watcher = await join(live_server.ws_base, canvas["id"], owner)
    bob_tabs = [await join(live_server.ws_base, canvas["id"], bob) for _ in range(2)]
    bob_elsewhere = await join(live_server.ws_base, other["id"], bob)
    carols = await join(live_server.ws_base, canvas["id"], carol)
    await moderate(owner, canvas["id"], "kick", bob, reason="calm down")
    for tab in bob_tabs:
        assert await closed_within(tab, CLOSE_WITHIN) == 4010
    assert bob_tabs[0].ws.close_reason == "kicked: calm down"
    told = await watcher.expect("moderation_action", action="kick")
    assert told["user_id"] == bob.id and told["by_user_id"] == owner.id
    for socket in (watcher, bob_elsewhere, carols):
        await still_open(socket)
    # A kick is not a ban: the user may come straight back.
    again = await join(live_server.ws_base, canvas["id"], bob)
    for socket in (again, watcher, bob_elsewhere, carols):
        await socket.close()


async def test_ban_over_the_socket_refuses_rejoining_until_unbanned(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, bob = await register(api), await register(api)
    canvas = await owner.create_canvas()
    owners = await join(live_server.ws_base, canvas["id"], owner)
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    await owners.send({"type": "moderation", "action": "ban", "user_id": bob.id,
                       "reason": "vandalism"})
    assert await closed_within(bobs, CLOSE_WITHIN) == 4003
    assert bobs.ws.close_reason == "banned: vandalism"
    ack = await owners.expect("moderation_action", action="ban")
    assert ack["user_id"] == bob.id and ack["until"] is None and ack["reason"] == "vandalism"
    assert await rejected(live_server, canvas["id"], bob) == 4003
    await owners.send({"type": "moderation", "action": "unban", "user_id": bob.id})
    await owners.expect("moderation_action", action="unban")
    back = await join(live_server.ws_base, canvas["id"], bob)
    await back.close()
    await owners.close()


async def test_boundaries_of_the_socket_messages(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, bob, admin = await register(api), await register(api), await register(api)
    await make_admin(live_server, admin)
    canvas = await owner.create_canvas()
    await owner.post(f"/api/v1/canvases/{canvas['id']}/moderators/{bob.id}")
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    owners = await join(live_server.ws_base, canvas["id"], owner)
    await bobs.send({"type": "moderation", "action": "ban", "user_id": owner.id})
    refused = await bobs.expect("error", request_type="moderation")
    assert refused["code"] == "forbidden"
    assert refused["message"] == "A moderator cannot act on an owner"
    await bobs.send({"type": "admin_broadcast", "text": "free pixels", "level": "info"})
    refused = await bobs.expect("error", request_type="admin_broadcast")
    assert refused["code"] == "forbidden" and refused["message"] == "Admin rights required"
    await owners.send({"type": "moderation", "action": "explode", "user_id": bob.id})
    invalid = await owners.expect("error", request_type="moderation")
    assert invalid["code"] == "invalid_message"
    assert invalid["message"] == "action must be one of mute, unmute, kick, ban, unban"
    await owners.send({"type": "admin_broadcast", "text": "x"})
    assert (await owners.expect("error", request_type="admin_broadcast"))["code"] == "forbidden"
    # Admins may, and everyone on the canvas hears it.
    admins = await join(live_server.ws_base, canvas["id"], admin)
    await admins.send({"type": "admin_broadcast", "text": "Closing at noon",
                       "level": "warning", "canvas_id": canvas["id"]})
    for socket in (bobs, owners, admins):
        message = await socket.expect("admin_message")
        assert message["text"] == "Closing at noon" and message["level"] == "warning"
        assert message["canvas_id"] == canvas["id"] and message["sender"]["user_id"] == admin.id
    await still_open(bobs)
    for socket in (bobs, owners, admins):
        await socket.close()


async def test_muted_socket_chat_is_refused_until_the_mute_ends(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, bob = await register(api), await register(api)
    canvas = await owner.create_canvas()
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    action = await moderate(owner, canvas["id"], "mute", bob, duration_s=1, reason="flood")
    await bobs.expect("moderation_action", action="mute")
    await bobs.send({"type": "canvas_chat", "text": "still here"})
    refused = await bobs.expect("error", request_type="canvas_chat")
    assert refused["code"] == "muted" and refused["until"] == action["until"]
    assert refused["message"] == f"You are muted on this canvas until {action['until']}"
    deadline = time.monotonic() + scaled(10)
    attempt = 0
    while True:  # the mute ends by itself: chat is refused up to then, and accepted after
        attempt += 1  # distinct texts: a repeated one would be refused as a duplicate
        await bobs.send({"type": "canvas_chat", "text": f"back ({attempt})"})
        answer = await next_of(bobs, "canvas_chat_message", "error")
        if answer["type"] == "canvas_chat_message":
            break
        assert answer["code"] == "muted" and time.monotonic() < deadline, answer
        await asyncio.sleep(0.2)
    assert answer["created_at"] >= action["until"]
    await bobs.close()


async def test_deleted_message_leaves_history_and_every_client(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, bob = await register(api), await register(api)
    canvas = await owner.create_canvas()
    owners = await join(live_server.ws_base, canvas["id"], owner)
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    await bobs.send({"type": "canvas_chat", "text": "rude words"})
    sent = await owners.expect("canvas_chat_message")
    response = await owner.delete(f"/api/v1/chat/messages/{sent['message_id']}")
    assert response.status_code == 204
    for socket in (owners, bobs):
        gone = await socket.expect("chat_message_deleted")
        assert gone["message_id"] == sent["message_id"] and gone["by_user_id"] == owner.id
    history = (await bob.get(f"/api/v1/canvases/{canvas['id']}/chat/messages")).json()
    assert history["items"] == []
    await owners.close()
    await bobs.close()


async def test_revert_sends_the_exact_pixels_to_the_canvas(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, bob = await register(api), await register(api)
    canvas = await owner.create_canvas()
    art = rgba_tile(32, (12, 34, 56, 255), {(3, 4): (200, 100, 50, 128)})
    tile = (await owner.post("/api/v1/tiles", {"canvas_id": canvas["id"], "x": 2, "y": 2,
                                               "pixels": art})).json()
    await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(32, (0, 0, 0, 255))})
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    response = await owner.post(f"/api/v1/tiles/{tile['id']}/revert", {"version": 1})
    assert response.status_code == 200, response.text
    update = await bobs.expect("tile_updated", tile_id=tile["id"])
    assert update["pixels"] == art and update["version"] == 3
    await bobs.close()


async def test_report_over_the_socket_is_filed(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, bob = await register(api), await register(api)
    canvas = await owner.create_canvas()
    tile = await owner.create_tile(canvas["id"], 0, 0)
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    await bobs.send({"type": "report", "target_type": "tile", "target_id": tile["id"],
                     "reason": "offensive"})
    filed = await bobs.expect("report_filed")
    assert filed["report"]["target_id"] == str(tile["id"])
    assert filed["report"]["reporter_id"] == bob.id and filed["report"]["status"] == "open"
    await bobs.send({"type": "report", "target_type": "tile", "target_id": tile["id"],
                     "reason": "again"})
    duplicate = await bobs.expect("error", request_type="report")
    assert duplicate["code"] == "conflict"
    await bobs.close()


async def test_deactivation_closes_every_socket_of_the_user(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    admin, bob, carol = await register(api), await register(api), await register(api)
    await make_admin(live_server, admin)
    first, second = await admin.create_canvas(), await admin.create_canvas()
    bobs = [await join(live_server.ws_base, first["id"], bob),
            await join(live_server.ws_base, second["id"], bob)]
    carols = await join(live_server.ws_base, first["id"], carol)
    response = await admin.patch(f"/api/v1/admin/users/{bob.id}", {"is_active": False})
    assert response.status_code == 200, response.text
    for socket in bobs:
        assert await closed_within(socket, CLOSE_WITHIN) == 4001
    await still_open(carols)
    assert await rejected(live_server, first["id"], bob) == 4001
    await carols.close()


async def test_reports_reach_admins_and_the_canvas_moderators_live(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    owner, mod, bob, admin, carol = [await register(api) for _ in range(5)]
    await make_admin(live_server, admin)
    canvas, other = await owner.create_canvas(), await carol.create_canvas()
    await owner.post(f"/api/v1/canvases/{canvas['id']}/moderators/{mod.id}")
    tile = await owner.create_tile(canvas["id"], 0, 0)
    sockets = {name: await join(live_server.ws_base, canvas["id"], account)
               for name, account in (("owner", owner), ("mod", mod), ("bob", bob))}
    # The admin and a bystander are on another canvas: reports follow users, not canvases.
    sockets["admin"] = await join(live_server.ws_base, other["id"], admin)
    sockets["carol"] = await join(live_server.ws_base, other["id"], carol)
    filed = (await bob.post("/api/v1/reports", {"target_type": "tile", "target_id": tile["id"],
                                                "reason": "offensive"})).json()
    for name in ("admin", "owner", "mod"):
        told = await sockets[name].expect("report_created", report_id=filed["id"])
        assert told["report"] == filed and told["reporter"]["user_id"] == bob.id
        assert told["target_type"] == "tile" and told["canvas_id"] == canvas["id"]
    about_user = (await bob.post("/api/v1/reports", {"target_type": "user",
                                                     "target_id": carol.id,
                                                     "reason": "rude"})).json()
    await sockets["admin"].expect("report_created", report_id=about_user["id"])
    await sockets["carol"].expect_nothing("report_created")
    await sockets["bob"].expect_nothing("report_created", within=0.05)
    await sockets["mod"].expect_nothing("report_created", within=0.05)

    resolved = await admin.post(f"/api/v1/admin/reports/{filed['id']}/resolve",
                                {"resolution": "resolved", "note": "removed"})
    assert resolved.status_code == 200, resolved.text
    told = await sockets["bob"].expect("notification", kind="report_resolved")
    assert told["actor"]["user_id"] == admin.id and told["canvas_id"] == canvas["id"]
    # Stored too: the reporter finds it over REST.
    stored = (await bob.get("/api/v1/notifications")).json()["items"]
    assert [(n["notification_id"], n["kind"]) for n in stored] == [
        (told["notification_id"], "report_resolved")]
    closed = await sockets["admin"].expect("report_closed")
    assert closed["report"]["id"] == filed["id"] and closed["report"]["status"] == "resolved"
    for socket in sockets.values():
        await socket.close()


async def test_a_global_broadcast_reaches_every_socket(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    admin, alice, bob = [await register(api) for _ in range(3)]
    await make_admin(live_server, admin)
    first, second = await alice.create_canvas(), await bob.create_canvas()
    sockets = [await join(live_server.ws_base, first["id"], alice),
               await join(live_server.ws_base, second["id"], bob)]
    response = await admin.post("/api/v1/admin/broadcast",
                                {"text": "Restart in 5 minutes", "level": "critical"})
    assert response.status_code == 200, response.text
    for socket in sockets:
        message = await socket.expect("admin_message")
        assert message["text"] == "Restart in 5 minutes" and message["canvas_id"] is None
        assert message["level"] == "critical" and message["sender"]["user_id"] == admin.id
        await socket.close()


async def test_a_change_of_admin_rights_makes_the_users_sockets_rejoin(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    admin, bob = await register(api), await register(api)
    await make_admin(live_server, admin)
    canvas = await bob.create_canvas()
    bobs = await join(live_server.ws_base, canvas["id"], bob)
    response = await admin.patch(f"/api/v1/admin/users/{bob.id}", {"is_admin": True})
    assert response.status_code == 200, response.text
    assert await closed_within(bobs, CLOSE_WITHIN) == 4001
    assert bobs.ws.close_reason == "admin rights changed"
    # The token itself is still good: the socket rejoins, now as an admin.
    again = await join(live_server.ws_base, canvas["id"], bob)
    await again.close()


async def test_the_user_socket_reports_broadcasts_and_hears_reports(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    admin, bob, carol = [await register(api) for _ in range(3)]
    await make_admin(live_server, admin)
    admins = await open_user_socket(live_server.user_ws_url, admin)
    bobs = await open_user_socket(live_server.user_ws_url, bob)
    await bobs.send({"type": "report", "target_type": "user", "target_id": carol.id,
                     "reason": "impersonation"})
    filed = (await bobs.expect("report_filed"))["report"]
    told = await admins.expect("report_created", report_id=filed["id"])
    assert told["target_type"] == "user" and told["reason"] == "impersonation"
    await bobs.send({"type": "moderation", "action": "kick", "user_id": carol.id})
    refused = await bobs.expect("error", request_type="moderation")
    assert refused["code"] == "invalid_message"
    await admins.send({"type": "admin_broadcast", "text": "Welcome", "level": "info"})
    for socket in (admins, bobs):
        assert (await socket.expect("admin_message"))["text"] == "Welcome"
        await socket.close()
