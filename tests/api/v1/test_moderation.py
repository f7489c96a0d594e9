"""Canvas moderation over REST: who may moderate, mutes, bans, kicks, moderators, message
deletion, tile history and revert, bulk deletion, and the audit entries they leave."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx

from tests.api.helpers import (
    assert_error,
    current_seq,
    make_admin,
    published,
    rgba_tile,
    tile_body,
)
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer
from tests.support.timeouts import scaled

BANNED = "You are banned from this canvas"


def moderation_path(canvas_id: int) -> str:
    return f"/api/v1/canvases/{canvas_id}/moderation"


def chat_path(canvas_id: int) -> str:
    return f"/api/v1/canvases/{canvas_id}/chat/messages"


async def moderate(actor: Account, canvas_id: int, action: str, target: Account,
                   **fields: Any) -> httpx.Response:
    return await actor.post(moderation_path(canvas_id),
                            {"action": action, "user_id": target.id, **fields})


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def audit_entries(admin: Account, **filters: Any) -> list[dict[str, Any]]:
    body = await ok(await admin.get("/api/v1/admin/audit", params=filters))
    items: list[dict[str, Any]] = body["items"]
    return items


async def test_a_user_cannot_moderate(alice: Account, bob: Account, api: httpx.AsyncClient
                                      ) -> None:
    canvas = await alice.create_canvas()
    carol = await register(api)
    for action in ("mute", "unmute", "kick", "ban", "unban"):
        assert_error(await moderate(bob, canvas["id"], action, carol), 403,
                     "Only the canvas owner, its moderators or an admin can do this")
    assert_error(await moderate(bob, canvas["id"], "ban", alice), 403,
                 "Only the canvas owner, its moderators or an admin can do this")


async def test_mute_refuses_chat_with_its_end_and_unmute_lifts_it(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    since = await current_seq(live_server, canvas["id"])
    action = await ok(await moderate(alice, canvas["id"], "mute", bob, reason="spam"))
    assert action["type"] == "moderation_action" and action["action"] == "mute"
    assert action["user_id"] == bob.id and action["by_user_id"] == alice.id
    assert action["until"] is None and action["reason"] == "spam"
    assert_error(await bob.post(chat_path(canvas["id"]), {"text": "hi"}), 403,
                 "You are muted on this canvas until a moderator unmutes you", until=None)
    events = await published(live_server, canvas["id"], since)
    assert [e["type"] for e in events] == ["moderation_action"]
    assert events[0]["user_id"] == bob.id and events[0]["action"] == "mute"
    # The mute is only chat: tiles still work.
    await bob.create_tile(canvas["id"], 0, 0)
    await ok(await moderate(alice, canvas["id"], "unmute", bob))
    await ok(await bob.post(chat_path(canvas["id"]), {"text": "back"}), 201)
    assert_error(await moderate(alice, canvas["id"], "unmute", bob), 409,
                 "User is not muted here")


async def test_a_timed_mute_ends_by_itself(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    action = await ok(await moderate(alice, canvas["id"], "mute", bob, duration_s=1))
    refused = await bob.post(chat_path(canvas["id"]), {"text": "hi"})
    assert_error(refused, 403, f"You are muted on this canvas until {action['until']}",
                 until=action["until"])
    deadline = time.monotonic() + scaled(10)
    attempt = 0
    while True:
        attempt += 1
        response = await bob.post(chat_path(canvas["id"]), {"text": f"hi again ({attempt})"})
        if response.status_code == 201:
            break
        assert response.status_code == 403 and time.monotonic() < deadline, response.text
        await asyncio.sleep(0.1)
    assert response.json()["created_at"] >= action["until"]


async def test_ban_refuses_rest_writes_until_unbanned(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    own = await alice.create_tile(canvas["id"], 1, 1)
    bobs = await bob.create_tile(canvas["id"], 2, 2)
    await ok(await moderate(alice, canvas["id"], "ban", bob, reason="vandalism"))
    pixels = rgba_tile(32, (0, 0, 255, 255))
    for response in (
        await bob.post("/api/v1/tiles", tile_body(canvas["id"], 3, 3)),
        await bob.put(f"/api/v1/tiles/{bobs['id']}", {"pixels": pixels}),
        await bob.delete(f"/api/v1/tiles/{bobs['id']}"),
        await bob.post(f"/api/v1/tiles/{own['id']}/like"),
        await bob.post(chat_path(canvas["id"]), {"text": "let me in"}),
        await bob.post(f"/api/v1/canvases/{canvas['id']}/locks/4/4"),
    ):
        assert_error(response, 403, BANNED)
    # Reading is still allowed; another canvas is untouched.
    await ok(await bob.get(f"/api/v1/canvases/{canvas['id']}/tiles"))
    other = await alice.create_canvas()
    await bob.create_tile(other["id"], 0, 0)
    overview = await ok(await bob.get(moderation_path(canvas["id"])))
    assert overview["role"] == "user" and overview["banned"]["reason"] == "vandalism"
    await ok(await moderate(alice, canvas["id"], "unban", bob))
    await bob.create_tile(canvas["id"], 3, 3)


async def test_moderators_act_on_users_but_not_on_the_owner_or_admins(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    carol, admin = await register(api), await register(api)
    await make_admin(live_server, admin)
    assert_error(await bob.post(f"/api/v1/canvases/{canvas['id']}/moderators/{carol.id}"), 403,
                 "Only the canvas owner or an admin can appoint moderators")
    appointed = await ok(await alice.post(
        f"/api/v1/canvases/{canvas['id']}/moderators/{bob.id}"))
    assert appointed == {"canvas_id": canvas["id"], "user_id": bob.id, "username": bob.username,
                         "display_name": bob.user["display_name"], "is_moderator": True}
    overview = await ok(await bob.get(moderation_path(canvas["id"])))
    assert overview["role"] == "moderator"
    assert [m["user_id"] for m in overview["moderators"]] == [bob.id]
    await ok(await moderate(bob, canvas["id"], "ban", carol, reason="spam"))
    assert_error(await moderate(bob, canvas["id"], "ban", alice), 403,
                 "A moderator cannot act on an owner")
    assert_error(await moderate(bob, canvas["id"], "mute", admin), 403,
                 "A moderator cannot act on an admin")
    assert_error(await moderate(bob, canvas["id"], "kick", bob), 403,
                 "You cannot moderate yourself")
    # The owner outranks the moderator; an admin outranks the owner.
    await ok(await moderate(alice, canvas["id"], "mute", bob))
    await ok(await moderate(admin, canvas["id"], "kick", alice))
    removed = await ok(await alice.delete(
        f"/api/v1/canvases/{canvas['id']}/moderators/{bob.id}"))
    assert removed["is_moderator"] is False
    assert_error(await moderate(bob, canvas["id"], "unban", carol), 403,
                 "Only the canvas owner, its moderators or an admin can do this")
    assert_error(await moderate(alice, canvas["id"], "ban", carol, user_id=999999), 404,
                 "User not found")


async def test_deleting_chat_messages(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    carol = await register(api)
    first = await ok(await bob.post(chat_path(canvas["id"]), {"text": "mine"}), 201)
    second = await ok(await bob.post(chat_path(canvas["id"]), {"text": "rude"}), 201)
    kept = await ok(await carol.post(chat_path(canvas["id"]), {"text": "kept"}), 201)
    assert_error(await carol.delete(f"/api/v1/chat/messages/{second['id']}"), 403,
                 "Only the author, the canvas owner, its moderators or an admin can delete this")
    since = await current_seq(live_server, canvas["id"])
    await ok(await bob.delete(f"/api/v1/chat/messages/{first['id']}"), 204)
    await ok(await alice.delete(f"/api/v1/chat/messages/{second['id']}",
                                params={"reason": "insult"}), 204)
    history = await ok(await carol.get(chat_path(canvas["id"])))
    assert [m["id"] for m in history["items"]] == [kept["id"]]
    events = await published(live_server, canvas["id"], since)
    assert [(e["type"], e["message_id"], e["by_user_id"]) for e in events] == [
        ("chat_message_deleted", first["id"], bob.id),
        ("chat_message_deleted", second["id"], alice.id)]
    assert_error(await alice.delete(f"/api/v1/chat/messages/{second['id']}"), 404,
                 "Message not found")
    admin = await register(api)
    await make_admin(live_server, admin)
    # The owner's deletion is audited; the author's own is not moderation.
    entries = await audit_entries(admin, action="delete_message", target_id=second["id"])
    assert [(e["actor_id"], e["reason"]) for e in entries] == [(alice.id, "insult")]
    assert await audit_entries(admin, action="delete_message", target_id=first["id"]) == []


async def test_tile_versions_and_revert_restore_exact_pixels(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    original = rgba_tile(32, (10, 20, 30, 255), {(0, 0): (1, 2, 3, 4), (31, 31): (9, 9, 9, 0)})
    tile = await ok(await alice.post("/api/v1/tiles", {
        "canvas_id": canvas["id"], "x": 5, "y": 5, "pixels": original}), 201)
    scribble = rgba_tile(32, (255, 0, 255, 255))
    await ok(await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": scribble}))
    await ok(await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(32, (0,) * 4)}))
    versions = await ok(await bob.get(f"/api/v1/tiles/{tile['id']}/versions"))
    assert [(v["version"], v["editor_id"]) for v in versions["items"]] == [
        (3, bob.id), (2, bob.id), (1, alice.id)]
    assert versions["items"][2]["pixels"] == original
    page = await ok(await bob.get(f"/api/v1/tiles/{tile['id']}/versions",
                                  params={"limit": 1, "before": 3}))
    assert [v["version"] for v in page["items"]] == [2] and page["has_more"] is True

    assert_error(await bob.post(f"/api/v1/tiles/{tile['id']}/revert", {"version": 1}), 403,
                 "Only the canvas owner, its moderators or an admin can do this")
    since = await current_seq(live_server, canvas["id"])
    reverted = await ok(await alice.post(f"/api/v1/tiles/{tile['id']}/revert",
                                         {"version": 1, "reason": "vandalised"}))
    assert reverted["version"] == 4
    assert base64.b64decode(reverted["pixels"]) == base64.b64decode(original)
    fetched = await ok(await bob.get(f"/api/v1/tiles/{tile['id']}"))
    assert fetched["pixels"] == original and fetched["version"] == 4
    events = await published(live_server, canvas["id"], since)
    assert [(e["type"], e["version"], e["pixels"]) for e in events] == [
        ("tile_updated", 4, original)]
    history = await ok(await bob.get(f"/api/v1/tiles/{tile['id']}/versions"))
    assert history["items"][0]["version"] == 4 and history["items"][0]["editor_id"] == alice.id
    assert_error(await alice.post(f"/api/v1/tiles/{tile['id']}/revert", {"version": 9}), 404,
                 "Version not found")


async def test_bulk_delete_of_one_creators_tiles(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    carol = await register(api)
    vandal = [await bob.create_tile(canvas["id"], x, 0) for x in range(3)]
    keep = await carol.create_tile(canvas["id"], 0, 1)
    await ok(await alice.post(f"/api/v1/canvases/{canvas['id']}/moderators/{carol.id}"))
    path = f"/api/v1/canvases/{canvas['id']}/tiles"
    assert_error(await carol.delete(path, params={"creator_id": bob.id}), 403,
                 "Only the canvas owner or an admin can delete tiles in bulk")
    since = await current_seq(live_server, canvas["id"])
    result = await ok(await alice.delete(path, params={"creator_id": bob.id,
                                                       "reason": "vandal"}))
    assert result == {"canvas_id": canvas["id"], "creator_id": bob.id, "deleted": 3,
                      "tile_ids": sorted(t["id"] for t in vandal)}
    remaining = await ok(await alice.get(path))
    assert [t["id"] for t in remaining] == [keep["id"]]
    events = await published(live_server, canvas["id"], since)
    assert sorted(e["tile_id"] for e in events if e["type"] == "tile_deleted") == \
        result["tile_ids"]
    again = await ok(await alice.delete(path, params={"creator_id": bob.id}))
    assert again["deleted"] == 0


async def test_every_action_is_audited_with_actor_and_reason(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    admin = await register(api)
    await make_admin(live_server, admin)
    await ok(await alice.post(f"/api/v1/canvases/{canvas['id']}/moderators/{bob.id}"))
    carol = await register(api)
    for action in ("mute", "unmute", "kick", "ban", "unban"):
        await ok(await moderate(bob, canvas["id"], action, carol, reason=f"why {action}"))
    entries = await audit_entries(admin, target_type="user", target_id=str(carol.id))
    assert [(e["action"], e["actor_id"], e["actor_username"], e["reason"], e["canvas_id"])
            for e in entries] == [
        (action, bob.id, bob.username, f"why {action}", canvas["id"])
        for action in ("unban", "ban", "kick", "unmute", "mute")]
    assert all(e["created_at"].endswith("Z") for e in entries)
    appointed = await audit_entries(admin, actor_id=alice.id, action="appoint_moderator")
    assert [(e["target_id"], e["canvas_id"]) for e in appointed] == [(str(bob.id), canvas["id"])]
    assert_error(await bob.get("/api/v1/admin/audit"), 403, "Admin rights required")

    tile = await carol.create_tile(canvas["id"], 0, 0)
    await ok(await carol.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(32, (1,) * 4)}))
    await ok(await bob.post(f"/api/v1/tiles/{tile['id']}/revert",
                            {"version": 1, "reason": "scribbled over"}))
    await ok(await alice.delete(f"/api/v1/canvases/{canvas['id']}/tiles",
                                params={"creator_id": carol.id, "reason": "vandal"}))
    await ok(await admin.patch(f"/api/v1/admin/users/{carol.id}",
                               {"is_admin": True, "reason": "new helper"}))
    latest = await audit_entries(admin, limit=3)
    assert [(e["action"], e["actor_id"], e["target_type"], e["target_id"], e["reason"])
            for e in latest] == [
        ("grant_admin", admin.id, "user", str(carol.id), "new helper"),
        ("delete_tiles", alice.id, "user", str(carol.id), "vandal"),
        ("revert_tile", bob.id, "tile", str(tile["id"]), "scribbled over"),
    ]
    assert latest[1]["details"] == {"tile_ids": [tile["id"]]}
    assert latest[2]["details"] == {"to_version": 1, "new_version": 3}


async def test_a_mute_refuses_tile_comments_too(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    await ok(await moderate(alice, canvas["id"], "mute", bob, reason="spam"))
    assert_error(await bob.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "buy now"}),
                 403, "You are muted on this canvas until a moderator unmutes you", until=None)
    await ok(await moderate(alice, canvas["id"], "unmute", bob))
    await ok(await bob.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "nice"}), 201)
