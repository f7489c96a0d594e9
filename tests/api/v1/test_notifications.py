"""Notifications over REST: likes, comments, mentions and offline DMs notify the right
user once, grouped by the documented rule; never for one's own actions; read state."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.helpers import assert_error, assert_validation_error, crowd
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer


async def _notifications(account: Account, **params: Any) -> dict[str, Any]:
    response = await account.get("/api/v1/notifications", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_like_notifies_the_creator_once(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    body = await _notifications(alice)
    assert body["unread_count"] == 1
    [note] = body["items"]
    assert note["kind"] == "tile_liked" and note["count"] == 1 and not note["is_read"]
    assert note["actor"] == {"user_id": bob.id, "username": bob.username,
                             "display_name": bob.user["display_name"]}
    assert (note["canvas_id"], note["tile_id"]) == (canvas["id"], tile["id"])
    assert (await _notifications(bob))["items"] == []


async def test_likes_on_one_tile_merge(live_server: LiveServer, api: httpx.AsyncClient,
                                       alice: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    other = await alice.create_tile(canvas["id"], 1, 0)
    likers = await crowd(live_server, api, 5)
    for liker in likers:
        await liker.post(f"/api/v1/tiles/{tile['id']}/like")
    await likers[0].post(f"/api/v1/tiles/{other['id']}/like")
    items = (await _notifications(alice))["items"]
    assert [(n["tile_id"], n["count"]) for n in items] == [(other["id"], 1), (tile["id"], 5)]
    merged = items[1]
    assert [a["user_id"] for a in merged["actors"]] == [likers[4].id, likers[3].id,
                                                        likers[2].id]
    assert merged["actor"]["user_id"] == likers[4].id
    # Once read, the next like starts a new notification.
    await alice.post("/api/v1/notifications/read", {"ids": [merged["notification_id"]]})
    await likers[1].delete(f"/api/v1/tiles/{tile['id']}/like")
    await likers[1].post(f"/api/v1/tiles/{tile['id']}/like")
    unread = (await _notifications(alice, unread="true"))["items"]
    assert [(n["tile_id"], n["count"]) for n in unread] == [(tile["id"], 1), (other["id"], 1)]


async def test_comments_notify_the_creator_not_the_author(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    await alice.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "my own"})
    assert (await _notifications(alice))["items"] == []
    await bob.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "great"})
    await bob.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "really"})
    [note] = (await _notifications(alice))["items"]
    assert (note["kind"], note["count"], note["actor"]["user_id"]) == ("tile_comment", 2, bob.id)


async def test_mentions_in_chat(api: httpx.AsyncClient, alice: Account, bob: Account) -> None:
    carol = await register(api)
    outsider = await register(api)
    public = await alice.create_canvas()
    sent = await alice.post(f"/api/v1/canvases/{public['id']}/chat/messages", {
        "text": f"hey @{bob.username.upper()} and @{carol.username}, and me @{alice.username}."
                f" mail {outsider.username}@example.com"})
    assert sent.status_code == 201, sent.text
    for account in (bob, carol):
        [note] = (await _notifications(account))["items"]
        assert note["kind"] == "mention" and note["actor"]["user_id"] == alice.id
        assert (note["canvas_id"], note["message_id"]) == (public["id"], sent.json()["id"])
    assert (await _notifications(alice))["items"] == []
    assert (await _notifications(outsider))["items"] == []

    private = await alice.create_canvas(visibility="private")
    await alice.post(f"/api/v1/canvases/{private['id']}/chat/messages",
                     {"text": f"@{outsider.username} cannot see this"})
    assert (await _notifications(outsider))["items"] == []


async def test_direct_message_to_an_offline_user(alice: Account, bob: Account) -> None:
    for text in ("one", "two"):
        await alice.post(f"/api/v1/dm/{bob.id}/messages", {"text": text})
    [note] = (await _notifications(bob))["items"]
    assert (note["kind"], note["count"], note["actor"]["user_id"]) == (
        "direct_message", 2, alice.id)
    assert (await _notifications(alice))["items"] == []
    # Reading the conversation reads its notification too.
    await bob.post(f"/api/v1/dm/{alice.id}/read", {"up_to_message_id": int(note["message_id"])})
    assert (await _notifications(bob))["unread_count"] == 0


async def test_mark_read(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    ids = []
    for x in range(3):
        tile = await alice.create_tile(canvas["id"], x, 0)
        await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    ids = [n["notification_id"] for n in (await _notifications(alice))["items"]]
    # Someone else's ids are ignored.
    assert (await bob.post("/api/v1/notifications/read", {"ids": ids})).json() == {
        "unread_count": 0}
    assert (await _notifications(alice))["unread_count"] == 3
    marked = await alice.post("/api/v1/notifications/read", {"ids": ids[:1]})
    assert marked.json() == {"unread_count": 2}
    assert (await alice.post("/api/v1/notifications/read", {"all": True})).json() == {
        "unread_count": 0}
    assert (await _notifications(alice, unread="true"))["items"] == []
    assert len((await _notifications(alice))["items"]) == 3
    assert_validation_error(await alice.post("/api/v1/notifications/read", {}))
    assert_validation_error(await alice.post("/api/v1/notifications/read",
                                             {"ids": [1], "all": True}))
    assert_error(await alice.api.get("/api/v1/notifications"), 401, "Not authenticated")
