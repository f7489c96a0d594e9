"""Announcements over REST: admin-only create and delete, validity windows, the active
list, and the live event published once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.api.helpers import assert_error, assert_validation_error, make_admin, published
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer


def _at(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def _admin(live_server: LiveServer, api: httpx.AsyncClient) -> Account:
    admin = await register(api)
    await make_admin(live_server, admin)
    return admin


async def test_admin_only(live_server: LiveServer, api: httpx.AsyncClient,
                          alice: Account) -> None:
    body = {"text": "maintenance at noon", "ends_at": _at(10)}
    assert_error(await alice.post("/api/v1/admin/announcements", body), 403,
                 "Admin rights required")
    admin = await _admin(live_server, api)
    created = await admin.post("/api/v1/admin/announcements", body)
    assert created.status_code == 201, created.text
    announcement = created.json()
    assert announcement["text"] == "maintenance at noon" and announcement["canvas_id"] is None
    path = f"/api/v1/admin/announcements/{announcement['announcement_id']}"
    assert_error(await alice.delete(path), 403, "Admin rights required")
    assert (await admin.delete(path)).status_code == 204
    assert_error(await admin.delete(path), 404, "Announcement not found")


async def test_active_list_follows_windows_and_canvases(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    admin = await _admin(live_server, api)
    public = await alice.create_canvas()
    private = await alice.create_canvas(visibility="private")
    texts = {"global": None, "public canvas": public["id"], "private canvas": private["id"]}
    for text, canvas_id in texts.items():
        response = await admin.post("/api/v1/admin/announcements",
                                    {"text": text, "canvas_id": canvas_id, "ends_at": _at(10)})
        assert response.status_code == 201, response.text
    await admin.post("/api/v1/admin/announcements",
                     {"text": "later", "starts_at": _at(30), "ends_at": _at(60)})
    seen = {a["text"] for a in (await bob.get("/api/v1/announcements")).json()}
    assert {"global", "public canvas"} <= seen and not seen & {"private canvas", "later"}
    owner_sees = {a["text"] for a in (await alice.get(
        "/api/v1/announcements", params={"canvas_id": private["id"]})).json()}
    assert {"global", "private canvas"} <= owner_sees and "public canvas" not in owner_sees
    assert_error(await bob.get("/api/v1/announcements", params={"canvas_id": private["id"]}),
                 404, "Canvas not found")
    events = [e for e in await published(live_server, public["id"], 0)
              if e["type"] == "announcement"]
    assert [e["text"] for e in events] == ["public canvas"]


async def test_window_rules(live_server: LiveServer, api: httpx.AsyncClient) -> None:
    admin = await _admin(live_server, api)
    path = "/api/v1/admin/announcements"
    assert_error(await admin.post(path, {"text": "x", "ends_at": _at(-1)}), 422,
                 "ends_at must be later than starts_at and than now")
    assert_error(await admin.post(path, {"text": "x", "starts_at": _at(5), "ends_at": _at(4)}),
                 422, "ends_at must be later than starts_at and than now")
    assert_error(await admin.post(path, {"text": "  ", "ends_at": _at(5)}), 422,
                 "Announcement text must not be empty")
    assert_validation_error(await admin.post(path, {"text": "x"}), "ends_at")
    assert_validation_error(await admin.post(path, {"text": "x", "ends_at": "2030-01-01T00:00"}),
                            "ends_at")
    assert_error(await admin.post(path, {"text": "x", "canvas_id": 999999, "ends_at": _at(5)}),
                 404, "Canvas not found")
